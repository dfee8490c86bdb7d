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
  pipeScript,
  runScript,
  shuffleOrderSliced,
} from '@sluice/shared';

/** Members read per ZRANGE of the frozen pre-queue. */
export const PREQUEUE_PAGE = 10_000;
/** Pages read, or chunks written, per round trip. */
const WINDOW = 4;

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
  /** Lanes of the event (0 = none): each lane's members are shuffled among themselves. */
  lanes?: number;
  log: Logger;
  /** Renew the lease (returns the fencing token, 0 when lost); called at least every ~0.5 s. */
  renew?: () => Promise<number>;
  /** Kept by the caller across attempts: a retry in the same process reuses the computed order. */
  memo?: { key?: string; order?: string[]; digest?: string };
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
      [o.id, fence, o.lanes ?? 0],
    )
  ).map(Number);
  if (begin[0] !== 1) return { kind: 'stopped' };
  const [, n, , done0] = begin as [number, number, number, number];
  const laneCounts = begin.slice(4);
  o.onBegin?.(n, done0);
  const seed = (await redis.get(k.seed)) ?? '';
  const memoKey = `${n}:${begin[2]}:${seed}`;
  let order: string[];
  let digest: string;
  if (o.memo?.key === memoKey && o.memo.order && o.memo.digest) {
    order = o.memo.order;
    digest = o.memo.digest;
  } else {
    const members = await readPrequeue(redis, k.prequeue, n);
    digest = prequeueDigest(members);
    order = await shuffleLanes(members, laneCounts, seed);
    if (o.memo) Object.assign(o.memo, { key: memoKey, order, digest });
  }
  let done = done0;
  if (done > 0) o.log.info({ evt, done, n }, 'resuming an interrupted opening');
  const keys = [k.event, k.leader, k.fence, k.prequeue, k.queue, k.opening, k.seed];
  let renewedAt = 0;
  for (;;) {
    // The ticks renew the lease too; this keeps it while a busy loop delays them.
    if (o.renew && Date.now() - renewedAt > 500) {
      renewedAt = Date.now();
      if (!(await o.renew())) return { kind: 'stopped' };
    }
    fence = fenceNow();
    if (!fence) return { kind: 'stopped' };
    // A few chunks per round trip, in order. Each is checked against the recorded progress, so
    // any chunk of the window that is not the next one is refused and changes nothing.
    const pipe = redis.pipeline();
    for (let w = 0, off = done; w < WINDOW && (w === 0 || off < n); w++, off += o.chunk) {
      const ids = order.slice(off, off + o.chunk);
      pipeScript(pipe, 'open-chunk', keys, [o.id, fence, off, digest, ...ids]);
    }
    const results = (await pipe.exec()) ?? [];
    for (const [err, r] of results) {
      if (err) throw err;
      const [code, value] = (r as number[]).map(Number) as [number, number];
      if (code === 3) {
        o.log.info({ evt, shuffled: n }, 'sale opened; pre-queue shuffled');
        return { kind: 'open', version: value, n };
      }
      if (code === 2) {
        done = value;
        o.onChunk?.(done, n);
        continue;
      }
      if (code === LuaCode.STALE && value >= 0) {
        // Not the next chunk (another leader wrote meanwhile): carry on from the recorded progress.
        done = value;
        continue;
      }
      if (code === LuaCode.STALE) throw new Error(`pre-queue of ${evt} has no opening record`);
      return { kind: 'stopped' };
    }
  }
}

/**
 * The shuffled order: without lanes the whole pre-queue; with lanes (members in rank order are
 * lane 0's, then lane 1's, ...: their scores carry the lane) each lane's run shuffled on its own
 * and the runs kept in lane order, as open-chunk numbers them.
 */
async function shuffleLanes(members: string[], counts: number[], seed: string): Promise<string[]> {
  if (counts.length === 0) return shuffleOrderSliced(members, seed);
  const out: string[] = [];
  let at = 0;
  for (const c of counts) {
    for (const m of await shuffleOrderSliced(members.slice(at, at + c), seed)) out.push(m);
    at += c;
  }
  if (at !== members.length) throw new Error(`lane counts ${counts.join('+')} do not add up to ${members.length}`);
  return out;
}

/** The frozen pre-queue in rank order (join sequence), read in pages (a few per round trip). */
export async function readPrequeue(redis: Redis, key: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i += PREQUEUE_PAGE * WINDOW) {
    const pipe = redis.pipeline();
    for (let p = i; p < Math.min(n, i + PREQUEUE_PAGE * WINDOW); p += PREQUEUE_PAGE)
      pipe.zrange(key, p, Math.min(n, p + PREQUEUE_PAGE) - 1);
    for (const [err, page] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      for (const m of page as string[]) out.push(m);
    }
  }
  if (out.length !== n) throw new Error(`pre-queue ${key} has ${out.length} members, ${n} were frozen`);
  return out;
}
