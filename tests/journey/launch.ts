// `npm start` as a child process for the journey and crowd tests: free ports, a unique Redis
// prefix and PostgreSQL schema (so parallel tests and a developer's own `npm start` do not
// share the demo event), and the URLs and admin token it prints.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createPool, type Pool, type Redis } from '@sluice/shared';
import { redisFixture, TEST_DATABASE_URL, uniqueId } from '@sluice/shared/testing/index.ts';
import { killLaunchedWith } from '../support/orphans.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A free port below the ephemeral range (32768+), so no outgoing connection takes it meanwhile. */
export function freePort(): Promise<number> {
  const port = 20_000 + Math.floor(Math.random() * 12_000);
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(freePort()));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(port)));
  });
}

export interface Launched {
  prefix: string;
  schema: string;
  /** A pool on the stack's schema, to check what the worker wrote. */
  pool: Pool;
  /** A client on the stack's Redis (its keys are under `prefix`). */
  redis: Redis;
  ports: { gate: number; checkout: number; dashboard: number; worker: number; storefront: number };
  gateUrl: string;
  queuePageUrl: string;
  storeUrl: string;
  dashboardUrl: string;
  adminToken: string;
  /** Everything the launcher printed so far. */
  output(): string;
  /** Ctrl-C, then drop the schema; resolves with the launcher's exit code. */
  stop(): Promise<number | null>;
}

export async function launchStack(extraEnv: Record<string, string> = {}): Promise<Launched> {
  const fx = await redisFixture();
  const prefix = fx.prefix;
  const schema = uniqueId('journey_');
  const admin = createPool(TEST_DATABASE_URL, { max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const ports = {
    gate: await freePort(),
    checkout: await freePort(),
    dashboard: await freePort(),
    worker: await freePort(),
    storefront: await freePort(),
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLUICE_PREFIX: prefix,
    // The schema travels inside DATABASE_URL, which every child needs anyway.
    DATABASE_URL: `${TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    GATE_PORT: String(ports.gate),
    CHECKOUT_PORT: String(ports.checkout),
    DASHBOARD_PORT: String(ports.dashboard),
    WORKER_METRICS_PORT: String(ports.worker),
    STOREFRONT_PORT: String(ports.storefront),
    GATE_WORKERS: '2',
    // Our own token: the launcher would write a generated one to .data/admin-token, which stacks
    // started in parallel share.
    ADMIN_TOKEN: randomBytes(18).toString('base64url'),
    ...extraEnv,
  };
  delete env.GATE_PUBLIC_URL;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 180_000;
  while (!out.includes('admin token:') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 250));
  }
  const line = (name: string) => new RegExp(`^${name} +(http\\S+)`, 'm').exec(out)?.[1];
  const token = out.includes('admin token:') ? env.ADMIN_TOKEN : undefined;
  if (!token) {
    child.kill('SIGKILL');
    killLaunchedWith(prefix); // its services run in their own process groups
    throw new Error(`npm start did not come up:\n${out}`);
  }
  const pool = createPool(TEST_DATABASE_URL, { schema, max: 2 });
  let stopped: Promise<number | null> | undefined;
  return {
    prefix,
    schema,
    pool,
    redis: fx.redis,
    ports,
    gateUrl: line('gate')!,
    queuePageUrl: line('queue page')!,
    storeUrl: line('storefront')!,
    dashboardUrl: line('dashboard')!,
    adminToken: token,
    output: () => out,
    stop() {
      stopped ??= (async () => {
        const code =
          child.exitCode !== null
            ? child.exitCode
            : await new Promise<number | null>((resolve) => {
                const kill = setTimeout(() => {
                  child.kill('SIGKILL');
                  killLaunchedWith(prefix); // its services run in their own process groups
                }, 60_000);
                child.once('exit', (c) => {
                  clearTimeout(kill);
                  resolve(c);
                });
                child.kill('SIGINT');
              });
        await pool.end();
        await fx.cleanup();
        const a = createPool(TEST_DATABASE_URL, { max: 1 });
        await a.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await a.end();
        return code;
      })();
      return stopped;
    },
  };
}
