// What one admission tick reads before planning, in one pipeline on the event's slot: the
// admitter's bookkeeping, the stock counters, the active (unexpired) admissions and the line.
import type { eventKeys, Redis } from '@sluice/shared';

export async function readTickInputs(
  redis: Redis,
  k: ReturnType<typeof eventKeys>,
  now: number,
): Promise<[Record<string, string>, string[], number, number]> {
  const res =
    (await redis
      .pipeline()
      .hgetall(k.stats)
      .hvals(k.stock)
      .zcount(k.admitted, now, '+inf')
      .zcard(k.queue)
      .exec()) ?? [];
  for (const [err] of res) if (err) throw err;
  const v = res.map(([, x]) => x);
  return [v[0] as Record<string, string>, v[1] as string[], Number(v[2]), Number(v[3])];
}
