import { describe, expect, it } from 'vitest';
import { eventKeys, globalKeys, isEventId } from './keys.ts';

describe('keys', () => {
  it('puts the event id in a hash tag on every per-event key', () => {
    const k = eventKeys('sluice', 'demo');
    for (const key of Object.values(k)) expect(key.startsWith('sluice:{demo}:')).toBe(true);
    expect(new Set(Object.values(k)).size).toBe(Object.values(k).length);
  });

  it('refuses event ids that could break the hash tag or the key space', () => {
    for (const bad of ['', 'a}b', 'a{b', 'A', 'a:b', '-a', 'x'.repeat(64)]) {
      expect(isEventId(bad)).toBe(false);
      expect(() => eventKeys('sluice', bad)).toThrow(RangeError);
    }
    expect(isEventId('drop-2026')).toBe(true);
  });

  it('keeps global keys under the prefix', () => {
    for (const key of Object.values(globalKeys('p1'))) expect(key.startsWith('p1:')).toBe(true);
  });
});
