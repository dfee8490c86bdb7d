// `npm run build` output runs with plain node (no TypeScript loader): the gate (supervisor and
// two built workers), the checkout API, the order worker and the dashboard answer /healthz, and
// the built migrator applies shared/migrations. Each is started from <workspace>/build/*.js with
// NODE_OPTIONS cleared, so a stray .ts import or a missing asset (Lua, migrations, console
// source) fails here.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, sep } from 'node:path';
import { migrationFiles } from '@sluice/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../gate/test/spawn.ts';
import { openStores, type Stores } from '../tests/support/stores.ts';
import { until } from '../tests/support/wait.ts';
import { buildServices, ROOT } from './build.ts';

let s: Stores;
let built: string[] = [];
const procs: ChildProcess[] = [];

beforeAll(async () => {
  built = await buildServices();
  s = await openStores();
}, 120_000);

afterAll(async () => {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
        }),
    ),
  );
  await s?.cleanup();
});

function run(
  file: string,
  env: Record<string, string>,
): { proc: ChildProcess; output(): string; exited: Promise<number | null> } {
  let out = '';
  const { NODE_OPTIONS: _loader, ...inherited } = process.env;
  const proc = spawn(process.execPath, [join(ROOT, file)], {
    cwd: ROOT,
    env: { ...inherited, ...s.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  return { proc, output: () => out, exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
}

async function healthy(file: string, port: number, env: Record<string, string>): Promise<() => string> {
  const p = run(file, env);
  await until(
    async () => {
      if (p.proc.exitCode !== null) throw new Error(`${file} exited:\n${p.output().slice(-3000)}`);
      return fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false, // not listening yet
      );
    },
    30_000,
    `${file} healthy`,
    200,
  );
  return p.output;
}

describe('the built JavaScript', () => {
  it('imports only packages its workspace depends on in production (the image prunes the rest)', () => {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const file of built) {
      const ws = relative(ROOT, file).split(sep)[0] ?? '';
      const pkg = JSON.parse(readFileSync(join(ROOT, ws, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const text = readFileSync(file, 'utf8');
      // Static imports and re-exports start a line in esbuild's output; dynamic ones are import("x").
      const specs = /^(?:import|export)\b[^;]*?(?:from\s*)?"([^"]+)";|\bimport\("([^"]+)"\)/gm;
      for (const m of text.matchAll(specs)) {
        const spec = m[1] ?? m[2] ?? '';
        if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        const name = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : (spec.split('/')[0] ?? '');
        seen.add(name);
        if (!pkg.dependencies?.[name])
          problems.push(`${relative(ROOT, file)} imports ${name}, not a dependency of ${ws}`);
      }
    }
    expect(problems).toEqual([]);
    expect([...seen]).toEqual(
      expect.arrayContaining(['uWebSockets.js', 'hyper-express', 'pg', 'ioredis']),
    );
  });

  it('migrates with node checkout/build/db/migrate-cli.js', async () => {
    const schema = `build_${process.pid}_${Date.now()}`;
    await s.pool.query(`CREATE SCHEMA ${schema}`);
    try {
      const p = run('checkout/build/db/migrate-cli.js', { PGOPTIONS: `-c search_path=${schema}` });
      expect(await p.exited, p.output()).toBe(0);
      const { rows } = await s.pool.query<{ name: string }>(
        `SELECT name FROM ${schema}.schema_migrations ORDER BY name`,
      );
      expect(rows.map((r) => r.name)).toEqual(migrationFiles());
    } finally {
      await s.pool.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  it('runs the gate (supervisor and two built workers), checkout, order worker and dashboard', async () => {
    const gatePort = await freePort();
    await healthy('gate/build/main.js', gatePort, {
      GATE_PORT: String(gatePort),
      GATE_HOST: '127.0.0.1',
      GATE_WORKERS: '2',
      GATE_SERVE_PAGE: 'false',
    });
    // Both workers answer (fleet metrics reach every built worker over IPC) and the Lua scripts
    // loaded: the gate is ready only once Redis answered with its scripts defined.
    await until(
      async () =>
        /sluice_gate_sockets\{[^}]*worker="1"/.test(
          await (await fetch(`http://127.0.0.1:${gatePort}/metrics`)).text(),
        ),
      20_000,
      'metrics of both workers',
    );
    await until(
      async () => (await fetch(`http://127.0.0.1:${gatePort}/readyz`)).status === 200,
      20_000,
      'gate ready',
    );

    const checkoutPort = await freePort();
    await healthy('checkout/build/main.js', checkoutPort, {
      CHECKOUT_PORT: String(checkoutPort),
      CHECKOUT_HOST: '127.0.0.1',
      JWKS_URL: `http://127.0.0.1:${gatePort}/.well-known/jwks.json`,
    });
    const workerPort = await freePort();
    await healthy('checkout/build/worker/main.js', workerPort, { WORKER_METRICS_PORT: String(workerPort) });
    const dashboardPort = await freePort();
    await healthy('dashboard/build/main.js', dashboardPort, {
      DASHBOARD_PORT: String(dashboardPort),
      DASHBOARD_HOST: '127.0.0.1',
      ADMIN_TOKEN: 'build-test-admin-token-0123456789abcdef',
    });
    // The console page is bundled at start from its browser source.
    const page = await fetch(`http://127.0.0.1:${dashboardPort}/assets/console.js`);
    expect(page.status).toBe(200);
  });
});
