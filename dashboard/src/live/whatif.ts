// "What if the release rate were r?" Pure estimates for the console's rate slider, from the
// current live sample. They assume the rate is the binding limit; the notes say when it is not.
// Runs in the console bundle too.
import type { LiveSample } from './sample.ts';

export interface WhatIfInput {
  rate: number;
  /** Shoppers waiting now (line + pre-queue). */
  waiting: number;
  /** Arrivals per second right now. */
  joinsPerS: number;
  stockLeft: number;
  /** Units sold so far and shoppers admitted so far: their ratio estimates units per admission. */
  sold: number;
  admittedTotal: number;
  active: number;
  maxActive: number;
  stopped: boolean;
}

export interface WhatIf {
  /** Seconds until the shopper now at the back of the line is admitted. */
  lastShopperWaitS: number | null;
  /** Seconds until the line is empty, counting arrivals at the current pace (null: never at this rate). */
  drainS: number | null;
  /** Seconds until the stock is gone (null: never at this rate). */
  sellOutS: number | null;
  unitsPerAdmit: number;
  notes: string[];
}

/** Below this many admissions the measured units-per-shopper is noise; assume 1. */
export const MIN_ADMITTED_FOR_RATIO = 20;

export function whatIf(i: WhatIfInput): WhatIf {
  const notes: string[] = [];
  const unitsPerAdmit =
    i.admittedTotal >= MIN_ADMITTED_FOR_RATIO && i.sold > 0 ? i.sold / i.admittedTotal : 1;
  if (i.admittedTotal < MIN_ADMITTED_FOR_RATIO) notes.push('assumes 1 unit per admitted shopper until 20 are admitted');
  if (i.stopped) notes.push('admissions are stopped (paused or queue-all): nothing moves until released');
  if (i.active >= i.maxActive) notes.push('maxActive reached: admissions follow finished checkouts, not the rate');
  if (i.rate <= 0 || i.stopped) {
    return { lastShopperWaitS: i.waiting === 0 ? 0 : null, drainS: i.waiting === 0 ? 0 : null, sellOutS: i.stockLeft === 0 ? 0 : null, unitsPerAdmit, notes };
  }
  const lastShopperWaitS = i.waiting / i.rate;
  const net = i.rate - i.joinsPerS;
  const drainS = i.waiting === 0 ? 0 : net > 0 ? i.waiting / net : null;
  if (drainS === null) notes.push('arrivals outpace this rate: the line keeps growing');
  const sellOutS = i.stockLeft / (i.rate * unitsPerAdmit);
  return { lastShopperWaitS, drainS, sellOutS, unitsPerAdmit, notes };
}

/** 75 → "1 min 15 s"; null → "never". */
export function formatDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return 'never';
  if (s < 1) return '< 1 s';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

/** The slider preview's inputs from a sample. */
export function whatIfFromSample(s: LiveSample, rate: number) {
  const sold = Object.keys(s.initial).reduce((acc, sku) => acc + Math.max(0, (s.initial[sku] ?? 0) - (s.stock[sku] ?? 0)), 0);
  return whatIf({
    rate,
    waiting: s.queue + s.prequeue,
    joinsPerS: s.joinsPerS ?? 0,
    stockLeft: Object.values(s.stock).reduce((a, b) => a + b, 0),
    sold,
    admittedTotal: s.admittedTotal,
    active: s.active,
    maxActive: s.cfg.maxActive,
    stopped: s.state === 'paused' || s.cfg.queueAll,
  });
}

