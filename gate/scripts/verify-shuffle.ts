// Recompute a pre-queue shuffle from what the gate published, and check it against the seed
// hash committed before anyone joined.
//
//   node --import tsx gate/scripts/verify-shuffle.ts https://gate.example/v1/events/drop1/prequeue
//   node --import tsx gate/scripts/verify-shuffle.ts prequeue.json      (a saved copy)
//
// The input is the body of GET /v1/events/:id/prequeue after the start:
//   { evt, state, seedHash, seed, members: [placeId, ...] }
// Output: the members in admission order (ticket number 1 first), one per line, after checking
// SHA-256(seed) == seedHash. Pass `--place <placeId>` to print only that place's number.
import { readFile } from 'node:fs/promises';
import { seedHash, shuffleOrder } from '@sluice/shared';

export interface PublishedPrequeue {
  seedHash: string | null;
  seed: string | null;
  members: string[];
}

/** The shuffled order, or an error message when the seed is missing or does not match. */
export function verifyShuffle(
  p: PublishedPrequeue,
): { ok: true; order: string[] } | { ok: false; error: string } {
  if (!p.seed) return { ok: false, error: 'the seed has not been revealed yet (before the start)' };
  if (!p.seedHash || seedHash(p.seed) !== p.seedHash) {
    return { ok: false, error: 'SHA-256 of the revealed seed does not match the published seed hash' };
  }
  return { ok: true, order: shuffleOrder(p.members, p.seed) };
}

async function main(argv: string[]): Promise<number> {
  const src = argv[0];
  if (!src) {
    process.stderr.write('usage: verify-shuffle <url-or-file> [--place <placeId>]\n');
    return 2;
  }
  const text = /^https?:\/\//.test(src) ? await (await fetch(src)).text() : await readFile(src, 'utf8');
  const r = verifyShuffle(JSON.parse(text) as PublishedPrequeue);
  if (!r.ok) {
    process.stderr.write(`verify-shuffle: ${r.error}\n`);
    return 1;
  }
  const i = argv.indexOf('--place');
  if (i >= 0) {
    const n = r.order.indexOf(argv[i + 1] ?? '');
    if (n < 0) {
      process.stderr.write('verify-shuffle: no such place in the pre-queue\n');
      return 1;
    }
    process.stdout.write(`${n + 1}\n`);
    return 0;
  }
  process.stdout.write(`${r.order.join('\n')}\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
