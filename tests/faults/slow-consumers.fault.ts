// Case 8, slow consumers: 2,000 raw sockets complete the WebSocket handshake, join, and then never
// read (small receive buffers; tests/support/slow_clients.py) while a real two-process gate
// broadcasts a state frame every 20 ms. What drops them: they never answer the gate's pings, so
// the WebSocket idle timeout (GATE_IDLE_TIMEOUT_S, 30 s here) closes them; the gate's memory stays
// within a fixed bound per socket, and a normal shopper keeps receiving frames throughout.
// Measured while writing this: on loopback the kernel's send buffer of such a socket grows with
// TCP autotuning (up to net.ipv4.tcp_wmem max, 4 MiB here) before uWS sees any backpressure, so
// GATE_MAX_BACKPRESSURE alone would take minutes to trigger. docs/RELIABILITY.md has the numbers
// and the deployment's cap on tcp_wmem.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eventKeys, globalKeys } from '@sluice/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Client, connect } from '../../gate/test/client.ts';
import { makeEvent } from '../../gate/test/helpers.ts';
import { childPids, rssBytes } from '../../loadtest/src/lib/proc.ts';
import { type SpawnedGate, spawnGateCluster } from '../support/services.ts';
import { openStores, type Stores } from '../support/stores.ts';
import { sleep, until } from '../support/wait.ts';

const SLOW = 2000;
const MAX_BACKPRESSURE = 1024;
const IDLE_S = 30;
const PY = fileURLToPath(new URL('../support/slow_clients.py', import.meta.url));

let s: Stores;
let gate: SpawnedGate;
let py: ChildProcess | undefined;
let normal: Client;

beforeAll(async () => {
  s = await openStores();
  gate = await spawnGateCluster(s, 2, {
    GATE_TICK_MS: '20',
    GATE_MAX_BACKPRESSURE: String(MAX_BACKPRESSURE),
    GATE_IDLE_TIMEOUT_S: String(IDLE_S),
  });
}, 90_000);

afterAll(async () => {
  normal?.close();
  if (py && py.exitCode === null) {
    py.stdin?.end();
    py.kill('SIGKILL');
  }
  await gate?.stop();
  await s?.cleanup();
});

const workersRss = () => childPids(gate.proc.pid!).reduce((n, p) => n + rssBytes(p), 0);
const socketsOpen = async () =>
  Object.values(await s.redis.hgetall(globalKeys(s.prefix).gates)).reduce(
    (n, v) => n + Number((JSON.parse(v) as { sockets?: number }).sockets ?? 0),
    0,
  );

it('drops 2,000 sockets that never read, with bounded memory, while a normal shopper keeps receiving', async () => {
  const evt = (await makeEvent(s.redis, s.prefix, { queueAll: true })).config.id;
  await until(async () => (await s.redis.hget(eventKeys(s.prefix, evt).event, 'state')) === 'open', 15_000, 'open');
  normal = await connect(`ws://127.0.0.1:${gate.port}/v1/events/${evt}/ws`);
  normal.send({ t: 'join' });
  await normal.next('welcome');
  await sleep(2000);
  const rssBefore = workersRss();

  py = spawn('python3', [PY, '127.0.0.1', String(gate.port), `/v1/events/${evt}/ws`, String(SLOW), 'https://shop.example'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: py.stdout! });
  const replies: string[] = [];
  lines.on('line', (l) => replies.push(l));
  const t0 = Date.now();
  let peakSockets = 0;
  await until(
    async () => {
      peakSockets = Math.max(peakSockets, await socketsOpen());
      return replies.some((l) => l.startsWith('ready'));
    },
    120_000,
    'slow clients connected and joined',
    250,
  );
  const connectS = (Date.now() - t0) / 1000;
  expect(replies.find((l) => l.startsWith('ready'))).toBe(`ready ${SLOW}`);
  // They were really held (the ones connected first may be dropped already when connecting took long).
  await until(
    async () => {
      peakSockets = Math.max(peakSockets, await socketsOpen());
      return peakSockets >= SLOW / 2;
    },
    20_000,
    'the gate holding the slow sockets',
  );

  // Broadcasting continues; the slow sockets fill their buffers and are dropped.
  let peakRss = workersRss();
  const report = async (): Promise<{ established: number; closed: number }> => {
    const n = replies.length;
    py!.stdin!.write('report\n');
    await until(() => replies.slice(n).some((l) => l.startsWith('report')), 10_000, 'report');
    const [, est, closed] = replies.slice(n).find((l) => l.startsWith('report'))!.split(' ');
    return { established: Number(est), closed: Number(closed) };
  };
  const framesBefore = normal.messages.length;
  // Dropped means the gate closed them: its socket count (reported by every process to Redis each
  // second) falls back to the normal shopper alone. The clients themselves may not see the FIN
  // yet: it queues in the kernel behind the bytes they never read.
  await until(
    async () => {
      peakRss = Math.max(peakRss, workersRss());
      return (await socketsOpen()) <= 1;
    },
    IDLE_S * 4 * 1000 + 60_000,
    'every slow socket dropped by the gate',
    500,
  );
  const droppedS = (Date.now() - t0) / 1000;
  const clientView = await report();
  // Memory: the growth while holding them is bounded per socket (uWS state + at most
  // MAX_BACKPRESSURE queued bytes + kernel-side bookkeeping), plus a fixed allowance.
  const perSocketBound = MAX_BACKPRESSURE + 16 * 1024;
  expect(peakRss - rssBefore).toBeLessThan(SLOW * perSocketBound + 64 * 1024 * 1024);
  // The normal shopper never stopped receiving, and is still in line.
  expect(normal.ws.readyState).toBe(normal.ws.OPEN);
  const after = normal.messages.length;
  expect(after - framesBefore).toBeGreaterThan(10);
  await until(() => normal.messages.length > after + 5, 10_000, 'frames still flowing to the normal shopper');
  console.log(
    `slow consumers: ${SLOW} connected in ${connectS.toFixed(1)} s, peak ${peakSockets} held, all dropped ${droppedS.toFixed(1)} s after the first (clients seeing the close: ${clientView.closed}); gate workers RSS before ${(rssBefore / 2 ** 20).toFixed(1)} MiB, peak ${(peakRss / 2 ** 20).toFixed(1)} MiB`,
  );
}, 400_000);
