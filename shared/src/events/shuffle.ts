// Fair, verifiable pre-queue shuffle. The seed's SHA-256 is published when the event is created
// (before anyone can join); the seed is revealed at the start. The order is: sort the pre-queue
// members by SHA-256(seed + ":" + member), ties broken by the member id. Anyone holding the
// published member list and the revealed seed can recompute it (gate/scripts/verify-shuffle.ts).
//
// Sized for a million members: the digests live in one Buffer (32 B each) and an index array is
// sorted, so no per-member object or hex string is built (~45 MB and ~2.5 s of one core at 1M,
// against ~300 MB for an array of {member, hex} objects). The async form yields to the event
// loop between slices of hashing, so a gate process keeps serving while it opens a big sale.
import { createHash, randomBytes } from 'node:crypto';
import { setImmediate as yieldLoop } from 'node:timers/promises';

export function newSeed(): string {
  return randomBytes(32).toString('hex');
}

export function seedHash(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/**
 * SHA-256 (hex) of a published pre-queue member list: each member followed by "\n", in the
 * order served (join order). Recorded at the start, so a reader of the pages can check that it
 * got the complete list everybody else got.
 */
export function prequeueDigest(members: Iterable<string>): string {
  const h = createHash('sha256');
  for (const m of members) h.update(`${m}\n`);
  return h.digest('hex');
}

/** The shuffled order of `members` under `seed`; the first gets ticket number 1. */
export function shuffleOrder(members: readonly string[], seed: string): string[] {
  const digests = Buffer.allocUnsafe(members.length * 32);
  hashRange(members, seed, digests, 0, members.length);
  return sortByDigest(members, digests);
}

/** shuffleOrder, yielding to the event loop every `slice` members while hashing. */
export async function shuffleOrderSliced(
  members: readonly string[],
  seed: string,
  slice = 20_000,
): Promise<string[]> {
  const digests = Buffer.allocUnsafe(members.length * 32);
  for (let i = 0; i < members.length; i += slice) {
    hashRange(members, seed, digests, i, Math.min(members.length, i + slice));
    await yieldLoop();
  }
  // Sorted in runs of `slice`, then merged bottom-up, yielding every `slice` elements: one
  // synchronous sort of a million would hold the event loop for seconds on a busy machine.
  const n = members.length;
  const cmp = comparator(members, digests);
  let src = new Uint32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  for (let i = 0; i < n; i += slice) {
    src.subarray(i, Math.min(n, i + slice)).sort(cmp);
    await yieldLoop();
  }
  let dst = new Uint32Array(n);
  let steps = 0;
  for (let width = slice; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        dst[k++] = cmp(src[i]!, src[j]!) <= 0 ? src[i++]! : src[j++]!;
        if (++steps % slice === 0) await yieldLoop();
      }
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    [src, dst] = [dst, src];
  }
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = members[src[i]!]!;
  return out;
}

/** Order of two member indexes: digest (first 32 bits, then all of it), then member id. */
function comparator(members: readonly string[], digests: Buffer): (a: number, b: number) => number {
  const n = members.length;
  const head = new Uint32Array(n);
  for (let i = 0; i < n; i++) head[i] = digests.readUInt32BE(i * 32);
  return (a, b) => {
    const ha = head[a]!;
    const hb = head[b]!;
    if (ha !== hb) return ha < hb ? -1 : 1;
    const c = digests.compare(digests, b * 32, b * 32 + 32, a * 32, a * 32 + 32);
    if (c !== 0) return c;
    const ma = members[a]!;
    const mb = members[b]!;
    return ma < mb ? -1 : ma > mb ? 1 : 0;
  };
}

function hashRange(members: readonly string[], seed: string, out: Buffer, from: number, to: number): void {
  for (let i = from; i < to; i++)
    createHash('sha256')
      .update(`${seed}:${members[i]}`)
      .digest()
      .copy(out, i * 32);
}

function sortByDigest(members: readonly string[], digests: Buffer): string[] {
  const n = members.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort(comparator(members, digests));
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = members[idx[i]!]!;
  return out;
}
