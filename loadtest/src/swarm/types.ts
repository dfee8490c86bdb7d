// Messages between the swarm coordinator and its worker processes.
import type { HistJson } from '../lib/hist.ts';

export interface SwarmTarget {
  host: string;
  port: number;
  path: string;
}

export interface WorkerConfig {
  t: 'start';
  index: number;
  targets: SwarmTarget[];
  /** Sockets this worker opens (keep under 18,000: a process may hold 20,000 files). */
  count: number;
  /** Connections opened per second by this worker. */
  ratePerS: number;
  /** Source addresses (127.0.0.x) used round-robin, to spread ephemeral ports. */
  localAddresses: string[];
  origin?: string;
  /** Client ids are `${cidPrefix}-${index}-${i}`. */
  cidPrefix: string;
  /** After the welcome, echo mode keeps one message in flight per socket (WS echo ceiling). */
  echo?: boolean;
  /** Forward admissions (ticket, score, timings) to the coordinator. */
  forwardAdmissions?: boolean;
  /** Attempts per shopper (first one included) before it counts as failed; default 3. */
  maxAttempts?: number;
  /** An attempt with no welcome after this long is abandoned and retried (ms); default 20,000. */
  attemptTimeoutMs?: number;
  /** Handshakes in flight at most (opened or retrying, not yet welcomed); no limit by default. */
  maxPending?: number;
}

export interface TickSample {
  tick: number;
  now: number;
  st: string;
  served: number;
  tail: number;
  len: number;
  rate: number;
  adm: number;
  cfg: number;
}

export interface Admission {
  placeId: string;
  score: number | null;
  ticket: string;
  exp: number;
  /** When the socket was opened / got its welcome / learned its score / was admitted (ms). */
  openedAt: number;
  welcomeAt: number;
  scoreAt: number;
  admittedAt: number;
  /** Wait predicted when the score became known: (score − served) / rate of the latest frame, ms. */
  predictedWaitMs: number | null;
}

export interface WorkerReport {
  t: 'report';
  index: number;
  opened: number;
  upgraded: number;
  joined: number;
  failed: number;
  /** Handshakes abandoned (stalled or refused) and tried again with a new socket. */
  retries: number;
  /** Shoppers whose welcome came on a retried attempt (0 when absent: older reports). */
  joinedAfterRetry?: number;
  closedByServer: number;
  errors: Record<string, number>;
  closeCodes: Record<string, number>;
  firstOpenAt: number;
  lastWelcomeAt: number;
  join: HistJson;
  /** Per tick: delay from the frame's `now` to receipt, over this worker's sockets. */
  ticks: { tick: number; now: number; hist: HistJson }[];
  samples: TickSample[];
  echoMsgs: number;
  echoRtt: HistJson;
  admittedCount: number;
}

export interface Progress {
  t: 'progress';
  index: number;
  opened: number;
  joined: number;
  failed: number;
}
