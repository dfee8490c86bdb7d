// Mints tickets into a file, one per line, with node:crypto directly (the same compact JWS that
// shared/src/tickets/sign.ts produces with jose, about 3× faster, so a million tickets for a
// first-use run take seconds). Claims come from the shared buildClaims. With `record`, each
// ticket's digest is recorded in Redis as the gate records the tickets it issues (in chunks of
// RECORD_CHUNK), so checkout accepts them; junk sets are not recorded.
import { createPrivateKey, sign } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { buildClaims } from '@sluice/shared/tickets/claims.ts';
import { recordTickets } from '@sluice/shared/tickets/record.ts';
import { Redis } from 'ioredis';
import type { MintJob } from './mint.ts';

const RECORD_CHUNK = 2000;

process.on('message', async (job: MintJob) => {
  const key = createPrivateKey({ key: job.privateJwk as never, format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ alg: job.alg, kid: job.kid, typ: 'JWT' })).toString(
    'base64url',
  );
  const out = createWriteStream(job.file);
  const redis = job.record ? new Redis(job.record.redisUrl) : null;
  let chunk: { jti: string; ticket: string }[] = [];
  const flush = async () => {
    if (redis && chunk.length) await recordTickets(redis, job.record!.prefix, job.evt, chunk);
    chunk = [];
  };
  const now = Date.now();
  for (let i = job.from; i < job.to; i++) {
    const placeId = `${job.placePrefix}_${i.toString(36)}`;
    const claims = buildClaims({
      placeId,
      evt: job.evt,
      admittedAtMs: now,
      ttlS: job.ttlS,
      nowMs: now,
      iss: job.iss,
      aud: job.aud,
    });
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const sig =
      job.alg === 'EdDSA'
        ? sign(null, Buffer.from(input), key)
        : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    const ticket = `${input}.${sig.toString('base64url')}`;
    if (redis) {
      chunk.push({ jti: placeId, ticket });
      if (chunk.length >= RECORD_CHUNK) await flush();
    }
    if (!out.write(`${ticket}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await flush();
  redis?.disconnect();
  out.end(() => process.send?.({ t: 'done', n: job.to - job.from }));
});
process.send?.({ t: 'ready' });
process.on('disconnect', () => process.exit(0));
