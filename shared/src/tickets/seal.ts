// Private signing keys at rest: AES-256-GCM with a key from the environment
// (SLUICE_KEY_ENCRYPTION_KEY, 64 hex characters), the key id as additional data so a sealed key
// cannot be moved to another id. Someone who can read Redis (a backup, a replica, a stolen
// dump) gets ciphertext; signing needs the environment of a gate process too.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'a256gcm.';
/** Development only: what a deployment without an encryption key stores (refused in production). */
const CLEAR = 'clear.';

/** The key-encryption key from its hex form; null for '' (development without encryption). */
export function parseKek(hex: string): Buffer | null {
  if (hex === '') return null;
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new RangeError('SLUICE_KEY_ENCRYPTION_KEY must be 64 hex characters (32 bytes)');
  return Buffer.from(hex, 'hex');
}

const aad = (kid: string): Buffer => Buffer.from(`sluice-signing-key:${kid}`);

/** Seal `plain` (a private JWK as JSON) for key id `kid`. */
export function seal(kek: Buffer | null, kid: string, plain: string): string {
  if (!kek) return CLEAR + Buffer.from(plain).toString('base64url');
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek, iv);
  c.setAAD(aad(kid));
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final(), c.getAuthTag()]);
  return `${PREFIX}${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** Open what seal() made; throws when the key is wrong, missing, or the value was tampered with. */
export function unseal(kek: Buffer | null, kid: string, sealed: string): string {
  if (sealed.startsWith(CLEAR)) return Buffer.from(sealed.slice(CLEAR.length), 'base64url').toString('utf8');
  if (!sealed.startsWith(PREFIX)) throw new Error(`signing key ${kid}: unknown sealing`);
  if (!kek) throw new Error(`signing key ${kid} is encrypted: set SLUICE_KEY_ENCRYPTION_KEY`);
  const [ivB64, bodyB64] = sealed.slice(PREFIX.length).split('.') as [string, string];
  const body = Buffer.from(bodyB64 ?? '', 'base64url');
  if (body.length < 17) throw new Error(`signing key ${kid}: truncated`);
  const d = createDecipheriv('aes-256-gcm', kek, Buffer.from(ivB64, 'base64url'));
  d.setAAD(aad(kid));
  d.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString('utf8');
}
