// Ed25519 signing keys, kept in Redis so every gate process signs with the same current key and
// publishes the same JWKS. Rotation keeps the previous public key published until the last
// ticket it could have signed has expired.
import { randomUUID } from 'node:crypto';
import type { Redis } from '../redis.ts';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { globalKeys } from '../keys.ts';
import { publishControl } from '../events/store.ts';
import { TICKET_ALG } from './claims.ts';

export interface KeyRecord {
  kid: string;
  createdAt: number;
  /** When it stopped being the signing key (null while current). */
  retiredAt: number | null;
  /** Published in the JWKS until then (ms). */
  publishUntil: number | null;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface SigningKey {
  kid: string;
  key: CryptoKey;
  /** When this key was made (ms); gates report it as the key version they sign with. */
  createdAt?: number;
}

export interface Keyring {
  current: SigningKey;
  /** Public keys to publish: current plus those still needed to verify live tickets. */
  jwks: { keys: JWK[] };
}

async function newKeyRecord(now: number): Promise<KeyRecord> {
  const { publicKey, privateKey } = await generateKeyPair(TICKET_ALG, { crv: 'Ed25519', extractable: true });
  const kid = `k-${new Date(now).toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TICKET_ALG, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: TICKET_ALG };
  return { kid, createdAt: now, retiredAt: null, publishUntil: null, privateJwk, publicJwk };
}

/** Create the first signing key if there is none (safe when many processes race). */
export async function ensureKeyring(redis: Redis, prefix: string, now = Date.now()): Promise<void> {
  const k = globalKeys(prefix).keys;
  if (await redis.hexists(k, 'current')) return;
  const rec = await newKeyRecord(now);
  await redis.hset(k, rec.kid, JSON.stringify(rec));
  const won = await redis.hsetnx(k, 'current', rec.kid);
  if (won === 0) await redis.hdel(k, rec.kid);
}

/**
 * Make a new signing key current. The old one stays published for `maxTicketTtlS` (+ a margin
 * for processes that have not heard of the rotation yet).
 */
export async function rotateKey(
  redis: Redis,
  prefix: string,
  maxTicketTtlS: number,
  now = Date.now(),
): Promise<{ previous: string | null; current: string }> {
  const k = globalKeys(prefix).keys;
  const rec = await newKeyRecord(now);
  const prevKid = await redis.hget(k, 'current');
  const multi = redis.multi().hset(k, rec.kid, JSON.stringify(rec)).hset(k, 'current', rec.kid);
  if (prevKid) {
    const prevRaw = await redis.hget(k, prevKid);
    if (prevRaw) {
      const prev = JSON.parse(prevRaw) as KeyRecord;
      prev.retiredAt = now;
      prev.publishUntil = now + (maxTicketTtlS + 30) * 1000;
      multi.hset(k, prevKid, JSON.stringify(prev));
    }
  }
  await multi.exec();
  await publishControl(redis, prefix, { evt: '*', kind: 'keys', version: now, at: now });
  return { previous: prevKid, current: rec.kid };
}

/** Read the keyring: the current private key and the public keys to publish at `now`. */
export async function loadKeyring(redis: Redis, prefix: string, now = Date.now()): Promise<Keyring> {
  const all = await redis.hgetall(globalKeys(prefix).keys);
  const currentKid = all.current;
  if (!currentKid || !all[currentKid]) throw new Error('no signing key; call ensureKeyring first');
  const records = Object.entries(all)
    .filter(([f]) => f !== 'current')
    .map(([, v]) => JSON.parse(v) as KeyRecord);
  const cur = JSON.parse(all[currentKid]) as KeyRecord;
  const key = (await importJWK(cur.privateJwk, TICKET_ALG)) as CryptoKey;
  const published = records
    .filter((r) => r.kid === currentKid || (r.publishUntil !== null && r.publishUntil > now))
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((r) => r.publicJwk);
  return { current: { kid: currentKid, key, createdAt: cur.createdAt }, jwks: { keys: published } };
}
