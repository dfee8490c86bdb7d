// The shape of a bench run's results (latest.json).
import type { HoldResult } from '../baseline/hold.ts';
import type { RedisCeiling } from '../baseline/redis-bench.ts';
import type { CheckoutSuiteResult } from '../checkout/suite.ts';
import type { FlashSaleResult } from '../flash-sale/run.ts';
import type { GateHoldResult } from '../gate/hold.ts';
import type { JoinCostResult } from '../gate/join-cost.ts';
import type { PrequeueOpenResult } from '../gate/prequeue-open.ts';
import type { CannonResult } from '../lib/cannon.ts';
import type { MachineInfo } from '../lib/proc.ts';
import type { WrkResult } from '../lib/wrk.ts';

/** The figures the issue asks for, null where a phase did not run or failed. */
export interface Headline {
  heldConnections: number | null;
  gateBytesPerConnection: number | null;
  baselineWsBytesPerConnection: number | null;
  baselineUwsBytesPerConnection: number | null;
  joinsPerSecond: number | null;
  joinP99Ms: number | null;
  broadcastP99Ms: number | null;
  checkoutPerSecond: number | null;
  checkoutP99Ms: number | null;
  verifyCeilingPerSecond: number | null;
  baselineCheckoutPerSecond: number | null;
  /** Junk tickets with the right signature shape but wrong signature (pays the verify). */
  rejectsPerSecond: number | null;
  /** Junk tickets whose kid is in no keyring: refused before any crypto. */
  rejectsUnknownKeyPerSecond: number | null;
  baselineRejectsPerSecond: number | null;
  repeatPerSecond: number | null;
  ordersPerSecond: number | null;
  admissionErrorPct: number | null;
  fifoInversions: number | null;
  oversold: number | null;
  etaErrorPct: number | null;
  timeToSellOutS: number | null;
  uwsHelloPerSecond: number | null;
  uwsEchoPerSecond: number | null;
  wsEchoPerSecond: number | null;
  redisPurchasePerSecond: number | null;
  // CPU per operation (µs): server processes from /proc/<pid>/stat, Redis from INFO cpu.
  /** Checkout processes per first-use checkout. */
  checkoutCpuUs: number | null;
  /** One bare Ed25519 verification (node:crypto), the floor a first-use checkout is held to. */
  verifyCpuUs: number | null;
  /** Redis per first-use checkout. */
  checkoutRedisCpuUs: number | null;
  /** Checkout processes per junk rejection (known kid, wrong signature, never issued). */
  rejectCpuUs: number | null;
  rejectRedisCpuUs: number | null;
  /** Redis per order persisted by the worker (the drain). */
  orderRedisCpuUs: number | null;
  /** Order worker process per order persisted. */
  orderWorkerCpuUs: number | null;
  /** The worker's PostgreSQL backends per order persisted, and the worker's batch size in that drain. */
  orderPgCpuUs?: number | null;
  orderBatchSize?: number | null;
  baselineCheckoutCpuUs: number | null;
  baselineRejectCpuUs: number | null;
  /** Raw uWS hello world per request: the floor of any HTTP answer on this machine. */
  helloCpuUs: number | null;
  /** hyper-express (the checkout's framework) answering a POST with a prebuilt 401, per request. */
  frameworkRefuseCpuUs: number | null;
  /** Admitter tick lateness during the flash sale: gaps between releases past the tick on the bucket's clock (admission log), p50, p99 and max, ms. */
  tickLateP50Ms: number | null;
  tickLateP99Ms: number | null;
  tickLateMaxMs: number | null;
  // What a shopper costs the gate (issue 11), over the phase that does the work.
  /**
   * Gate worker CPU per join over the join windows (µs; the state frames the ticks sent meanwhile
   * to the sockets already held are left out, see gate/hold.ts), and Redis CPU per join.
   */
  joinGateCpuUs: number | null;
  joinRedisCpuUs: number | null;
  /** The floor of a join: raw uWS CPU per join (accept, upgrade, read the join, one welcome), same swarm. */
  joinFloorCpuUs?: number | null;
  /**
   * The HTTP join (`POST /v1/events/:id/join`, wrk on keep-alive connections, a new place each):
   * gate CPU and Redis CPU per join, and the floor of an HTTP answer in the same phase (raw uWS
   * `GET /hello` on as many connections). gate/join-cost.ts.
   */
  joinHttpGateCpuUs?: number | null;
  joinHttpRedisCpuUs?: number | null;
  joinHttpFloorCpuUs?: number | null;
  /** Gate CPU per state frame delivered while 'held' sockets wait, and the floor: a raw uWS publish of a frame of the same size to as many sockets. */
  frameGateCpuUs: number | null;
  frameFloorCpuUs: number | null;
  /** Kernel accept-queue overflows (TcpExt ListenOverflows, machine-wide) during the join windows. */
  listenOverflows: number | null;
  /** The arrival rate the swarm offered during the join windows (joins per second). */
  joinsOfferedPerSecond: number | null;
  /** Spread (max − min) of three gate memory-per-socket readings. */
  gateBytesPerConnectionSpread: number | null;
  /** A memory reading came out ≤ 0: the memory figures of this run are a failed measurement. */
  gateMemoryReadingFailed: boolean | null;
  /** Tick to socket p99 (ms) over the gate hold window, every socket held and no forced GC in it. */
  tickToSocketP99Ms: number | null;
  /** The floor of tick to socket: raw uWS publishing a state-sized frame stamped with its time to as many sockets, same swarm, p99 ms. */
  tickToSocketFloorP99Ms?: number | null;
  /** Gate hold phase: handshakes retried with a new socket, and shoppers held only thanks to a retry. */
  joinRetries?: number | null;
  joinedAfterRetry?: number | null;
  /** Memory readings of the `ws` / raw uWS baselines that came out ≤ 0 (failed measurements). */
  baselineMemoryReadingFailed?: { ws: boolean | null; uws: boolean | null };
  /** Seconds from the start until a pre-queue of `prequeueMembers` is open with the seed revealed. */
  prequeueOpenS: number | null;
  prequeueMembers: number | null;
}

export interface BenchResult extends Headline {
  profile: string;
  startedAt: string;
  durationS: number;
  machine: MachineInfo;
  /** Load average (1, 5, 15 min) at the start and the end: other work on the machine skews figures. */
  loadAvgAtEnd: number[];
  details: {
    uwsHold?: HoldResult;
    wsHold?: HoldResult;
    uwsHello?: CannonResult;
    uwsHelloWrk?: WrkResult;
    redis?: RedisCeiling;
    gateHold?: GateHoldResult;
    joinCost?: JoinCostResult;
    checkout?: CheckoutSuiteResult;
    flashSale?: FlashSaleResult;
    prequeueOpen?: PrequeueOpenResult;
  };
  errors: Record<string, string>;
}
