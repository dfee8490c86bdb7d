// `npm start`: the whole Sluice stack on one host with a demo sale.
// Order up: Redis and PostgreSQL (found or embedded) → migrations → demo event → gate workers,
// checkout API, order worker, dashboard, demo storefront. Order down (Ctrl-C): gate (stop
// accepting, close sockets with GOING_AWAY), checkout (finish in-flight requests), worker
// (finish in-flight jobs), dashboard, storefront, then embedded Redis/PostgreSQL.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createPool, createRedis, loadConfigOrExit, migrate, seedDemo, workerSchema } from '@sluice/shared';
import { type Dependency, ensurePostgres, ensureRedis, ensureRedisCluster } from './launcher/services.ts';
import { type ChildName, childEnv } from './launcher/env.ts';
import { killAllNow, type Service, startService, stopService, waitReady } from './launcher/processes.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = `${root}.data`;
const logDir = `${dataDir}/logs`;
const say = (m: string) => process.stdout.write(`${m}\n`);

const ports = {
  gate: Number(process.env.GATE_PORT || 8080),
  checkout: Number(process.env.CHECKOUT_PORT || 8081),
  dashboard: Number(process.env.DASHBOARD_PORT || 8082),
  worker: Number(process.env.WORKER_METRICS_PORT || 8083),
  storefront: Number(process.env.STOREFRONT_PORT || 8084),
};
const host = 'localhost';
const gateUrl = process.env.GATE_PUBLIC_URL || `http://${host}:${ports.gate}`;
const storefrontUrl = `http://${host}:${ports.storefront}`;

const deps: Dependency[] = [];
const services: Service[] = [];
let stopping = false;

async function main(): Promise<void> {
  // REDIS_CLUSTER_NODES (validated as every service validates it): run on that cluster.
  const clusterNodes = loadConfigOrExit(workerSchema).redisClusterNodes;
  const redisDep = clusterNodes.length ? await ensureRedisCluster(clusterNodes) : await ensureRedis(dataDir, say);
  deps.push(redisDep);
  const pgDep = await ensurePostgres(dataDir, say);
  deps.push(pgDep);
  const prefix = process.env.SLUICE_PREFIX || 'sluice';

  const pool = createPool(pgDep.url, { max: 2 });
  await migrate(pool);
  const redis = createRedis({ redisUrl: redisDep.url, redisClusterNodes: clusterNodes });
  const origins = [gateUrl, storefrontUrl, `http://127.0.0.1:${ports.gate}`];
  // DEMO_OPENS_IN_S: seconds from now to the demo sale's start (default 30; the journey test
  // gives a slow machine more time to bring the stack up before the countdown ends).
  const opensInMs = Number(process.env.DEMO_OPENS_IN_S || 30) * 1000;
  const demo = await seedDemo(redis, pool, prefix, { now: Date.now(), origins, returnUrl: `${storefrontUrl}/demo-store/`, opensInMs });
  redis.disconnect();
  await pool.end();

  const adminToken = process.env.ADMIN_TOKEN || randomBytes(18).toString('base64url');
  // Every service on loopback unless the operator says otherwise (GATE_HOST=0.0.0.0 …).
  const loopback = '127.0.0.1';
  const env: Record<string, string> = {
    GATE_HOST: process.env.GATE_HOST || loopback,
    CHECKOUT_HOST: process.env.CHECKOUT_HOST || loopback,
    DASHBOARD_HOST: process.env.DASHBOARD_HOST || loopback,
    WORKER_METRICS_HOST: process.env.WORKER_METRICS_HOST || loopback,
    SLUICE_KEY_ENCRYPTION_KEY: process.env.SLUICE_KEY_ENCRYPTION_KEY || developmentKek(),
    REDIS_URL: redisDep.url,
    REDIS_CLUSTER_NODES: clusterNodes.join(','),
    DATABASE_URL: pgDep.url,
    SLUICE_PREFIX: prefix,
    GATE_PORT: String(ports.gate),
    GATE_PUBLIC_URL: gateUrl,
    CHECKOUT_PORT: String(ports.checkout),
    DASHBOARD_PORT: String(ports.dashboard),
    WORKER_METRICS_PORT: String(ports.worker),
    STORE_PORT: String(ports.storefront),
    STORE_HOST: loopback,
    STORE_PUBLIC_ORIGIN: storefrontUrl,
    QUEUE_PAGE_URL: `${gateUrl}/queue/`,
    EVENT_ID: 'demo',
    JWKS_URL: `http://127.0.0.1:${ports.gate}/.well-known/jwks.json`,
    CHECKOUT_CORS_ORIGINS: storefrontUrl,
    CHECKOUT_METRICS_URLS: `http://127.0.0.1:${ports.checkout}/metrics`,
    GATE_METRICS_URLS: `http://127.0.0.1:${ports.gate}/metrics`,
    // The checkout API as the demo shop's server reaches it (it places orders server to server).
    CHECKOUT_URL: `http://127.0.0.1:${ports.checkout}`,
    GATE_URL: gateUrl,
    ADMIN_TOKEN: adminToken,
  };

  if (pageBuildStale() && existsSync(`${root}gate/page/build.ts`)) {
    say('building the queue page (gate/page/dist)');
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'gate/page/build.ts'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('queue page build failed');
  }

  const plan: Array<[string, string, string]> = [
    ['gate', 'gate/src/main.ts', `http://127.0.0.1:${ports.gate}/readyz`],
    ['checkout', 'checkout/src/main.ts', `http://127.0.0.1:${ports.checkout}/readyz`],
    ['worker', 'checkout/src/worker/main.ts', `http://127.0.0.1:${ports.worker}/readyz`],
    ['dashboard', 'dashboard/src/main.ts', `http://127.0.0.1:${ports.dashboard}/readyz`],
  ];
  if (existsSync(`${root}examples/storefront/main.ts`)) {
    plan.push(['storefront', 'examples/storefront/main.ts', `http://127.0.0.1:${ports.storefront}/demo-store/`]);
  }
  for (const [name, entry] of plan) {
    services.push(startService(name, entry, childEnv(name as ChildName, env), { root, logDir }));
  }
  await Promise.all(plan.map(([, , ready], i) => waitReady(ready, services[i]!)));

  say(`redis      ${withoutCredentials(redisDep.url)} (${redisDep.source})`);
  say(`postgres   ${withoutCredentials(pgDep.url)} (${pgDep.source})`);
  say(`gate       ${gateUrl}  (WebSocket ${gateUrl.replace(/^http/, 'ws')}/v1/events/${demo.id}/ws)`);
  say(`queue page ${gateUrl}/queue/?event=${demo.id}`);
  say(`checkout   http://${host}:${ports.checkout}`);
  say(`dashboard  http://${host}:${ports.dashboard}`);
  if (services.some((s) => s.name === 'storefront')) say(`storefront ${storefrontUrl}/demo-store/`);
  // The token goes to a file only its owner can read, not to the terminal (scrollback, recordings).
  const tokenFile = `${dataDir}/admin-token`;
  writeFileSync(tokenFile, `${adminToken}\n`, { mode: 0o600 });
  say(`admin token: in ${tokenFile} (log in at the dashboard with it)`);
  say(`demo sale "${demo.id}": ${demo.products[0]!.stock} units, opens at ${new Date(demo.startAt).toISOString()}`);
  say(`logs in ${logDir}; Ctrl-C stops everything`);

  for (const s of services) {
    s.child.once('exit', (code, signal) => {
      if (!stopping) {
        say(`${s.name} exited unexpectedly (${signal ?? code}); stopping the stack. See ${s.logFile}`);
        void shutdown(1);
      }
    });
  }
}

/** A URL as it may be printed: no user name, no password. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * The key sealing the ticket-signing keys in development: made once, kept in .data (owner-only),
 * so the keys already in the local Redis stay readable across restarts. Production sets its own.
 */
function developmentKek(): string {
  const file = `${dataDir}/key-encryption-key`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const kek = randomBytes(32).toString('hex');
  writeFileSync(file, `${kek}\n`, { mode: 0o600 });
  return kek;
}

/** No built queue page, or one older than its sources (after a `git pull`, a stale page would
 * speak an older protocol to the gate). */
function pageBuildStale(): boolean {
  const built = `${root}gate/page/dist/index.html`;
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  const sources = [`${root}gate/page/build.ts`, ...readdirSync(`${root}gate/page/src`).map((f) => `${root}gate/page/src/${f}`)];
  return sources.some((f) => statSync(f).mtimeMs > builtAt);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping: gate, checkout, worker, dashboard, storefront, then Redis/PostgreSQL');
  for (const name of ['gate', 'checkout', 'worker', 'dashboard', 'storefront']) {
    const svc = services.find((s) => s.name === name);
    if (svc) await stopService(svc);
  }
  for (const d of deps.reverse()) await d.stop().catch((err: unknown) => say(`could not stop a store: ${String(err)}`));
  say('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('exit', () => killAllNow(services));

main().catch(async (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  if (services.length === 0) {
    // Nothing of ours runs yet: one line, no shutdown chatter.
    stopping = true;
    for (const d of deps.reverse()) await d.stop().catch((err: unknown) => say(`could not stop a store: ${String(err)}`));
    process.exit(1);
  }
  await shutdown(1);
});
