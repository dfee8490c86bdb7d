// The dashboard service: admin API, operator login, audit log and the live ops console.
// `startDashboard(config)` listens (port 0 allowed) and returns `{ port, close() }`.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  ignoring,
  type ConfigOf,
  createLogger,
  createPool,
  createRedis,
  createRegistry,
  type dashboardSchema,
  ensureKeyring,
  type Logger,
  parseKek,
  prom,
  readiness,
  SluiceError,
  TrustedProxies,
} from '@sluice/shared';
import HyperExpress from 'hyper-express';
import { registerAdminRoutes } from './admin/routes.ts';
import { startAutopilot } from './autopilot/loop.ts';
import { Access } from './auth/access.ts';
import { facts, registerAuthRoutes } from './auth/routes.ts';
import { redisSessions } from './auth/sessions.ts';
import { resolveTokens, type Tokens } from './auth/tokens.ts';
import { buildConsole, CONSOLE_HTML } from './console/build.ts';
import { handled, MAX_BODY_BYTES, sendError } from './http/respond.ts';
import { checkoutLatency } from './live/checkout-latency.ts';
import { liveHub } from './live/hub.ts';
import { registerLiveRoutes } from './live/routes.ts';

export type DashboardConfig = ConfigOf<typeof dashboardSchema>;

export interface DashboardOptions {
  logger?: Logger;
  /** Sampling interval of the live console (ms); tests may shorten it. */
  sampleMs?: number;
  /** Pass interval of the release-rate autopilot (ms); tests may shorten it. */
  autopilotMs?: number;
  /** How often a live stream re-checks its credential (ms); tests may shorten it. */
  streamRecheckMs?: number;
}

export interface Dashboard {
  port: number;
  /** The operator token in force (generated when ADMIN_TOKEN was empty). */
  tokens: Tokens & { generated: boolean };
  /** Every route served, as `METHOD /path` with `{param}` (checked against openapi.yaml). */
  routes(): string[];
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export async function startDashboard(config: DashboardConfig, opts: DashboardOptions = {}): Promise<Dashboard> {
  const log = opts.logger ?? createLogger('dashboard', config.logLevel);
  const tokens = resolveTokens(config);
  const redis = createRedis(config);
  const pool = createPool(config.databaseUrl);
  const kek = parseKek(config.keyEncryptionKey);
  await ensureKeyring(redis, config.prefix, Date.now(), kek);
  const bundle = await buildConsole();

  const registry = createRegistry('dashboard');
  const changes = new prom.Counter({
    name: 'sluice_dashboard_changes_total',
    help: 'Admin changes applied, by action',
    labelNames: ['action'] as const,
    registers: [registry],
  });
  const sseClients = new prom.Gauge({
    name: 'sluice_dashboard_live_streams',
    help: 'Open live-console streams',
    registers: [registry],
  });

  const sessions = redisSessions(redis, config.prefix, config.sessionTtlS);
  const latency = checkoutLatency(config.checkoutMetricsUrls, config.checkoutLatencyMetric);
  const hub = liveHub(redis, config.prefix, latency, log, opts.sampleMs);
  const autopilot = startAutopilot({
    redis,
    pool,
    prefix: config.prefix,
    latency,
    log,
    owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    registry,
    ...(opts.autopilotMs === undefined ? {} : { intervalMs: opts.autopilotMs }),
  });
  const streams = new Set<() => void>();
  const sessionStreams = new Map<string, Set<() => void>>();
  const access = new Access({
    redis,
    pool,
    prefix: config.prefix,
    tokens,
    sessions,
    proxies: new TrustedProxies(config.trustedProxies),
    log,
  });
  const closeStreams = (sessionId: string) => {
    for (const close of [...(sessionStreams.get(sessionId) ?? [])]) close();
    sessionStreams.delete(sessionId);
  };
  let accepting = true;

  const app = new HyperExpress.Server({ max_body_length: MAX_BODY_BYTES, fast_abort: true });
  app.use((_req, res, next) => {
    for (const [h, v] of Object.entries(SECURITY_HEADERS)) res.header(h, v);
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get(
    '/readyz',
    handled(log, async (_req, res) => {
      const r = await readiness({
        redis: () => redis.ping(),
        postgres: () => pool.query('SELECT 1'),
      });
      const ready = r.ready && accepting;
      res.status(ready ? 200 : 503).json({ ready, checks: r.checks });
    }),
  );
  app.get(
    '/metrics',
    handled(log, async (_req, res) => {
      res.header('content-type', registry.contentType).send(await registry.metrics());
    }),
  );

  // The console page: 200 with a session or bearer token, else 401 with the same page, whose
  // script then shows the login form.
  app.get(
    '/',
    handled(log, async (req, res) => {
      const who = await access.identify(req, facts(req));
      res.status(who ? 200 : 401).header('cache-control', 'no-store').type('html').send(CONSOLE_HTML);
    }),
  );
  app.get('/assets/console.js', (_req, res) => {
    res.type('js').header('cache-control', 'no-cache').send(bundle.js);
  });
  app.get('/assets/console.css', (_req, res) => {
    res.type('css').header('cache-control', 'no-cache').send(bundle.css);
  });

  const extraOrigins = config.consoleOrigins;
  registerAuthRoutes(app, { tokens, sessions, sessionTtlS: config.sessionTtlS, extraOrigins, log, access, closeStreams });
  registerAdminRoutes(app, { redis, pool, prefix: config.prefix, kek, tokens, sessions, extraOrigins, hub, log, changes, access });
  registerLiveRoutes(app, {
    tokens,
    sessions,
    hub,
    log,
    sseClients,
    streams,
    access,
    sessionStreams,
    ...(opts.streamRecheckMs !== undefined ? { recheckMs: opts.streamRecheckMs } : {}),
  });

  app.set_not_found_handler((req, res) => sendError(log, req, res, new SluiceError('NOT_FOUND')));
  app.set_error_handler((req, res, err) => sendError(log, req, res, err));

  await app.listen(config.port, config.host);
  const port = app.port;
  log.info({ port }, 'dashboard listening');

  return {
    port,
    tokens,
    routes: () => listRoutes(app),
    async close() {
      // Stop accepting and fail readiness, end live streams, then release Redis and PostgreSQL.
      accepting = false;
      app.close();
      hub.close();
      autopilot.close();
      for (const end of [...streams]) end();
      await pool.end().catch(ignoring('postgres pool close at shutdown'));
      redis.disconnect();
    },
  };
}

function listRoutes(app: InstanceType<typeof HyperExpress.Server>): string[] {
  const out: string[] = [];
  const table = app.routes as unknown as Record<string, Record<string, unknown>>;
  for (const [method, byPath] of Object.entries(table)) {
    if (method === 'any') continue; // the not-found handler
    for (const path of Object.keys(byPath)) out.push(`${method.toUpperCase()} ${path.replace(/:(\w+)/g, '{$1}')}`);
  }
  return out.sort();
}
