import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.ts';

function recorder(maxSize: number, maxWaitMs: number) {
  const batches: string[][] = [];
  const b = new Batcher<string, string>({
    maxSize,
    maxWaitMs,
    key: (s) => s,
    flush: async (items) => {
      batches.push(items);
      return items.map((s) => (s.startsWith('bad') ? new Error(s) : s.toUpperCase()));
    },
  });
  return { b, batches };
}

describe('Batcher', () => {
  it('flushes when full, each caller getting its own result', async () => {
    const { b, batches } = recorder(3, 60_000);
    const results = await Promise.all(['a', 'b', 'c'].map((s) => b.submit(s)));
    expect(results).toEqual(['A', 'B', 'C']);
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('flushes a partial batch after maxWaitMs', async () => {
    const { b, batches } = recorder(100, 5);
    expect(await Promise.all([b.submit('x'), b.submit('y')])).toEqual(['X', 'Y']);
    expect(batches).toEqual([['x', 'y']]);
  });

  it('rejects only the item whose slot holds an Error', async () => {
    const { b } = recorder(2, 5);
    const [ok, bad] = await Promise.allSettled([b.submit('ok'), b.submit('bad-1')]);
    expect(ok).toEqual({ status: 'fulfilled', value: 'OK' });
    expect(bad.status).toBe('rejected');
  });

  it('shares one slot between submits of the same key', async () => {
    const { b, batches } = recorder(10, 5);
    expect(await Promise.all([b.submit('same'), b.submit('same')])).toEqual(['SAME', 'SAME']);
    expect(batches).toEqual([['same']]);
  });

  it('rejects the whole batch when the flush throws, and drain waits for flushes', async () => {
    const b = new Batcher<string, string>({
      maxSize: 10,
      maxWaitMs: 60_000,
      key: (s) => s,
      flush: async () => {
        throw new Error('database down');
      },
    });
    const p = Promise.allSettled([b.submit('a'), b.submit('b')]);
    await b.drain();
    expect((await p).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(b.size).toBe(0);
  });

  it('splits more than maxSize waiting items over several batches', async () => {
    const { b, batches } = recorder(2, 5);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((s) => b.submit(s)));
    expect(batches.flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(Math.max(...batches.map((x) => x.length))).toBeLessThanOrEqual(2);
  });
});
