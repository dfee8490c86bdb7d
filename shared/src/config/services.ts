// One schema per service. Every key: env name, default, doc line. The README's configuration
// table is generated from these (see scripts/config-table.ts) and checked by a test.
import { bool, cidrList, hostPorts, int, list, num, oneOf, str, url } from './schema.ts';

const common = {
  redisUrl: url('REDIS_URL', 'redis://127.0.0.1:6379', 'Redis server for queues, stock and coordination', [
    'redis:',
    'rediss:',
  ]),
  redisClusterNodes: hostPorts(
    'REDIS_CLUSTER_NODES',
    'Redis Cluster seed nodes (host:port,...); set: every process uses a Cluster client, REDIS_URL gives only credentials and TLS; empty: the single Redis at REDIS_URL',
  ),
  databaseUrl: url(
    'DATABASE_URL',
    'postgres://postgres@127.0.0.1:5432/test',
    'PostgreSQL database for orders and the audit log',
    ['postgres:', 'postgresql:'],
  ),
  prefix: str('SLUICE_PREFIX', 'sluice', 'Prefix of every Redis key and channel', {
    pattern: /^[a-z0-9_-]{1,32}$/i,
    form: '1-32 letters, digits, _ or -',
  }),
  logLevel: oneOf('LOG_LEVEL', 'info', 'pino log level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  ticketIssuer: str('TICKET_ISSUER', 'sluice-gate', 'iss claim of admission tickets'),
  ticketAudience: str('TICKET_AUDIENCE', 'sluice-checkout', 'aud claim of admission tickets'),
} as const;

export const gateSchema = {
  ...common,
  host: str('GATE_HOST', '0.0.0.0', 'Address the gate listens on'),
  port: int('GATE_PORT', 8080, 'Port of the gate (WebSocket, HTTP fallback, JWKS, queue page)', { min: 0, max: 65535 }),
  workers: int('GATE_WORKERS', 0, 'Gate worker processes sharing the port (0 = one per core)', { min: 0, max: 256 }),
  publicUrl: url('GATE_PUBLIC_URL', 'http://localhost:8080', 'Public base URL of the gate', ['http:', 'https:']),
  tickMs: int('GATE_TICK_MS', 250, 'Admission and state-broadcast tick', { min: 20, max: 250 }),
  maxPayload: int('GATE_MAX_PAYLOAD', 1024, 'Largest WebSocket message accepted, bytes', { min: 128, max: 65536 }),
  idleTimeoutS: int('GATE_IDLE_TIMEOUT_S', 120, 'WebSocket idle timeout, seconds (clients ping)', { min: 8, max: 960 }),
  maxBackpressure: int('GATE_MAX_BACKPRESSURE', 65536, 'Bytes buffered for one socket before it is dropped', {
    min: 1024,
    max: 16_777_216,
  }),
  joinRatePerIp: int('GATE_JOIN_RATE_PER_IP', 30, 'Joins allowed per client address per 10 s, over all gate processes', {
    min: 1,
    max: 1_000_000,
  }),
  trustedProxies: cidrList(
    'GATE_TRUSTED_PROXIES',
    [],
    'Reverse proxies (IPs or CIDRs) whose X-Real-IP / X-Forwarded-For give the client address; headers from any other peer are ignored',
  ),
  maxSocketsPerIp: int('GATE_MAX_SOCKETS_PER_IP', 64, 'Open WebSockets per client address (IPv6: per /64) in one gate process', {
    min: 1,
    max: 1_000_000,
  }),
  publicRatePerIp: int(
    'GATE_PUBLIC_RATE_PER_IP',
    300,
    'Reads of /place, /prequeue, /challenge, the admission log and upgrades to events this process does not know, per client address per 10 s in one gate process; more are answered 429 without Redis work',
    { min: 1, max: 10_000_000 },
  ),
  maxPlacesPerIp: int('GATE_MAX_PLACES_PER_IP', 16, 'Live places (waiting or admitted) per client address (IPv6: per /64) and event', {
    min: 1,
    max: 10_000_000,
  }),
  admitter: oneOf(
    'GATE_ADMITTER',
    'every',
    'Which gate processes run the admitter: every worker process is a candidate (every), or the supervisor runs one more process for it alone, so socket work never delays its ticks (dedicated; that process listens on 127.0.0.1 only); none: this process runs no admitter',
    ['every', 'dedicated', 'none'] as const,
  ),
  leaderTtlMs: int('GATE_LEADER_TTL_MS', 2000, 'Admitter lease; a dead admitter is replaced after this', {
    min: 500,
    max: 10_000,
  }),
  openChunk: int('GATE_OPEN_CHUNK', 5000, 'Ticket numbers written per Redis call while a sale opens (pre-queue shuffle)', {
    min: 100,
    max: 20_000,
  }),
  servePage: bool('GATE_SERVE_PAGE', true, 'Serve the queue page from gate/page/dist (development)'),
  keyEncryptionKey: str(
    'SLUICE_KEY_ENCRYPTION_KEY',
    '',
    'AES-256 key (64 hex characters) sealing the private ticket-signing keys in Redis; gate and dashboard only (empty: kept in clear, development only)',
    { pattern: /^([0-9a-fA-F]{64})?$/, form: '64 hex characters', secret: true },
  ),
  devOrigins: list('GATE_DEV_ORIGINS', [], 'Origins allowed for every event in addition to its own list'),
} as const;

export const checkoutSchema = {
  ...common,
  host: str('CHECKOUT_HOST', '0.0.0.0', 'Address the checkout API listens on'),
  port: int('CHECKOUT_PORT', 8081, 'Port of the checkout API', { min: 0, max: 65535 }),
  jwksUrl: url('JWKS_URL', 'http://127.0.0.1:8080/.well-known/jwks.json', 'Where checkout fetches the ticket keys', [
    'http:',
    'https:',
  ]),
  jwksRefreshMs: int(
    'CHECKOUT_JWKS_REFRESH_MS',
    2000,
    'How often checkout re-reads the JWKS: a withdrawn (leaked) key stops working within this, ms',
    { min: 200, max: 300_000 },
  ),
  clockToleranceS: int('CLOCK_TOLERANCE_S', 5, 'Allowed clock skew when checking exp/nbf, seconds', { min: 0, max: 300 }),
  reservationTtlS: int('RESERVATION_TTL_S', 120, 'A reservation not turned into an order by then is swept', {
    min: 5,
    max: 3600,
  }),
  maxBodyBytes: int('CHECKOUT_MAX_BODY', 2048, 'Largest request body accepted, bytes', { min: 64, max: 1_048_576 }),
  corsOrigins: list('CHECKOUT_CORS_ORIGINS', [], 'Origins allowed to call checkout from a browser'),
  publicUrl: str(
    'CHECKOUT_PUBLIC_URL',
    '',
    'Public base URL of checkout (e.g. https://api.shop.example); DPoP proofs must name it. Empty: the request Host',
  ),
  maxInFlight: int('CHECKOUT_MAX_INFLIGHT', 2000, 'Checkouts handled at once; more are answered 429', {
    min: 1,
    max: 1_000_000,
  }),
  redisTimeoutMs: int('CHECKOUT_REDIS_TIMEOUT_MS', 500, 'Longest wait for one Redis command before a 503, ms', {
    min: 50,
    max: 10_000,
  }),
  redisAutoPipeline: bool(
    'CHECKOUT_REDIS_AUTOPIPELINE',
    true,
    'Send the Redis commands of one event-loop turn in one write (ioredis auto-pipelining): fewer syscalls per checkout',
  ),
  waitReplicas: int(
    'CHECKOUT_WAIT_REPLICAS',
    -1,
    'Replicas that must hold a purchase before its 202 (Redis WAIT); -1 = 1 on a Redis Cluster, 0 on a single Redis',
    { min: -1, max: 16 },
  ),
  waitMs: int('CHECKOUT_WAIT_MS', 250, 'Longest WAIT for those replicas, ms (then 202 anyway, counted as unreplicated)', {
    min: 1,
    max: 5000,
  }),
  workers: int(
    'CHECKOUT_WORKERS',
    1,
    'Checkout API processes sharing the port (0 = one per core; 1 = a single process, no supervisor)',
    { min: 0, max: 256 },
  ),
} as const;

export const workerSchema = {
  ...common,
  batchSize: int('WORKER_BATCH_SIZE', 1000, 'Most orders read from an event\'s stream and written in one INSERT', {
    min: 1,
    max: 5000,
  }),
  batchesInFlight: int('WORKER_BATCHES_IN_FLIGHT', 2, 'Order batches of one event in progress at once', { min: 1, max: 64 }),
  retryMs: int(
    'WORKER_RETRY_MS',
    1000,
    'First retry of an order that failed (its entry stays pending; the wait doubles per delivery up to WORKER_LOCK_MS), ms',
    { min: 50, max: 600_000 },
  ),
  paymentLatencyMs: int('PAYMENT_LATENCY_MS', 0, 'Simulated payment latency, ms', { min: 0, max: 60_000 }),
  paymentDeclineRate: num('PAYMENT_DECLINE_RATE', 0, 'Share of payments the simulator declines', { min: 0, max: 1 }),
  guardIntervalMs: int(
    'GUARD_INTERVAL_MS',
    500,
    'How often the stock of every event is checked for a Redis failover/restart (then against PostgreSQL)',
    { min: 50, max: 60_000 },
  ),
  sweepIntervalMs: int('SWEEP_INTERVAL_MS', 1000, 'How often expired reservations are swept', { min: 100, max: 60_000 }),
  metricsHost: str('WORKER_METRICS_HOST', '0.0.0.0', 'Address the worker /metrics, /healthz, /readyz listen on'),
  metricsPort: int('WORKER_METRICS_PORT', 8083, 'Port of the worker /metrics, /healthz, /readyz', { min: 0, max: 65535 }),
  lockMs: int('WORKER_LOCK_MS', 30_000, 'An order entry another worker left unacknowledged this long is taken over (a dead worker), ms', {
    min: 1000,
    max: 600_000,
  }),
} as const;

export const dashboardSchema = {
  ...common,
  host: str('DASHBOARD_HOST', '0.0.0.0', 'Address the dashboard listens on'),
  port: int('DASHBOARD_PORT', 8082, 'Port of the ops console and admin API', { min: 0, max: 65535 }),
  adminToken: str('ADMIN_TOKEN', '', 'Operator token (empty: generated at start and printed)', { secret: true }),
  keyEncryptionKey: str(
    'SLUICE_KEY_ENCRYPTION_KEY',
    '',
    'AES-256 key (64 hex characters) sealing the private ticket-signing keys in Redis; gate and dashboard only (empty: kept in clear, development only)',
    { pattern: /^([0-9a-fA-F]{64})?$/, form: '64 hex characters', secret: true },
  ),
  viewerToken: str('VIEWER_TOKEN', '', 'Read-only token (empty: viewer login disabled)', { secret: true }),
  sessionTtlS: int('SESSION_TTL_S', 28_800, 'Console session lifetime, seconds', { min: 60, max: 604_800 }),
  checkoutMetricsUrls: list(
    'CHECKOUT_METRICS_URLS',
    [],
    'Checkout /metrics URLs scraped each second for the console latency chart (empty: no latency chart)',
  ),
  checkoutLatencyMetric: str(
    'CHECKOUT_LATENCY_METRIC',
    'sluice_checkout_duration_seconds',
    'Name of the checkout latency histogram read from those URLs',
    { pattern: /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, form: 'a Prometheus metric name' },
  ),
  trustedProxies: cidrList(
    'DASHBOARD_TRUSTED_PROXIES',
    [],
    'Reverse proxies (IP or CIDR) whose X-Real-IP / X-Forwarded-For name the operator; the login limiter counts per operator address, not per proxy',
  ),
  consoleOrigins: list(
    'DASHBOARD_ORIGINS',
    [],
    'Origins allowed for cookie-authenticated changes besides the dashboard itself (behind a proxy)',
  ),
} as const;

export const allSchemas = {
  gate: gateSchema,
  checkout: checkoutSchema,
  worker: workerSchema,
  dashboard: dashboardSchema,
} as const;
