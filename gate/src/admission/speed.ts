// The speed of the line published with each tick's frame, from the admitter's bookkeeping (pure):
// measured over windows of SPEED_WINDOW_MS and smoothed, or, while the token bucket is what
// limits the release, the configured rate itself (the line moves at exactly that speed).
import { SPEED_WINDOW_MS, smoothSpeed } from './plan.ts';

export interface SpeedInput {
  /** The `stats` hash as read before the tick. */
  stats: Record<string, string>;
  served: number;
  tail: number;
  len: number;
  admittedTotal: number;
  /** Configured release rate (0 when everybody is held). */
  cfgRate: number;
  /** The bucket limited the release this tick (it released fewer than planned). */
  rateBound: boolean;
  now: number;
}

export interface SpeedOutput {
  /** Ticket numbers per second to publish. */
  lineRate: number;
  /** Shoppers admitted per second (smoothed). */
  adm: number;
  /** Shoppers per second the release runs at: the configured rate while the bucket limits it. */
  admPerS: number;
  /** Fields to write back to `stats` (empty when nothing changed). */
  update: Record<string, number>;
}

export function lineSpeed(i: SpeedInput): SpeedOutput {
  const { stats, served, tail, len, admittedTotal, cfgRate, now } = i;
  const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
  const prevSpeed = stats.rate !== undefined ? { rate: Number(stats.rate), adm: Number(stats.adm ?? 0) } : null;
  // Seed for a line that starts moving: the configured rate, scaled from shoppers to ticket
  // numbers by how many numbers in the line are still held.
  const density = tail > served && len > 0 ? Math.min(1, len / (tail - served)) : 1;
  // The speed is measured over windows of SPEED_WINDOW_MS, not per tick: at a few shoppers
  // per second most ticks admit nobody, and a per-tick average would wobble the wait shown to
  // every shopper up and down between admissions.
  const win = { at: num(stats.spdAt), served: num(stats.spdServed), adm: num(stats.spdAdm) };
  let speed = prevSpeed ?? { rate: 0, adm: 0 };
  const update: Record<string, number> = {};
  if (win.at === null || win.served === null || win.adm === null || now < win.at) {
    Object.assign(update, { spdAt: now, spdServed: served, spdAdm: admittedTotal });
  } else if (now - win.at >= SPEED_WINDOW_MS) {
    speed = smoothSpeed(prevSpeed, now - win.at, served - win.served, admittedTotal - win.adm, {
      rate: cfgRate / density,
      adm: cfgRate,
    });
    Object.assign(update, { rate: speed.rate, adm: speed.adm, spdAt: now, spdServed: served, spdAdm: admittedTotal });
  }
  // While the token bucket is what limits the release, the line moves at the configured rate
  // by construction: publish that (in ticket numbers), not the noisy measurement, so the wait
  // a shopper sees falls steadily. When capacity or stock limit it, publish the measured speed.
  const bucket = i.rateBound && cfgRate > 0;
  return { lineRate: bucket ? cfgRate / density : speed.rate, adm: speed.adm, admPerS: bucket ? cfgRate : speed.adm, update };
}
