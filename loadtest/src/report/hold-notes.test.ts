import { describe, expect, it } from 'vitest';
import type { HoldResult } from '../baseline/hold.ts';
import type { GateHoldResult } from '../gate/hold.ts';
import type { TwoStepHold } from '../swarm/two-step.ts';
import { gateHoldNotes, memCell, tickBound } from './hold-notes.ts';
import type { BenchResult } from './types.ts';
import { markdown } from './write.ts';

const memory = (readings: number[], failed: boolean): TwoStepHold =>
  ({
    rssEmptyBytes: 1,
    rssHalfBytes: 2,
    rssFullBytes: 3,
    forcedGc: true,
    shortfall: null,
    gcRounds: [2, 3, 2],
    settled: [true, true, true],
    joinedFirstHalf: 10_000,
    joinedSecondHalf: 10_000,
    bytesPerConnection: [...readings].sort((a, b) => a - b)[1]!,
    perConnectionReadings: readings,
    spreadBytes: 0,
    failed,
    bytesPerConnectionFromEmpty: 3000,
    probes: null,
    withoutGc: null,
  }) as TwoStepHold;

const hold = (impl: 'uws' | 'ws', readings: number[], failed: boolean): HoldResult => ({
  impl,
  processes: 2,
  requested: 20_000,
  held: 20_000,
  rssBeforeBytes: 1,
  rssAfterBytes: 3,
  bytesPerConnection: memory(readings, failed).bytesPerConnection,
  memory: memory(readings, failed),
  joinsPerSecond: 2000,
  joinP99Ms: 10,
  joinCpuUs: 100,
  errors: {},
});

const run = (over: Partial<BenchResult>): BenchResult =>
  ({
    profile: 'quick',
    startedAt: '2026-11-30T05:00:00.000Z',
    durationS: 100,
    loadAvgAtEnd: [1, 1, 1],
    errors: {},
    details: {},
    machine: {
      cores: 2,
      cpuModel: 'test',
      memoryGiB: 1,
      node: 'v20',
      redis: '7',
      postgres: '15',
      loadAvgAtStart: [1, 1, 1],
    },
    ...over,
  }) as BenchResult;

describe('memory per held socket in the report', () => {
  it('shows a reading at or below zero, and a positive median of readings one of which was, as a failed measurement', () => {
    expect(memCell(-1746, false)).toBe('failed measurement (-1,746 B read)');
    expect(memCell(2829, true)).toBe('failed measurement (2,829 B read, a reading ≤ 0)');
    expect(memCell(3920, false)).toBe('3,920 B');
    expect(memCell(null, null)).toBe('n/a');
  });

  it('gives no ws ratio and no ws figure when one of the ws readings failed', () => {
    const r = run({
      gateBytesPerConnection: 1285,
      gateMemoryReadingFailed: false,
      baselineWsBytesPerConnection: 2829,
      baselineUwsBytesPerConnection: 353,
      baselineMemoryReadingFailed: { ws: true, uws: false },
      details: {
        wsHold: hold('ws', [2829, 2832, -3411], true),
        uwsHold: hold('uws', [352, 353, 353], false),
      },
    });
    const md = markdown(r, []);
    const row = md.split('\n').find((l) => l.startsWith('| memory per held WebSocket'))!;
    expect(row).toContain('failed measurement (2,829 B read, a reading ≤ 0) (ws)');
    expect(row).toContain('353 B (raw uWS)');
    expect(row).toContain('n/a (a failed measurement)');
    expect(md).toMatch(/\| memory per connection vs ws \| ≤ 1\/3 \| not measured \|/);
    // The method is stated with the readings.
    expect(md).toContain(
      'repeated a few seconds apart until two rounds in a row no longer fell (rounds for the empty, half and full readings: 2, 3, 2)',
    );
  });
});

describe('gate hold notes', () => {
  const g = {
    requested: 100_000,
    held: 100_000,
    holdSeconds: 20,
    tickMs: 250,
    admitter: 'dedicated',
    retries: 812,
    joinedAfterRetry: 640,
    shortfall: null,
    swarm: { failed: 0 },
    tickToSocket: {
      p50: 900,
      p99: 2100,
      max: 2500,
      deliveries: 8_000_000,
      ticks: 80,
      ticksShort: 3,
      drainS: 6,
    },
  } as unknown as GateHoldResult;

  it('reports the retries, the admitter, the ticks left out and the floor', () => {
    const floor = {
      frames: 800_000,
      sockets: 100_000,
      cpuUsPerFrame: 11.5,
      frameBytes: 246,
      tickToSocket: { p50: 400, p99: 900, max: 1000, deliveries: 800_000, ticks: 8, ticksShort: 0 },
    };
    const s = gateHoldNotes(g, floor);
    expect(s).toContain('GATE_ADMITTER=dedicated');
    expect(s).toContain(
      'Handshakes retried with a new socket after a backoff: 812; shoppers held only thanks to a retry: 640; given up after every attempt: 0.',
    );
    expect(s).toContain('3 of them had not reached 99 % of the sockets 6 s after it');
    expect(s).toContain('p99 900 ms, max 1,000 ms (8 frames, 0 short of 99 %)');
  });

  it('says a short phase is failed with partial figures', () => {
    expect(gateHoldNotes({ ...g, shortfall: 'only 9,000 of 10,000 sockets joined' }, undefined)).toContain(
      'the phase counts as failed and the figures above are partial: only 9,000',
    );
  });

  it('bounds tick to socket by the frames the ticks ask for', () => {
    // 4 ticks/s × 100,000 sockets × 12.8 µs = 5.12 cores.
    const s = tickBound(g, 12.8, 11.5, 2, 'hold');
    expect(s).toContain('1,280 ms of gate CPU');
    expect(s).toContain('5.12 cores of gate CPU (raw uWS: 4.6 cores) of the machine');
    expect(s).toContain('At one tick every 250 ms (GATE_TICK_MS) that would be 5.12 cores of gate CPU');
    expect(tickBound({ ...g, requested: 20_000, held: 20_000 }, null, null, 2, 'quick')).toContain(
      "100,000 is the `hold` profile's size",
    );
  });
});
