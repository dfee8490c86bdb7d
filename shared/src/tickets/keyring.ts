// Ed25519 signing keys, kept in Redis so every gate process signs with the same current key and
// publishes the same JWKS. Public and private parts live apart: `<prefix>:keys` holds the public
// records (what the JWKS shows, readable by the dashboard too), `<prefix>:signing-keys` the
// private key of the current signing key only, sealed with AES-256-GCM (seal.ts) and readable by
// the gate's Redis user alone (deploy/redis/users.acl). Rotation is one Lua call; the retired
// key's private part is deleted at once, its public part stays published until the last ticket
// it could have signed has expired.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { publishControl } from '../events/store.ts';
import { globalKeys } from '../keys.ts';
import { type Redis, runScript } from '../redis.ts';
import { TICKET_ALG } from './claims.ts';
import { seal, unseal } from './seal.ts';

/** The public record of a key (field `<kid>` of `<prefix>:keys`). */
export interface KeyRecord {
  kid: string;
  createdAt: number;
  /** When it stopped being the signing key (null while current). */
  retiredAt: number | null;
  /** Published in the JWKS until then (ms). */
  publishUntil: number | null;
  /** Set by an emergency withdrawal (withdrawKey): unpublished at once. */
  withdrawnAt?: number;
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

/** The key-encryption key (parseKek(SLUICE_KEY_ENCRYPTION_KEY)); null stores keys in clear (development). */
export type Kek = Buffer | null;

async function newKey(now: number, kek: Kek): Promise<{ rec: KeyRecord; sealed: string }> {
  const { publicKey, privateKey } = await generateKeyPair(TICKET_ALG, { crv: 'Ed25519', extractable: true });
  const kid = `k-${new Date(now).toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TICKET_ALG, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: TICKET_ALG };
  return {
    rec: { kid, createdAt: now, retiredAt: null, publishUntil: null, publicJwk },
    sealed: seal(kek, kid, JSON.stringify(privateJwk)),
  };
}

/** Create the first signing key if there is none (safe when many processes race). */
export async function ensureKeyring(
  redis: Redis,
  prefix: string,
  now = Date.now(),
  kek: Kek = null,
): Promise<void> {
  const g = globalKeys(prefix);
  if (await redis.hexists(g.keys, 'current')) return;
  const { rec, sealed } = await newKey(now, kek);
  // Private part first: a `current` never names a key whose private part is not there yet.
  await redis.hset(g.signingKeys, rec.kid, sealed);
  await redis.hset(g.keys, rec.kid, JSON.stringify(rec));
  const won = await redis.hsetnx(g.keys, 'current', rec.kid);
  if (won === 0) {
    await redis.hdel(g.keys, rec.kid);
    await redis.hdel(g.signingKeys, rec.kid);
  }
}

/**
 * Make a new signing key current (atomically: `rotate-key` Lua). The old one stays published for
 * `maxTicketTtlS` (+ a margin for processes that have not heard of the rotation yet); its private
 * part is deleted (gates that still sign with it hold it in memory until they reload).
 */
export async function rotateKey(
  redis: Redis,
  prefix: string,
  maxTicketTtlS: number,
  now = Date.now(),
  kek: Kek = null,
): Promise<{ previous: string | null; current: string }> {
  const g = globalKeys(prefix);
  const { rec, sealed } = await newKey(now, kek);
  await redis.hset(g.signingKeys, rec.kid, sealed);
  const until = now + (maxTicketTtlS + 30) * 1000;
  const prev = await runScript<string>(
    redis,
    'rotate-key',
    [g.keys],
    [rec.kid, JSON.stringify(rec), now, until],
  );
  if (prev) await redis.hdel(g.signingKeys, prev);
  await publishControl(redis, prefix, { evt: '*', kind: 'keys', version: now, at: now });
  return { previous: prev || null, current: rec.kid };
}

/**
 * Emergency withdrawal of a (leaked) signing key: if it is the current key a new one is made
 * current first; then it is unpublished at once (`withdraw-key` Lua) and its private part
 * deleted. Gates reload on the control message and drop it from the JWKS; checkout re-reads the
 * JWKS every CHECKOUT_JWKS_REFRESH_MS and then refuses its tickets (a cached verdict included).
 * Returns whether such a key existed.
 */
export async function withdrawKey(
  redis: Redis,
  prefix: string,
  kid: string,
  maxTicketTtlS: number,
  now = Date.now(),
  kek: Kek = null,
): Promise<{ withdrawn: boolean; current: string }> {
  const g = globalKeys(prefix);
  let current = (await redis.hget(g.keys, 'current')) ?? '';
  if (current === kid) current = (await rotateKey(redis, prefix, maxTicketTtlS, now, kek)).current;
  const r = Number(await runScript<number>(redis, 'withdraw-key', [g.keys], [kid, now]));
  if (r === -40) throw new Error(`key ${kid} became current again during its withdrawal; retry`);
  await redis.hdel(g.signingKeys, kid);
  await publishControl(redis, prefix, { evt: '*', kind: 'keys', version: now, at: now });
  return { withdrawn: r === 1, current };
}

/** Read the keyring: the current private key (unsealed) and the public keys to publish at `now`. */
export async function loadKeyring(
  redis: Redis,
  prefix: string,
  now = Date.now(),
  kek: Kek = null,
): Promise<Keyring> {
  const g = globalKeys(prefix);
  let all = await redis.hgetall(g.keys);
  let currentKid = all.current;
  if (!currentKid || !all[currentKid]) throw new Error('no signing key; call ensureKeyring first');
  let sealed = await redis.hget(g.signingKeys, currentKid);
  if (!sealed) {
    // A keyring from before the private parts were sealed apart (or a lost private part): start
    // a fresh key; the old public key stays published for the longest ticket lifetime.
    await rotateKey(redis, prefix, 86_400, now, kek);
    all = await redis.hgetall(g.keys);
    currentKid = all.current;
    sealed = currentKid ? await redis.hget(g.signingKeys, currentKid) : null;
    if (!currentKid || !all[currentKid] || !sealed) throw new Error('signing key missing after a rotation');
  }
  const records = Object.entries(all)
    .filter(([f]) => f !== 'current')
    .map(([, v]) => JSON.parse(v) as KeyRecord);
  const cur = JSON.parse(all[currentKid] as string) as KeyRecord;
  const key = (await importJWK(JSON.parse(unseal(kek, currentKid, sealed)) as JWK, TICKET_ALG)) as CryptoKey;
  const published = records
    .filter((r) => r.kid === currentKid || (r.publishUntil !== null && r.publishUntil > now))
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((r) => r.publicJwk);
  return { current: { kid: currentKid, key, createdAt: cur.createdAt }, jwks: { keys: published } };
}

/** Public keys only (the dashboard's view): no access to the private parts needed. */
export async function publicKeyRecords(
  redis: Redis,
  prefix: string,
): Promise<{ current: string | null; records: KeyRecord[] }> {
  const all = await redis.hgetall(globalKeys(prefix).keys);
  return {
    current: all.current ?? null,
    records: Object.entries(all)
      .filter(([f]) => f !== 'current')
      .map(([, v]) => JSON.parse(v) as KeyRecord),
  };
}
