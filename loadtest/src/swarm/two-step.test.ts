import { describe, expect, it } from 'vitest';
import { Hist } from '../lib/hist.ts';
import { retryDelayMs } from './frames.ts';
import { mergeReports } from './run.ts';
import { untilStable } from './two-step.ts';
import type { WorkerReport } from './types.ts';

const MiB = 2 ** 20;

describe('memory reading: GC rounds until the RSS stops falling', () => {
  it('keeps reading while the RSS falls, until two rounds in a row hold', async () => {
    // What `ws` did after 10,000 joins: GC rounds a few seconds apart read less, and once held
    // for one round before falling again.
    const seq = [249, 222, 198, 198, 150, 150, 150.5, 100].map((m) => m * MiB);
    const r = await untilStable(async () => seq.shift()!, { pauseMs: 0, maxRounds: 8 });
    expect(r).toEqual({ bytes: 150.5 * MiB, rounds: 7, stable: true });
  });

  it('says when the RSS was still falling after the last round', async () => {
    const seq = [300, 280, 280, 260].map((m) => m * MiB);
    const r = await untilStable(async () => seq.shift()!, { pauseMs: 0, maxRounds: 4 });
    expect(r).toEqual({ bytes: 260 * MiB, rounds: 4, stable: false });
  });

  it('takes a single reading when one round is asked for', async () => {
    let reads = 0;
    const r = await untilStable(async () => ++reads * MiB, { pauseMs: 0, maxRounds: 1 });
    expect(r).toEqual({ bytes: MiB, rounds: 1, stable: true });
    expect(reads).toBe(1);
  });
});

describe('swarm retries', () => {
  it('backs off 0.5–1.5 s after the first attempt, doubling up to 5–15 s', () => {
    expect(retryDelayMs(1, 0)).toBe(500);
    expect(retryDelayMs(1, 1)).toBe(1500);
    expect(retryDelayMs(2, 0.5)).toBe(2000);
    expect(retryDelayMs(9, 0)).toBe(5000);
    expect(retryDelayMs(9, 1)).toBe(15_000);
  });

  it('sums the retries and the shoppers held thanks to one over the workers', () => {
    const rep = (retries: number, joinedAfterRetry?: number): WorkerReport => ({
      t: 'report',
      index: 0,
      opened: 10,
      upgraded: 10,
      joined: 10,
      failed: 0,
      retries,
      joinedAfterRetry,
      closedByServer: 0,
      errors: {},
      closeCodes: {},
      firstOpenAt: 1,
      lastWelcomeAt: 2,
      join: new Hist().toJSON(),
      ticks: [],
      samples: [],
      echoMsgs: 0,
      echoRtt: new Hist().toJSON(),
      admittedCount: 0,
    });
    const m = mergeReports([rep(4, 3), rep(2, 1), rep(5)]);
    expect(m.retries).toBe(11);
    expect(m.joinedAfterRetry).toBe(4);
  });
});

describe('tick to socket over a window', () => {
  const tick = (t: number, now: number, n: number) => {
    const h = new Hist();
    h.record(100 * t, n);
    return { tick: t, now, hist: h.toJSON() };
  };
  const rep = (ticks: WorkerReport['ticks']): WorkerReport => ({
    t: 'report',
    index: 0,
    opened: 100,
    upgraded: 100,
    joined: 100,
    failed: 0,
    retries: 0,
    closedByServer: 0,
    errors: {},
    closeCodes: {},
    firstOpenAt: 1,
    lastWelcomeAt: 2,
    join: new Hist().toJSON(),
    ticks,
    samples: [],
    echoMsgs: 0,
    echoRtt: new Hist().toJSON(),
    admittedCount: 0,
  });

  it('counts only the window, and the ticks short of 99 % of the sockets apart', () => {
    // Tick 1 before the window, 2 and 3 in it (3 reached 50 of 100 sockets), 4 after it.
    const m = mergeReports(
      [rep([tick(1, 900, 100), tick(2, 1000, 100), tick(3, 1250, 50), tick(4, 2100, 100)])],
      1000,
      2000,
    );
    expect(m.ticksShort).toBe(1);
    expect(m.broadcast.count).toBe(100);
    expect(m.broadcast.max).toBeCloseTo(200, -1);
  });
});
