// The gate app factory: one uWS app (WebSocket queue, HTTP fallback, JWKS, ops endpoints), the
// Redis wiring (commands, one subscriber) and the admitter loop. Tests start it in-process on
// port 0; main.ts runs one per worker process on a shared port.
import { CodeSalts } from './lanes/access.ts';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  CloseCode,
  createLogger,
  createRedis,
  createSubscriber,
  eventKeys,
  ignoring,
  type Logger,
  parseKek,
} from '@sluice/shared';
import uWS, { type us_listen_socket } from 'uWebSockets.js';
import { TrustedProxies } from './abuse/client-address.ts';
import { IpLimiter, JoinGuard } from './abuse/join-guard.ts';
import { PrequeueCache } from './http/prequeue.ts';
import { RevokedCache } from './http/revoked.ts';
import { SocketCap } from './abuse/socket-cap.ts';
import { Admitter } from './admission/admitter.ts';
import { EventChannels, onEventChange, subscribe } from './broadcast/fanout.ts';
import type { GateConfig, GateContext } from './context.ts';
import { EventCache, gateProcessId } from './control/events.ts';
import { createGateMetrics } from './http/metrics.ts';
import { admissionLogRoutes } from './http/admissions.ts';
import { checkServedPage, opsRoutes } from './http/ops.ts';
import { eventRoutes } from './http/routes.ts';
import { AbsenceMarker } from './queue/join.ts';
import { JoinBatcher } from './queue/join-batch.ts';
import { Presence } from './queue/presence.ts';
import { loadPlaceSecret } from './queue/place-token.ts';
import { SocketRegistry } from './queue/sockets.ts';
import { closeSilentSockets, wsBehavior } from './queue/ws.ts';
import { TicketDelivery } from './tickets/deliver.ts';
import { AdmissionRecheck, FULL_EVERY_MS } from './tickets/recheck.ts';
import { TicketIssuer } from './tickets/issuer.ts';

export interface StartOptions {
  /** Injected clock (ms) for admission, tickets and grace periods. */
  now?: () => number;
  log?: Logger;
  /** Run the admitter loop (default true). */
  admitter?: boolean;
  /** Field of this process in the `gates` hash (default host:pid). */
  gateId?: string;
}

export interface RunningGate {
  port: number;
  ctx: GateContext;
  admitter: Admitter;
  /** Graceful shutdown in the documented order; idempotent. */
  close(): Promise<void>;
}

export async function startGate(config: GateConfig, opts: StartOptions = {}): Promise<RunningGate> {
  await checkServedPage(config.servePage);
  const now = opts.now ?? Date.now;
  const log = opts.log ?? createLogger('gate', config.logLevel);
  // Auto-pipelining: the commands of one event-loop turn (a surge's joins, ticks, presence) go
  // to Redis in one write, and Redis reads them in one read (docs/ARCHITECTURE.md, "Cost of a join").
  const redis = createRedis(config, { enableAutoPipelining: true });
  const sub = createSubscriber(config);
  const channels = new EventChannels(sub, config.prefix);
  const sockets = new SocketRegistry();
  // One id per process life: the admitter's lease holder and this process's liveness record.
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const presence = new Presence(redis, config.prefix, instanceId);
  sockets.listener = presence;
  const metrics = createGateMetrics(() => sockets.open);
  const issuer = new TicketIssuer(redis, config.prefix, {
    iss: config.ticketIssuer,
    aud: config.ticketAudience,
    now,
    kek: parseKek(config.keyEncryptionKey),
  });
  const app = uWS.App();
  const ctx: GateContext = {
    config,
    prefix: config.prefix,
    redis,
    log,
    now,
    app,
    sockets,
    issuer,
    metrics,
    placeSecret: await loadPlaceSecret(redis, config.prefix),
    codeSalts: new CodeSalts(redis, config.prefix),
    joinGuard: new JoinGuard({
      joinsPerIp: config.joinRatePerIp,
      placesPerIp: config.maxPlacesPerIp,
    }),
    socketCap: new SocketCap(config.maxSocketsPerIp),
    publicLimiter: new IpLimiter(config.publicRatePerIp),
    prequeueCache: new PrequeueCache(redis, config.prefix),
    revokedCache: new RevokedCache(redis, config.prefix),
    proxies: new TrustedProxies(config.trustedProxies),
    absence: new AbsenceMarker(redis, config.prefix),
    joins: new JoinBatcher(redis, config.prefix),
    frames: new Map(),
    ready: false,
    shuttingDown: false,
    events: undefined as unknown as EventCache,
    delivery: undefined as unknown as TicketDelivery,
    recheck: undefined as unknown as AdmissionRecheck,
  };
  ctx.events = new EventCache(
    redis,
    config.prefix,
    log,
    (evt, rec, before) => {
      if (!before && rec)
        channels.add(evt).catch((err) => log.warn({ err, evt }, 'subscribing to the event failed'));
      if (!rec)
        channels.remove(evt).catch((err) => log.warn({ err, evt }, 'unsubscribing from the event failed'));
      onEventChange(ctx, evt, rec, before);
    },
    opts.gateId ?? gateProcessId(),
  );
  ctx.delivery = new TicketDelivery({
    sockets,
    issuer,
    log,
    metrics,
    ttlOf: (evt) => ctx.events.get(evt)?.config.ticketTtlS ?? 600,
    revokedOf: async (evt, ids) => {
      const out: boolean[] = [];
      for (let i = 0; i < ids.length; i += 1000) {
        const got = await redis.hmget(eventKeys(config.prefix, evt).revoked, ...ids.slice(i, i + 1000));
        for (const v of got) out.push(v !== null);
      }
      return out;
    },
  });
  ctx.recheck = new AdmissionRecheck({ redis, prefix: config.prefix, sockets, delivery: ctx.delivery, log, metrics });
  ctx.delivery.onSequence = (evt, seq, count) => ctx.recheck.onSequence(evt, seq, count);
  // Routes first: loading the events publishes their first state frame, and uWS must have its
  // WebSocket route (and topic tree) before any publish, or the process crashes (segfault).
  app.ws('/v1/events/:id/ws', wsBehavior(ctx));
  eventRoutes(ctx, app);
  admissionLogRoutes(ctx, app);
  opsRoutes(ctx, app);

  await issuer.reload();
  await ctx.events.refreshAll();
  await subscribe(ctx, sub, channels);
  sub.onMessage((channel: string, message: string) => {
    if (message.includes('"kind":"keys"'))
      issuer
        .reload()
        .then(() => ctx.events.report(sockets.open, now(), issuer.keyVersion()))
        .catch((err) => log.warn({ err, channel }, 'keyring reload failed'));
  });

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(config.host, config.port, (s) =>
      s ? resolve(s) : reject(new Error(`cannot listen on ${config.host}:${config.port}`)),
    );
  });
  const port = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket);

  const admitter = new Admitter({
    redis,
    prefix: config.prefix,
    id: instanceId,
    now,
    tickMs: config.tickMs,
    leaderTtlMs: config.leaderTtlMs,
    openChunk: config.openChunk,
    log,
    eventIds: () => ctx.events.events.keys(),
    signLogHead: (head) => issuer.signLogHead(head),
    onTick: (evt, t) => {
      metrics.tickSeconds.observe(t.ms / 1000);
      metrics.tickLateSeconds.observe(t.lateMs / 1000);
      if (t.admitted.length) metrics.admitted.inc({ event: evt }, t.admitted.length);
    },
  });
  // GATE_ADMITTER=none: a socket worker beside a dedicated admitter process (gate/src/main.ts).
  if (opts.admitter !== false && config.admitter !== 'none') admitter.start();

  const timers = [
    setInterval(
      () => ctx.absence.flush().catch((err) => log.warn({ err }, 'marking absent places failed')),
      100,
    ),
    // Liveness: held places every 100 ms; a heartbeat each second for every event with sockets here.
    setInterval(() => presence.flush(now()).catch((err) => log.warn({ err }, 'writing held places failed')), 100),
    setInterval(
      () =>
        presence
          .flush(now(), sockets.byEvent.keys(), (evt) => sockets.byEvent.get(evt)?.keys() ?? [])
          .catch((err) => log.warn({ err }, 'heartbeat failed')),
      1000,
    ),
    setInterval(() => {
      closeSilentSockets(ctx);
      ctx.delivery.prune();
      ctx.prequeueCache.retain((evt) => ctx.events.get(evt) !== undefined);
      ctx.revokedCache.retain((evt) => ctx.events.get(evt) !== undefined);
      issuer.prune();
      ctx.events
        .refreshAll()
        .then(() => channels.sync(ctx.events.events.keys()))
        .then(() => ctx.events.report(sockets.open, now(), issuer.keyVersion()))
        .catch((err) => log.warn({ err }, 'event refresh failed'));
    }, 1000),
    // Re-asserted every 5 s: one failed write is repeated by the next (counted, logged rate-limited).
    setInterval(() => keepPresent(ctx).catch(ignoring('presence write')), 5000),
    setInterval(() => issuer.reload().catch((err) => log.warn({ err }, 'keyring reload failed')), 60_000),
    setInterval(() => void ctx.recheck.full(), FULL_EVERY_MS),
  ];
  ctx.ready = true;
  log.info({ port }, 'gate listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // 1. stop accepting, 2. fail readiness, 3. tell clients, 4. release the lease, 5. Redis.
      uWS.us_listen_socket_close(listenSocket);
      ctx.shuttingDown = true;
      ctx.ready = false;
      for (const t of timers) clearInterval(t);
      // Closed places are marked absent: they keep their place for the grace period.
      for (const m of [...sockets.byEvent.values()]) {
        for (const ws of [...m.values()]) ws.end(CloseCode.GOING_AWAY, 'gate restarting; reconnect');
      }
      for (const ws of [...sockets.awaitingJoin]) ws.end(CloseCode.GOING_AWAY, 'gate restarting; reconnect');
      await admitter.stop();
      // Best effort while stopping: places not marked absent are dropped after the grace period anyway.
      await ctx.absence.flush().catch(ignoring('absence flush at shutdown'));
      // Its sockets are closed and marked absent: this process holds nothing any more (else the
      // admitter reaps its record once the heartbeat lapses).
      await presence.unregister().catch(ignoring('liveness record at shutdown'));
      await ctx.events.unreport().catch(ignoring('gate unreport at shutdown'));
      sub.close();
      await redis.quit().catch(() => redis.disconnect());
      // Any socket still open after GOING_AWAY (one mid-handshake) is cut by closing the app.
      (app as unknown as { close(): void }).close();
    })();
    return closing;
  };
  return { port, ctx, admitter, close };
}

/** Re-assert that the places held here are present (undoes a stale absence mark). */
async function keepPresent(g: GateContext): Promise<void> {
  // One pipeline per event (one slot each on a cluster).
  const work: Promise<unknown>[] = [];
  for (const [evt, m] of g.sockets.byEvent) {
    const ids = [...m.keys()];
    if (ids.length === 0) continue;
    const pipe = g.redis.pipeline();
    for (let i = 0; i < ids.length; i += 1000)
      pipe.zrem(eventKeys(g.prefix, evt).absent, ...ids.slice(i, i + 1000));
    work.push(pipe.exec());
  }
  await Promise.all(work);
}
