# syntax=docker/dockerfile:1
# One image for every Sluice service (gate, checkout API, order worker, dashboard, migrations);
# docker-compose.yml picks the process with `command`. Stages: build -> runtime.
# Debian (glibc), not Alpine: uWebSockets.js ships glibc binaries only.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first so the dependency layer is cached until a package.json or the lock changes.
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY gate/package.json gate/
COPY checkout/package.json checkout/
COPY dashboard/package.json dashboard/
COPY loadtest/package.json loadtest/
# --ignore-scripts: the only install scripts are optional native add-ons (bufferutil,
# utf-8-validate, msgpackr-extract: pure-JS fallbacks exist) and embedded-postgres (development only);
# esbuild finds its platform binary through its optional dependency.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# Browser bundles (the queue page, the ops console), then the services' JavaScript
# (scripts/build.ts: <workspace>/src/**/*.ts -> <workspace>/build/**/*.js, Lua beside it). The page
# is pinned: it talks to the gate it is served from and takes no gate / hand-over mode / cookie
# endpoint from a link (a production gate refuses to serve an unpinned page; issue 13).
RUN SLUICE_PAGE_PINNED=1 npm run build
# Production tree: no TypeScript loader, no dev tools. Every service module must still load.
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && node --input-type=module -e "for (const m of ['gate/build/app.js', 'checkout/build/app.js', 'checkout/build/worker/worker.js', 'dashboard/build/app.js']) await import('/app/' + m)"

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the service user.
COPY --from=build /app /app
USER node
# gate, checkout, dashboard, worker metrics
EXPOSE 8080 8081 8082 8083
# docker-compose.yml sets the command per service; plain node on the built JavaScript, directly
# so SIGTERM reaches it.
CMD ["node", "gate/build/main.js"]
