// The conventional stack doing the same checkout as Sluice: Express 5 + jsonwebtoken + ioredis
// + BullMQ. jsonwebtoken 9 has no EdDSA, so its tickets are ES256 (on this kind of machine
// node:crypto verifies ES256 faster than Ed25519, which favours the baseline). No verified-ticket
// cache and no pre-checks before the signature: what a typical service does. The reservation
// runs the very same purchase-11.lua (given the ticket's SHA-256, which the script requires:
// about a microsecond, and its tickets are recorded like Sluice's); the job goes to a BullMQ
// queue with the checkout's options, one `add` per order. (The script also appends Sluice's
// order-stream entry, which nothing here reads: Redis work, not the baseline processes' CPU.)
// Env: REDIS_URL, SLUICE_PREFIX, BASELINE_PUBLIC_JWK (JSON), TICKET_ISSUER, TICKET_AUDIENCE.
import cluster from 'node:cluster';
import { createPublicKey, randomUUID } from 'node:crypto';
import { createRedis, eventKeys, LuaCode, luaCodeToError, purchaseKeys, runScript, ticketDigest } from '@sluice/shared';
import { Queue } from 'bullmq';
import express from 'express';
import jwt from 'jsonwebtoken';

const processes = Number(process.env.BASELINE_PROCESSES ?? 1);

if (cluster.isPrimary && processes > 1) {
  let ready = 0;
  let port = 0;
  for (let i = 0; i < processes; i++) {
    const w = cluster.fork();
    w.on('message', (m: { t?: string; port?: number }) => {
      if (m.t === 'ready') {
        port = m.port ?? port;
        if (++ready === processes) process.send?.({ t: 'ready', port, pids: Object.values(cluster.workers ?? {}).map((x) => x?.process.pid) });
      }
    });
  }
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const prefix = process.env.SLUICE_PREFIX ?? 'sluice';
  const issuer = process.env.TICKET_ISSUER ?? 'sluice-gate';
  const audience = process.env.TICKET_AUDIENCE ?? 'sluice-checkout';
  const publicKey = createPublicKey({ key: JSON.parse(process.env.BASELINE_PUBLIC_JWK ?? '{}'), format: 'jwk' });
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const queue = new Queue('orders-baseline', {
    connection: createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null }),
    prefix: `${prefix}:bull`,
  });
  const port = Number(process.env.BASELINE_PORT ?? 0);

  const app = express();
  app.use(express.json({ limit: '2kb' }));
  app.post('/v1/checkout', async (req, res) => {
    const m = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '');
    if (!m) {
      res.status(401).json({ error: { code: 'TICKET_MISSING' } });
      return;
    }
    let claims: jwt.JwtPayload;
    try {
      claims = jwt.verify(m[1]!, publicKey, { algorithms: ['ES256'], issuer, audience }) as jwt.JwtPayload;
    } catch {
      res.status(401).json({ error: { code: 'TICKET_SIGNATURE' } });
      return;
    }
    const { sku, qty } = (req.body ?? {}) as { sku?: unknown; qty?: unknown };
    if (typeof sku !== 'string' || typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1) {
      res.status(400).json({ error: { code: 'INVALID_BODY' } });
      return;
    }
    try {
      const k = eventKeys(prefix, String(claims.evt));
      const orderId = randomUUID();
      const now = Date.now();
      const reply = await runScript<number | [string, number, number]>(
        redis,
        'purchase',
        purchaseKeys(k),
        [String(claims.jti), String(claims.sub), sku, qty, orderId, '', now, now + 120_000, ticketDigest(m[1]!), String(claims.evt)],
      );
      if (typeof reply === 'number') {
        res.status(reply === LuaCode.BAD_ARGS ? 400 : 409).json({ error: { code: luaCodeToError[reply] ?? 'CONFLICT' } });
        return;
      }
      await queue.add(
        'order',
        { orderId, evt: claims.evt, sku, qty, jti: claims.jti, sub: claims.sub, at: now },
        { jobId: orderId, attempts: 8, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: { count: 10_000 } },
      );
      res.status(202).json({ orderId, status: 'pending', statusUrl: `/v1/orders/${orderId}` });
    } catch {
      res.status(503).json({ error: { code: 'UNAVAILABLE' } });
    }
  });

  const server = app.listen(port, '127.0.0.1', () => {
    const a = server.address();
    const p = typeof a === 'object' && a ? a.port : 0;
    process.send?.({ t: 'ready', port: p });
  });
  const stop = async () => {
    server.close();
    await queue.close().catch((err: unknown) => void err); // shutdown of a benchmark baseline
    redis.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}
