// Operational endpoints (health, readiness, metrics), the JWKS, and in development the queue
// page from gate/page/dist.
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatePaths, readiness } from '@sluice/shared';
import type { TemplatedApp } from 'uWebSockets.js';
import { isPinnedPage } from '../../page/pinned.ts';
import type { GateContext } from '../context.ts';
import { handleAsync, sendError, sendJson, write } from './respond.ts';
import { metricsText } from '@sluice/shared/cluster/fleet-metrics.ts';

const PAGE_DIR = fileURLToPath(new URL('../../page/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * In production the gate serves only a pinned page build (an unpinned one takes the gate and the
 * ticket hand-over from a link). Throws with what to do; a no-op when not serving the page.
 */
export async function checkServedPage(
  servePage: boolean,
  env: NodeJS.ProcessEnv = process.env,
  dir = PAGE_DIR,
): Promise<void> {
  if (!servePage || env.NODE_ENV !== 'production') return;
  const html = await readFile(join(dir, 'index.html'), 'utf8').catch(() => '');
  if (!isPinnedPage(html))
    throw new Error(
      `GATE_SERVE_PAGE in production needs a pinned queue page in ${dir} (SLUICE_PAGE_PINNED=1 npm run build:page), or GATE_SERVE_PAGE=false`,
    );
}

export function opsRoutes(g: GateContext, app: TemplatedApp): void {
  app.get('/healthz', (res) => sendJson(res, 200, { ok: true }, { 'cache-control': 'no-store' }));

  app.get('/readyz', (res) => {
    handleAsync(res, g.log, async (reply) => {
      const r = await readiness({ redis: () => g.redis.ping() }, 1000);
      const ok = r.ready && g.ready && !g.shuttingDown;
      if (!r.ready) g.log.debug({ detail: r.detail }, 'not ready');
      const gate = g.shuttingDown ? 'shutting down' : g.ready ? 'ok' : 'starting';
      reply(ok ? 200 : 503, JSON.stringify({ ready: ok, checks: { ...r.checks, gate } }), {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      });
    });
  });

  app.get('/metrics', (res) => {
    handleAsync(res, g.log, async (reply) => {
      // Every worker process of this gate (shared/src/cluster/fleet-metrics.ts).
      const m = await metricsText(g.metrics.registry);
      reply(200, m.text, { 'content-type': m.contentType });
    });
  });

  app.get(GatePaths.JWKS, (res) => {
    write(res, 200, g.issuer.jwks(), {
      'content-type': 'application/json',
      // Short: an emergency key withdrawal must reach verifiers (and any cache between) in seconds.
      'cache-control': 'public, max-age=5',
      'access-control-allow-origin': '*',
    });
  });

  app.any('/*', (res, req) => {
    const url = req.getUrl();
    const method = req.getMethod();
    if (!g.config.servePage || method !== 'get') return sendError(res, 'NOT_FOUND');
    handleAsync(res, g.log, async (reply) => {
      const file = await pageFile(url);
      if (!file)
        return reply(404, JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Not found.' } }), {
          'content-type': 'application/json',
        });
      reply(200, await readFile(file), {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': file.endsWith('.html') ? 'no-cache' : 'public, max-age=300',
      });
    });
  });
}

/** A file under gate/page/dist for `url`; paths without an extension get index.html. */
async function pageFile(url: string): Promise<string | null> {
  let path: string;
  try {
    path = decodeURIComponent(url.split('?')[0] ?? '/');
  } catch {
    return null;
  }
  // The page is served at / and at /queue/ (the URL the launcher and demo storefront print).
  const rel = normalize(path)
    .replace(/^([/\\])+/, '')
    .replace(/^queue(\/|$)/, '');
  const candidate = join(PAGE_DIR, rel);
  if (!candidate.startsWith(PAGE_DIR) && `${candidate}${sep}` !== PAGE_DIR) return null;
  for (const f of [candidate, extname(candidate) ? null : join(PAGE_DIR, 'index.html')]) {
    if (!f) continue;
    const s = await stat(f).catch(() => null);
    if (s?.isFile()) return f;
    if (s?.isDirectory()) {
      const idx = join(f, 'index.html');
      if ((await stat(idx).catch(() => null))?.isFile()) return idx;
    }
  }
  return null;
}
