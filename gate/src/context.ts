// Everything one gate instance shares between its modules (built by app.ts).
import type { CodeSalts } from './lanes/access.ts';
import type { ConfigOf, gateSchema, Logger, Redis } from '@sluice/shared';
import type { TemplatedApp } from 'uWebSockets.js';
import type { TrustedProxies } from './abuse/client-address.ts';
import type { IpLimiter, JoinGuard } from './abuse/join-guard.ts';
import type { PrequeueCache } from './http/prequeue.ts';
import type { RevokedCache } from './http/revoked.ts';
import type { SocketCap } from './abuse/socket-cap.ts';
import type { EventCache } from './control/events.ts';
import type { GateMetrics } from './http/metrics.ts';
import type { AbsenceMarker } from './queue/join.ts';
import type { JoinBatcher } from './queue/join-batch.ts';
import type { SocketRegistry } from './queue/sockets.ts';
import type { TicketIssuer } from './tickets/issuer.ts';
import type { TicketDelivery } from './tickets/deliver.ts';
import type { AdmissionRecheck } from './tickets/recheck.ts';

export type GateConfig = ConfigOf<typeof gateSchema>;

export interface GateContext {
  config: GateConfig;
  prefix: string;
  redis: Redis;
  log: Logger;
  now: () => number;
  app: TemplatedApp;
  events: EventCache;
  sockets: SocketRegistry;
  issuer: TicketIssuer;
  delivery: TicketDelivery;
  /** Finds admissions whose message this process missed (sequence gaps, served, periodic). */
  recheck: AdmissionRecheck;
  placeSecret: Buffer;
  /** Per-event salts of the lanes' access codes (read once per event). */
  codeSalts: CodeSalts;
  /** Join rate, live places per address, single-use proof of work, revocation (all processes). */
  joinGuard: JoinGuard;
  /** Public reads (/place, /prequeue, /challenge, unknown-event upgrades) per address, this process. */
  publicLimiter: IpLimiter;
  /** Serialised /prequeue answers per event (one Redis read per event per few seconds). */
  prequeueCache: PrequeueCache;
  /** Serialised revocation lists per event (storefront helpers poll them). */
  revokedCache: RevokedCache;
  /** Open sockets per client address in this process. */
  socketCap: SocketCap;
  /** Peers whose forwarding headers give the client address. */
  proxies: TrustedProxies;
  absence: AbsenceMarker;
  /** Public joins of one event-loop turn, one script call per event (≤ 256 joins each). */
  joins: JoinBatcher;
  metrics: GateMetrics;
  /** Last state frame per event, serialised as broadcast. */
  frames: Map<string, string>;
  /** False while starting and once shutdown began (readiness). */
  ready: boolean;
  shuttingDown: boolean;
}
