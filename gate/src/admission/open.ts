// The start of a sale, in bounded steps under the fencing token: freeze the pre-queue and reserve
// its numbers (open-begin), read it page by page, compute the shuffle in memory (SHA-256 of
// seed:placeId; ~3 s of one core at 1,000,000 members, yielding to the event loop), then write
// the numbers a chunk at a time (open-chunk), each call checking the fence and the recorded
// progress. The last chunk reveals the seed and sets the event open in the same step. A leader
// that dies midway leaves the progress in Redis; the next one recomputes the same order from
// the frozen pre-queue and resumes at the first number not yet written.
import {
  eventKeys,
  type Logger,
  LuaCode,
  prequeueDigest,
  type Redis,
  runScript,
  shuffleOrderSliced,
} from '@sluice/shared';

/** Members read per ZRANGE of the frozen pre-queue. */
export const PREQUEUE_PAGE = 10_000;

export interface OpenOptions {
  redis: Redis;
  prefix: string;
  evt: string;
  /** Leader id (the lease holder's value). */
  id: string;
  /** The fencing token this process holds now, or 0 once it lost the lease or stops. */
  fence: () => number;
  /** Ticket numbers written per open-chunk call. */
  chunk: number;
  log: Logger;
  /** Called once the pre-queue is frozen, with its size and the numbers already written. */
  onBegin?: (n: number, done: number) => void;
  /** Called after each chunk written (tests, metrics). */
  onChunk?: (done: number, n: number) => void;
}

export type OpenResult =
  | { kind: 'open'; version: number; n: number }
  /** Deposed, stopped, or the event left the pre-queue (closed) meanwhile. */
  | { kind: 'stopped' };

/** Run (or resume) the opening of `evt`. */
export async function openSale(o: OpenOptions): Promise<OpenResult> {
  const { redis, evt } = o;
  const k = eventKeys(o.prefix, evt);
  const fenceNow = o.fence;
  let fence = fenceNow();
  if (!fence) return { kind: 'stopped' };
  const begin = (
    await runScript<number[]>(
      redis,
      'open-begin',
      [k.event, k.leader, k.fence, k.prequeue, k.seq, k.opening],
      [o.id, fence],
    )
  ).map(Number);
  if (begin[0] !== 1) return { kind: 'stopped' };
  const [, n, , done0] = begin as [number, number, number, number];
  o.onBegin?.(n, done0);
  const members = await readPrequeue(redis, k.prequeue, n);
  const digest = prequeueDigest(members);
  const seed = (await redis.get(k.seed)) ?? '';
  const order = await shuffleOrderSliced(members, seed);
  members.length = 0;
  let done = done0;
  if (done > 0) o.log.info({ evt, done, n }, 'resuming an interrupted opening');
  for (;;) {
    fence = fenceNow();
    if (!fence) return { kind: 'stopped' };
    const ids = order.slice(done, done + o.chunk);
    const r = (
      await runScript<number[]>(
        redis,
        'open-chunk',
        [k.event, k.leader, k.fence, k.prequeue, k.queue, k.opening, k.seed],
        [o.id, fence, done, digest, ...ids],
      )
    ).map(Number);
    const [code, value] = r as [number, number];
    if (code === 3) {
      o.log.info({ evt, shuffled: n }, 'sale opened; pre-queue shuffled');
      return { kind: 'open', version: value, n };
    }
    if (code === 2) {
      done = value;
      o.onChunk?.(done, n);
      continue;
    }
    if (code === LuaCode.STALE && value >= 0 && value !== done) {
      // Another leader wrote meanwhile (we were deposed and re-elected): resume from its progress.
      done = value;
      continue;
    }
    if (code === LuaCode.STALE) throw new Error(`pre-queue of ${evt} does not match its frozen record`);
    return { kind: 'stopped' };
  }
}

/** The frozen pre-queue in rank order (join sequence), read in pages; checks the recorded size. */
export async function readPrequeue(redis: Redis, key: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i += PREQUEUE_PAGE) {
    const page = await redis.zrange(key, i, Math.min(n, i + PREQUEUE_PAGE) - 1);
    for (const m of page) out.push(m);
  }
  if (out.length !== n) throw new Error(`pre-queue ${key} has ${out.length} members, ${n} were frozen`);
  return out;
}
