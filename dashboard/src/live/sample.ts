// The live sample the console receives once a second (over server-sent events) and
// GET /v1/events/{id}/stats answers. Shared by the server and the console bundle.
import type { EventState } from '@sluice/shared/protocol/ws.ts';

export interface GateView {
  /** `hostname:pid` of the gate process. */
  id: string;
  sockets: number;
  /** Event version this process has applied, or null if it has not reported this event. */
  applied: number | null;
  /** Key-rotation stamp it has applied (`versions['*']`), if it reports one. */
  keys: number | null;
  /** When it last reported (ms). */
  at: number;
  /** Reported within the last few seconds; stale processes are shown but not counted. */
  fresh: boolean;
}

export interface LiveSample {
  t: number;
  evt: string;
  name: string;
  state: EventState;
  version: number;
  cfg: {
    rate: number;
    burst: number;
    maxActive: number;
    overbook: number;
    queueAll: boolean;
    startAt: number;
    prequeueAt: number;
    ticketTtlS: number;
    powDifficulty: number;
    powSurgeJoinsPerS: number;
    powSurgeDifficulty: number;
  };
  /** Proof of work now: joins per second over every gate (the join Lua's counts) and the difficulty
   * new challenges get at that rate (the surge difficulty while above the threshold). */
  pow: { joinsPerS: number; difficulty: number; surging: boolean };
  seedHash: string | null;
  seed: string | null;
  /** Waiting after the start (`queue` zset). */
  queue: number;
  /** Waiting before the start (`prequeue` zset). */
  prequeue: number;
  tail: number;
  served: number;
  /** Admitted and unfinished (`admitted` zset). */
  active: number;
  admittedTotal: number;
  /** sku → units left. */
  stock: Record<string, number>;
  /** sku → initial units (config). */
  initial: Record<string, number>;
  ordersConfirmed: number;
  ordersFailed: number;
  /** Per-second rates over the last interval; null on the first sample. */
  joinsPerS: number | null;
  admittedPerS: number | null;
  confirmedPerS: number | null;
  failedPerS: number | null;
  /** Checkout latency over the last few seconds (seconds), from the checkout /metrics histogram. */
  latency: { p50: number | null; p99: number | null; count: number; errorShare?: number | null } | null;
  /** Signed head of the public admission log (null before the first sealed entry). */
  log: { n: number; hash: string; at: number } | null;
  /** The release-rate autopilot: its settings and its last decision (null before the first). */
  autopilot: AutopilotView;
  gates: GateView[];
  /** Every fresh gate process has applied `version` (and there is at least one). */
  appliedAll: boolean;
  /** Key-rotation stamp of the keyring (ms), for "applied" of a rotation. */
  keysAt: number | null;
}

export interface AutopilotView {
  enabled: boolean;
  floor: number;
  ceiling: number;
  maxStep: number;
  last: AutopilotRecord | null;
}

/** One decision of the autopilot, as kept in Redis (`autopilot` hash, field `last`). */
export interface AutopilotRecord {
  at: number;
  from: number;
  to: number;
  direction: 'down' | 'up' | 'hold';
  reason: string;
}

/** Counters read from Redis at one instant; rates come from two of these. */
export interface Counters {
  t: number;
  tail: number;
  prequeue: number;
  joins: number | null;
  admittedTotal: number;
  ordersConfirmed: number;
  ordersFailed: number;
}

export function perSecond(prev: Counters | undefined, cur: Counters) {
  const dt = prev ? (cur.t - prev.t) / 1000 : 0;
  if (!prev || dt <= 0) return { joinsPerS: null, admittedPerS: null, confirmedPerS: null, failedPerS: null };
  const rate = (a: number, b: number) => Math.max(0, b - a) / dt;
  // Joins: the gate's own counter when it keeps one; otherwise new ticket numbers plus growth of
  // the pre-queue (the start's shuffle moves n from one to the other, which cancels out).
  const joins =
    prev.joins !== null && cur.joins !== null
      ? rate(prev.joins, cur.joins)
      : Math.max(0, cur.tail - prev.tail + (cur.prequeue - prev.prequeue)) / dt;
  return {
    joinsPerS: joins,
    admittedPerS: rate(prev.admittedTotal, cur.admittedTotal),
    confirmedPerS: rate(prev.ordersConfirmed, cur.ordersConfirmed),
    failedPerS: rate(prev.ordersFailed, cur.ordersFailed),
  };
}
