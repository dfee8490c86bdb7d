// Fair, verifiable pre-queue shuffle. The seed's SHA-256 is published when the event is created
// (before anyone can join); the seed is revealed at the start. The order is: sort the pre-queue
// members by SHA-256(seed + ":" + member), ties broken by the member id. Anyone holding the
// published member list and the revealed seed can recompute it (gate/scripts/verify-shuffle.ts).
import { createHash, randomBytes } from 'node:crypto';

export function newSeed(): string {
  return randomBytes(32).toString('hex');
}

export function seedHash(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** The shuffled order of `members` under `seed`; the first gets ticket number 1. */
export function shuffleOrder(members: readonly string[], seed: string): string[] {
  const keyed = members.map((m) => ({ m, k: createHash('sha256').update(`${seed}:${m}`).digest('hex') }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.m < b.m ? -1 : a.m > b.m ? 1 : 0));
  return keyed.map((e) => e.m);
}
