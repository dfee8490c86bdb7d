// Issue 16 item 7: an error a caller carries on after is counted every time and logged with its
// context at most once a minute. A real ioredis client pointed at a port nobody listens on emits
// connection errors on every reconnect attempt; before, `redis.on('error', () => {})` dropped
// them without a trace.
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { createRedis } from '../redis.ts';
import { ignoredErrors, noteIgnored, setIgnoredErrorLog } from './ignored.ts';
import { createLogger } from './log.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  setIgnoredErrorLog(createLogger('test', 'info', sink));
  return lines;
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const count = async (kind: string) => (await ignoredErrors.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;

it('counts every connection error of a Redis client and logs it once a minute, with context', async () => {
  const lines = capture();
  const before = await count('redis connection');
  const redis = createRedis(`redis://127.0.0.1:${await closedPort()}`, { retryStrategy: () => 20, maxRetriesPerRequest: 0 });
  try {
    const start = Date.now();
    while ((await count('redis connection')) - before < 3 && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect((await count('redis connection')) - before).toBeGreaterThanOrEqual(3);
    const logged = lines.filter((l) => l.kind === 'redis connection');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, msg: 'ignored error: redis connection' });
    expect(String((logged[0]!.err as { message?: string }).message)).toMatch(/ECONNREFUSED/);
  } finally {
    redis.disconnect();
  }
});

it('logs a kind again after a minute, saying how many it did not log', () => {
  const lines = capture();
  const t0 = 1_000_000_000_000;
  expect(noteIgnored('test kind', new Error('a'), { evt: 'e1' }, t0)).toBe(true);
  expect(noteIgnored('test kind', new Error('b'), {}, t0 + 1000)).toBe(false);
  expect(noteIgnored('test kind', new Error('c'), {}, t0 + 2000)).toBe(false);
  expect(noteIgnored('test kind', new Error('d'), {}, t0 + 61_000)).toBe(true);
  expect(lines.map((l) => [l.evt ?? null, l.notLoggedSince])).toEqual([
    ['e1', 0],
    [null, 2],
  ]);
});
