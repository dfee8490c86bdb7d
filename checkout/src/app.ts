// The checkout API as an app factory: `startCheckout(config)` listens (port 0 allowed) and
// returns the port and a close() that shuts down in order. Tests and main.ts both use it.
import {
  ignoring,
  type checkoutSchema,
  type ConfigOf,
  createLogger,
  createPool,
  clusterNodesOf,
  type KeySource,
  type Logger,
  type Pool,
  RemoteJwks,
  SluiceError,
  subscriberOf,
  TicketVerifier,
} from '@sluice/shared';
import HyperExpress from 'hyper-express';
import { failFastRedis, replicated, settle } from './connections.ts';
import { corsMiddleware } from './http/cors.ts';
import { type CheckoutMetrics, createCheckoutMetrics } from './http/metrics.ts';
import { handBackHandler } from './handback/route.ts';
import { registerOps } from './http/ops.ts';
import { sendError } from './http/respond.ts';
import { orderStatusHandler } from './orders/route.ts';
import { catalogueHandler } from './products/route.ts';
import type { Door } from './purchase/door.ts';
import { IssuedTickets } from './purchase/issued.ts';
import { registerCheckoutRoute } from './purchase/uws-route.ts';

export type CheckoutConfig = ConfigOf<typeof checkoutSchema>;

export interface CheckoutOptions {
  /** Ticket keys; default: the gate's JWKS at config.jwksUrl, fetched and cached. */
  keys?: KeySource;
  /** Clock (ms) for ticket checks and reservation expiry. */
  now?: () => number;
  log?: Logger;
  /** A pool to use instead of one built from config.databaseUrl (not closed by close()). */
  pool?: Pool;
}

export interface CheckoutApp {
  port: number;
  /** Every route the server answers, `{ method, path }` with `:param` placeholders. */
  routes: { method: string; path: string }[];
  /** This process's metrics (a supervised worker shares them with its fleet). */
  registry: CheckoutMetrics['registry'];
  /** The in-process record of issued tickets the door judges by. */
  issued: IssuedTickets;
  /** Stop accepting, fail readiness, drain in-flight requests, close Redis, BullMQ, PostgreSQL. */
  close(): Promise<void>;
}

/** Tickets stay readable for order status this long after they expire. */
const ORDER_LOOKUP_TOLERANCE_S = 86_400;

export async function startCheckout(
  config: CheckoutConfig,
  opts: CheckoutOptions = {},
): Promise<CheckoutApp> {
  const log = opts.log ?? createLogger('checkout', config.logLevel);
  const now = opts.now ?? Date.now;
  const redis = failFastRedis(config, config.redisTimeoutMs, config.redisAutoPipeline);
  const pool = opts.pool ?? createPool(config.databaseUrl);
  let keys = opts.keys;
  let jwksTimer: NodeJS.Timeout | undefined;
  if (!keys) {
    const remote = new RemoteJwks(config.jwksUrl);
    await remote.refresh().catch((err) => log.warn({ err, url: config.jwksUrl }, 'JWKS not reachable yet'));
    keys = remote;
    // Re-read the JWKS often: an emergency key withdrawal must stop that key's tickets within
    // seconds (a key missing from the JWKS is unknown, its cached verdicts no longer count).
    jwksTimer = setInterval(
      () => remote.refresh().catch((err) => log.warn({ err, url: config.jwksUrl }, 'JWKS refresh failed')),
      config.jwksRefreshMs,
    );
    jwksTimer.unref();
  }
  const verifierOpts = { keys, issuer: config.ticketIssuer, audience: config.ticketAudience, now };
  const verifier = new TicketVerifier({ ...verifierOpts, clockToleranceS: config.clockToleranceS });
  const lookupVerifier = new TicketVerifier({ ...verifierOpts, clockToleranceS: ORDER_LOOKUP_TOLERANCE_S });
  const metrics = createCheckoutMetrics();
  let draining = false;

  const server = new HyperExpress.Server({
    auto_close: false,
    // Our own limit (http/body.ts) answers with a JSON 413; this one must never fire first.
    max_body_length: Number.MAX_SAFE_INTEGER,
  });
  server.set_error_handler((req, res, err) => sendError(res, err, log, req));
  server.set_not_found_handler((req, res) => sendError(res, new SluiceError('NOT_FOUND'), log, req));
  if (config.corsOrigins.length > 0) server.use(corsMiddleware(config.corsOrigins));

  const timeoutMs = config.redisTimeoutMs;
  const waitReplicas = config.waitReplicas >= 0 ? config.waitReplicas : clusterNodesOf(config) ? 1 : 0;
  // The door: on a single Redis its barrier is a PING on the subscriber connection, on a Redis
  // Cluster an echo on the event's own sharded channel (purchase/issued-cluster.ts).
  const issued = new IssuedTickets(redis, subscriberOf(redis), config.prefix, log);
  issued.start();
  const door: Door = { verifier, issued, now };
  // On uWS directly: junk is refused from its headers before hyper-express builds a request.
  const checkoutRoute = registerCheckoutRoute(server.uws_instance, {
    redis,
    verifier,
    prefix: config.prefix,
    reservationTtlS: config.reservationTtlS,
    redisTimeoutMs: timeoutMs,
    now,
    onAnnounceError: (err) => log.warn({ err }, 'state announcement failed'),
    ...(waitReplicas > 0
      ? {
          durable: async (evt: string) => {
            if ((await replicated(redis, config.prefix, evt, waitReplicas, config.waitMs)) < waitReplicas)
              metrics.unreplicated.inc();
          },
        }
      : {}),
    maxBodyBytes: config.maxBodyBytes,
    maxInFlight: config.maxInFlight,
    publicUrl: config.publicUrl,
    corsOrigins: config.corsOrigins,
    door,
    metrics,
    log,
  });
  server.post(
    '/v1/handback',
    handBackHandler({
      redis,
      verifier,
      prefix: config.prefix,
      redisTimeoutMs: timeoutMs,
      now,
      maxBodyBytes: config.maxBodyBytes,
      publicUrl: config.publicUrl,
      log,
    }),
  );
  server.get(
    '/v1/orders/:id',
    orderStatusHandler({
      redis,
      pool,
      prefix: config.prefix,
      verifier: lookupVerifier,
      timeoutMs,
      log,
      publicUrl: config.publicUrl,
    }),
  );
  server.get('/v1/events/:id/products', catalogueHandler({ redis, prefix: config.prefix, timeoutMs, log }));
  registerOps(server, {
    checks: { redis: () => redis.ping(), postgres: () => pool.query('SELECT 1') },
    registry: metrics.registry,
    draining: () => draining,
  });

  await settle(redis, 2000);
  await server.listen(config.port, config.host);
  const port = server.port;
  log.info({ port }, 'checkout listening');

  const routes: { method: string; path: string }[] = [{ method: 'post', path: '/v1/checkout' }];
  for (const [method, byPath] of Object.entries(
    server.routes as unknown as Record<string, Record<string, unknown>>,
  )) {
    for (const path of Object.keys(byPath)) if (method !== 'any') routes.push({ method, path });
  }

  let closing: Promise<void> | undefined;
  return {
    port,
    routes,
    registry: metrics.registry,
    issued,
    close() {
      closing ??= (async () => {
        draining = true;
        clearInterval(jwksTimer);
        // Stop accepting and let in-flight requests finish (bounded), then close the stores.
        const drained = async () => {
          await server.shutdown();
          while (checkoutRoute.inFlight() > 0) await new Promise((r) => setTimeout(r, 20));
        };
        await Promise.race([drained(), new Promise((r) => setTimeout(r, 5000))]);
        server.close();
        issued?.close();
        redis.disconnect();
        if (!opts.pool) await pool.end().catch(ignoring('postgres pool close at shutdown'));
        log.info('checkout closed');
      })();
      return closing;
    },
  };
}
