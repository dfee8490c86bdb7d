import { describe, expect, it } from 'vitest';
import { newSeed, seedHash, shuffleOrder, shuffleOrderSliced } from './shuffle.ts';

describe('shuffleOrder', () => {
  const members = Array.from({ length: 500 }, (_, i) => `place-${i}`);

  it('is a permutation, reproducible from the seed, independent of input order', () => {
    const seed = newSeed();
    const a = shuffleOrder(members, seed);
    const b = shuffleOrder([...members].reverse(), seed);
    expect(a).toEqual(b);
    expect([...a].sort()).toEqual([...members].sort());
  });

  it('differs between seeds and does not keep arrival order', () => {
    const a = shuffleOrder(members, 'seed-a');
    const b = shuffleOrder(members, 'seed-b');
    expect(a).not.toEqual(b);
    const keptInPlace = a.filter((m, i) => m === members[i]).length;
    expect(keptInPlace).toBeLessThan(20);
  });

  it('commits to the seed with SHA-256', () => {
    expect(seedHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('shuffleOrder matches the published definition', () => {
  it('equals a plain sort by hex SHA-256(seed:member), ties by member', async () => {
    const { createHash } = await import('node:crypto');
    const members = Array.from({ length: 3000 }, (_, i) => `m${(i * 7919) % 3001}x`);
    const seed = newSeed();
    const hex = (m: string) => createHash('sha256').update(`${seed}:${m}`).digest('hex');
    const plain = [...members].sort((a, b) => (hex(a) < hex(b) ? -1 : hex(a) > hex(b) ? 1 : a < b ? -1 : 1));
    expect(shuffleOrder(members, seed)).toEqual(plain);
    expect(await shuffleOrderSliced(members, seed, 64)).toEqual(plain);
  });
});
