// The release-rate autopilot: a pure controller that steers an event's rate from the health of
// what comes after the gate (checkout latency and error share, the order backlog, stock left,
// and how many admitted shoppers actually buy), inside bounds the operator sets. The dashboard
// runs it (dashboard/src/autopilot); every change it makes is audited with the reason.
import { SluiceError } from '../protocol/errors.ts';

export interface AutopilotConfig {
  /** Off by default; an operator's manual rate change switches it off again. */
  enabled: boolean;
  /** The rate never goes below this (shoppers/s). */
  floor: number;
  /** The rate never goes above this (shoppers/s). */
  ceiling: number;
  /** Largest change of the rate in one decision (shoppers/s). */
  maxStep: number;
  /** Seconds between two decisions. */
  intervalS: number;
  /** Checkout p99 (ms) above which the rate comes down. */
  targetP99Ms: number;
  /** Share of checkout answers that are 429/5xx above which the rate comes down (0..1). */
  maxErrorShare: number;
  /** Orders reserved and not yet written (open reservations) above which the rate comes down. */
  maxBacklog: number;
}

export const AUTOPILOT_DEFAULTS: AutopilotConfig = {
  enabled: false,
  floor: 1,
  ceiling: 1000,
  maxStep: 20,
  intervalS: 5,
  targetP99Ms: 500,
  maxErrorShare: 0.05,
  maxBacklog: 2000,
};

const invalid = (field: string, message: string): SluiceError =>
  new SluiceError('INVALID_FIELD', { field, message: `${field}: ${message}` });

function num(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw invalid(field, `must be a number from ${min} to ${max}`);
  }
  return v;
}

/** Validate `autopilot` of an event (defaults filled in). */
export function validateAutopilot(input: unknown): AutopilotConfig {
  if (input === undefined) return { ...AUTOPILOT_DEFAULTS };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('autopilot', 'must be an object');
  const raw = { ...AUTOPILOT_DEFAULTS, ...(input as Record<string, unknown>) } as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(key in AUTOPILOT_DEFAULTS)) throw invalid(`autopilot.${key}`, 'is not a setting of the autopilot');
  }
  if (typeof raw.enabled !== 'boolean') throw invalid('autopilot.enabled', 'must be true or false');
  const out: AutopilotConfig = {
    enabled: raw.enabled,
    floor: num(raw.floor, 'autopilot.floor', 0, 1_000_000),
    ceiling: num(raw.ceiling, 'autopilot.ceiling', 0, 1_000_000),
    maxStep: num(raw.maxStep, 'autopilot.maxStep', 0.1, 1_000_000),
    intervalS: num(raw.intervalS, 'autopilot.intervalS', 1, 3600),
    targetP99Ms: num(raw.targetP99Ms, 'autopilot.targetP99Ms', 1, 600_000),
    maxErrorShare: num(raw.maxErrorShare, 'autopilot.maxErrorShare', 0, 1),
    maxBacklog: num(raw.maxBacklog, 'autopilot.maxBacklog', 0, 100_000_000),
  };
  if (out.floor > out.ceiling) throw invalid('autopilot.floor', 'must not be above the ceiling');
  return out;
}

/** What the autopilot sees at one decision. Null where a source did not answer. */
export interface AutopilotInputs {
  /** Checkout p99 over the last few seconds, ms (null: no checkout traffic or no metrics). */
  p99Ms: number | null;
  /** Share of checkout answers that were 429 or 5xx over the same window (null: none). */
  errorShare: number | null;
  /** Open reservations: orders accepted by checkout and not yet written by the worker. */
  backlog: number;
  /** Units left over all products. */
  stockLeft: number;
  /** Admitted and unfinished shoppers. */
  active: number;
  /** Shoppers waiting in the line. */
  waiting: number;
  /** Share of admitted shoppers who bought (orders / admissions, recent), null when unknown. */
  buyShare: number | null;
}

export interface AutopilotDecision {
  rate: number;
  /** 'down' | 'up' | 'hold', for the console and the audit log. */
  direction: 'down' | 'up' | 'hold';
  reason: string;
}

const round = (x: number): number => Math.round(x * 100) / 100;

/**
 * One decision: come down by up to `maxStep` when checkout is unhealthy (p99 over target, too
 * many 429/5xx, or a backlog of unwritten orders); go up by half a step when every signal has
 * headroom, shoppers are waiting and the admitted crowd is not already expected to take the stock
 * left; otherwise hold. The result is always inside [floor, ceiling].
 * @example decideRate({ p99Ms: 900, errorShare: 0, backlog: 0, ... }, cfg, 50).direction === 'down'
 */
export function decideRate(inp: AutopilotInputs, cfg: AutopilotConfig, current: number): AutopilotDecision {
  const clamp = (r: number) => round(Math.min(cfg.ceiling, Math.max(cfg.floor, r)));
  const bad: string[] = [];
  if (inp.p99Ms !== null && inp.p99Ms > cfg.targetP99Ms) bad.push(`checkout p99 ${Math.round(inp.p99Ms)} ms > ${cfg.targetP99Ms} ms`);
  if (inp.errorShare !== null && inp.errorShare > cfg.maxErrorShare) {
    bad.push(`429/5xx share ${(inp.errorShare * 100).toFixed(1)}% > ${(cfg.maxErrorShare * 100).toFixed(1)}%`);
  }
  if (inp.backlog > cfg.maxBacklog) bad.push(`order backlog ${inp.backlog} > ${cfg.maxBacklog}`);
  if (bad.length > 0) {
    const rate = clamp(current - cfg.maxStep);
    // Below a floor the operator raised, the floor wins even now: a rise, and said so.
    const direction = rate < current ? 'down' : rate > current ? 'up' : 'hold';
    const note = direction === 'down' ? '' : direction === 'up' ? ` (raised to the floor ${cfg.floor})` : ' (at floor)';
    return { rate, direction, reason: `${bad.join('; ')}${note}` };
  }
  // Out of the bounds the operator set (e.g. they moved them): come back inside first.
  if (current < cfg.floor || current > cfg.ceiling) {
    const rate = clamp(current);
    return { rate, direction: rate < current ? 'down' : 'up', reason: `rate ${current} outside [${cfg.floor}, ${cfg.ceiling}]` };
  }
  const headroom =
    (inp.p99Ms === null || inp.p99Ms <= cfg.targetP99Ms / 2) &&
    (inp.errorShare === null || inp.errorShare <= cfg.maxErrorShare / 2) &&
    inp.backlog <= cfg.maxBacklog / 2;
  if (!headroom) return { rate: current, direction: 'hold', reason: 'checkout healthy but without headroom' };
  if (inp.waiting === 0) return { rate: current, direction: 'hold', reason: 'nobody waiting' };
  if (inp.stockLeft === 0) return { rate: current, direction: 'hold', reason: 'no stock left' };
  // Shoppers already admitted are expected to buy `active × buyShare` units: admitting faster
  // than the stock can serve only sends people to a sold-out shop.
  const expected = inp.buyShare === null ? 0 : inp.active * inp.buyShare;
  if (expected >= inp.stockLeft) {
    return { rate: current, direction: 'hold', reason: `admitted shoppers expected to take the ${inp.stockLeft} units left` };
  }
  const rate = clamp(current + cfg.maxStep / 2);
  if (rate === current) return { rate, direction: 'hold', reason: 'at ceiling' };
  const p99 = inp.p99Ms === null ? 'no checkout traffic' : `p99 ${Math.round(inp.p99Ms)} ms`;
  return { rate, direction: 'up', reason: `checkout healthy (${p99}, backlog ${inp.backlog}), ${inp.waiting} waiting` };
}
