import { describe, expect, it } from 'vitest';
import { joinNetOfFrames } from './join-net.ts';
import { checkTargets } from './targets.ts';
import type { Headline } from './types.ts';

const row = (h: Partial<Headline>) =>
  checkTargets(h as Headline).find((c) => c.what === 'gate CPU per join')!;

describe('gate CPU per join net of the state frames', () => {
  it('leaves out the frames sent meanwhile at their measured cost', () => {
    // 0.5 s of gate CPU, 10,000 frames at 20 µs = 0.2 s, 1,000 joins: 300 µs per join.
    expect(joinNetOfFrames(0.5, 10_000, 20, 1000)).toBe(300);
  });

  it('shows a reading at or below zero as a failed measurement, not as a figure that meets the target', () => {
    const v = joinNetOfFrames(0.1, 10_000, 20, 1000); // 0.1 s - 0.2 s of frames
    expect(v).toBe(-100);
    const c = row({ joinGateCpuUs: v, joinFloorCpuUs: 90 });
    expect(c.met).toBeNull();
    expect(c.measured).toBe('failed measurement (-100.0 µs read)');
  });

  it('still judges a positive reading against the target', () => {
    expect(row({ joinGateCpuUs: 40, joinFloorCpuUs: 30 })).toMatchObject({
      met: true,
      measured: '40.0 µs (floor 30.0 µs)',
    });
    expect(row({ joinGateCpuUs: 470, joinFloorCpuUs: 90 })).toMatchObject({
      met: false,
      gap: '420.0 µs over',
    });
  });
});
