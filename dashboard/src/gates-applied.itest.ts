// A change made through the admin API is applied by every gate process: two real gate worker
// processes (gate/src/main.ts, GATE_WORKERS=2) report the event version they run with in the
// `gates` hash; the new version must show up for both within a second of the change.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { getEvent, globalKeys } from '@sluice/shared';
import { TEST_REDIS_URL } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN, eventBody, type Rig, startRig, until } from './test-support.ts';

let rig: Rig;
let gate: ChildProcess;
let output = '';
const EVT = 'applied1';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function gateReports(): Promise<{ id: string; version: number | undefined; at: number }[]> {
  const h = await rig.redis.hgetall(globalKeys(rig.prefix).gates);
  return Object.entries(h).map(([id, raw]) => {
    const r = JSON.parse(raw) as { versions: Record<string, number>; at: number };
    return { id, version: r.versions[EVT], at: r.at };
  });
}

beforeAll(async () => {
  rig = await startRig();
  expect((await rig.call('POST', '/v1/events', { token: ADMIN, body: eventBody(EVT) })).status).toBe(201);
  const port = await freePort();
  gate = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../gate/src/main.ts', import.meta.url))], {
    env: {
      ...process.env,
      REDIS_URL: TEST_REDIS_URL,
      SLUICE_PREFIX: rig.prefix,
      GATE_HOST: '127.0.0.1',
      GATE_PORT: String(port),
      GATE_WORKERS: '2',
      GATE_SERVE_PAGE: 'false',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  gate.stdout!.on('data', (d) => {
    output += d;
  });
  gate.stderr!.on('data', (d) => {
    output += d;
  });
  // Both worker processes up and running the event's first version.
  try {
    await until(async () => {
      // The admitter may bump the version itself (scheduled → prequeue): wait for the current one.
      const current = (await getEvent(rig.redis, rig.prefix, EVT))!.version;
      const r = await gateReports();
      return r.length >= 2 && r.every((g) => g.version === current);
    }, 150_000);
  } catch (err) {
    throw new Error(`gates did not come up: ${output.slice(-3000)}`, { cause: err });
  }
}, 180_000);

afterAll(async () => {
  if (gate?.pid && gate.exitCode === null) {
    const exited = new Promise((r) => gate.once('exit', r));
    gate.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  }
  await rig?.close();
});

it('every gate process applies a rate change within 1 s', async () => {
  const t0 = Date.now();
  const res = await rig.call('PATCH', `/v1/events/${EVT}`, { token: ADMIN, body: { rate: 77 } });
  expect(res.status).toBe(200);
  const version = res.json.version as number;
  expect(res.json.config.rate).toBe(77);
  const reports = await until(async () => {
    const r = await gateReports();
    return r.length >= 2 && r.every((g) => (g.version ?? 0) >= version) ? r : null;
  }, 10_000, 10);
  const seenAfter = Date.now() - t0;
  // Each process stamps its report when it wrote it, right after applying the change.
  const appliedAfter = Math.max(...reports.map((g) => g.at)) - t0;
  expect(new Set(reports.map((g) => g.id.split(':')[1])).size).toBeGreaterThanOrEqual(2);
  expect(appliedAfter).toBeLessThan(1000);
  expect(seenAfter).toBeLessThan(1000);
  // The console's view agrees: every fresh gate is on the new version.
  const stats = await rig.call('GET', `/v1/events/${EVT}/stats`, { token: ADMIN });
  expect(stats.json.gates.filter((g: { fresh: boolean }) => g.fresh).length).toBeGreaterThanOrEqual(2);
  expect(stats.json.appliedAll).toBe(true);
  console.log(`rate change applied by ${reports.length} gate processes: reported ${appliedAfter} ms, seen ${seenAfter} ms after the request`);
});
