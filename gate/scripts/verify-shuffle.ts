// Recompute a pre-queue shuffle from what the gate published, and check it against the seed
// hash committed before anyone joined and the digest of the frozen member list.
//
//   node --import tsx gate/scripts/verify-shuffle.ts https://gate.example/v1/events/drop1/prequeue
//   node --import tsx gate/scripts/verify-shuffle.ts prequeue.json      (a saved copy)
//
// A URL is read page by page (`?offset=&limit=10000`, following `next`) up to its `total`; a
// file is one JSON object `{seedHash, seed, members, total?, digest?}`. Checks SHA-256(seed) ==
// seedHash, the member count == total and SHA-256 of the list == digest. Output: the members in
// admission order (ticket number 1 first), one per line; `--summary` prints one line
// `ok <members> <digest>` instead, and `--place <placeId>` only that place's number (after the
// summary line when both are given; `<lane> <number>` for an event with lanes, whose list comes
// lane by lane with each lane's run shuffled on its own).
import { readFile } from 'node:fs/promises';
import { PREQUEUE_PAGE_MAX, type PrequeuePage, prequeueDigest, seedHash, shuffleOrder } from '@sluice/shared';

export interface PublishedPrequeue {
  seedHash: string | null;
  seed: string | null;
  members: string[];
  /** Size of the frozen list, when published. */
  total?: number;
  /** SHA-256 of the list (each member + "\n"), when published. */
  digest?: string | null;
  /** Events with lanes: the list is lane by lane, `n` members each; each run is shuffled on its own. */
  lanes?: { id: string; n: number }[];
}

/** The shuffled order, or an error message when the seed, count or digest do not match. */
export function verifyShuffle(
  p: PublishedPrequeue,
): { ok: true; order: string[]; lanes?: { id: string; n: number }[] } | { ok: false; error: string } {
  if (!p.seed) return { ok: false, error: 'the seed has not been revealed yet (before the start)' };
  if (!p.seedHash || seedHash(p.seed) !== p.seedHash) {
    return { ok: false, error: 'SHA-256 of the revealed seed does not match the published seed hash' };
  }
  if (p.total !== undefined && p.total !== p.members.length)
    return { ok: false, error: `got ${p.members.length} members, the frozen pre-queue has ${p.total}` };
  if (p.digest && prequeueDigest(p.members) !== p.digest)
    return { ok: false, error: 'the member list does not match the published digest' };
  if (!p.lanes) return { ok: true, order: shuffleOrder(p.members, p.seed) };
  if (p.lanes.reduce((a, l) => a + l.n, 0) !== p.members.length)
    return { ok: false, error: 'the lane counts do not add up to the member list' };
  // Lane by lane: lane L's members get L's numbers 1..n in the order of their own shuffle.
  const order: string[] = [];
  let at = 0;
  for (const l of p.lanes) {
    for (const m of shuffleOrder(p.members.slice(at, at + l.n), p.seed)) order.push(m);
    at += l.n;
  }
  return { ok: true, order, lanes: p.lanes };
}

/** The lane and number of position `i` (0-based) of a laned order, or the plain number. */
export function numberAt(i: number, lanes: { id: string; n: number }[] | undefined): string {
  if (!lanes) return String(i + 1);
  let at = 0;
  for (const l of lanes) {
    if (i < at + l.n) return `${l.id} ${i - at + 1}`;
    at += l.n;
  }
  return String(i + 1);
}

/** Read every page of a published pre-queue (bounded pages, one after the other). */
export async function fetchPrequeue(url: string): Promise<PublishedPrequeue> {
  const members: string[] = [];
  let first: PrequeuePage | undefined;
  let offset: number | null = 0;
  while (offset !== null) {
    const u = new URL(url);
    u.searchParams.set('offset', String(offset));
    u.searchParams.set('limit', String(PREQUEUE_PAGE_MAX));
    const r = await fetch(u);
    if (!r.ok) throw new Error(`${u}: HTTP ${r.status}`);
    const page = (await r.json()) as PrequeuePage;
    if (page.offset !== members.length)
      throw new Error(`${u}: page at ${page.offset}, expected ${members.length}`);
    if (first && (page.total !== first.total || page.digest !== first.digest || page.seed !== first.seed))
      throw new Error(`${u}: the list changed while it was read (not frozen yet?)`);
    first ??= page;
    for (const m of page.members) members.push(m);
    offset = page.next;
  }
  if (!first) throw new Error('no page');
  return { seedHash: first.seedHash, seed: first.seed, members, total: first.total, digest: first.digest, ...(first.lanes ? { lanes: first.lanes } : {}) };
}

async function main(argv: string[]): Promise<number> {
  const src = argv[0];
  if (!src) {
    process.stderr.write('usage: verify-shuffle <url-or-file> [--place <placeId> | --summary]\n');
    return 2;
  }
  const published = /^https?:\/\//.test(src)
    ? await fetchPrequeue(src)
    : (JSON.parse(await readFile(src, 'utf8')) as PublishedPrequeue);
  const r = verifyShuffle(published);
  if (!r.ok) {
    process.stderr.write(`verify-shuffle: ${r.error}\n`);
    return 1;
  }
  const summary = argv.includes('--summary');
  if (summary)
    process.stdout.write(`ok ${r.order.length} ${published.digest ?? prequeueDigest(published.members)}\n`);
  const i = argv.indexOf('--place');
  if (i >= 0) {
    const n = r.order.indexOf(argv[i + 1] ?? '');
    if (n < 0) {
      process.stderr.write('verify-shuffle: no such place in the pre-queue\n');
      return 1;
    }
    process.stdout.write(`${numberAt(n, r.lanes)}\n`);
    return 0;
  }
  if (summary) return 0;
  // Written in slices: one string of a million ids would be a needless 20 MB copy.
  for (let j = 0; j < r.order.length; j += 10_000)
    process.stdout.write(`${r.order.slice(j, j + 10_000).join('\n')}\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
