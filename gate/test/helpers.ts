// Test helpers for the gate: events with sensible defaults, a fake clock, a quiet logger.
import { createEvent, createLogger, type EventRecord, type Redis } from '@sluice/shared';

export const quietLog = createLogger('gate-test', 'silent');

export interface FakeClock {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function fakeClock(start = 1_700_000_000_000): FakeClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
    set(ms) {
      t = ms;
    },
  };
}

export async function makeEvent(
  redis: Redis,
  prefix: string,
  patch: Record<string, unknown> = {},
  now = Date.now(),
): Promise<EventRecord> {
  return createEvent(
    redis,
    prefix,
    {
      id: `e${Math.random().toString(36).slice(2, 8)}`,
      name: 'Test drop',
      prequeueAt: now - 1000,
      startAt: now - 1000,
      rate: 20,
      burst: 10,
      maxActive: 100_000,
      overbook: 1,
      ticketTtlS: 600,
      graceS: 60,
      // Tests that exercise the proof of work ask for it; the rest join without one.
      powDifficulty: 0,
      powSurgeDifficulty: 0,
      allowedOrigins: ['https://shop.example'],
      products: [{ sku: 'SKU-1', name: 'Thing', priceCents: 100, stock: 100_000, limitPerShopper: 1 }],
      ...patch,
    },
    now,
  );
}

/** Poll `fn` until it returns a truthy value or the deadline passes. */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
