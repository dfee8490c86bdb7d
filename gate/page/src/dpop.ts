// The browser's side of bound tickets (events with `bindTickets`): a P-256 key pair made with
// WebCrypto as non-extractable (the private key can sign but never be read, copied or sent), kept
// in this origin's IndexedDB per event, and DPoP proofs (RFC 9449 shape) signed with it. The
// ticket carries the key's thumbprint; a copy of the ticket without the key is refused.

export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

export interface HeldKey {
  privateKey: CryptoKey;
  jwk: PublicJwk;
}

const DB = 'sluice-keys';
const STORE = 'keys';

const b64url = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const b64urlText = (text: string): string => b64url(new TextEncoder().encode(text));

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function idb<T>(
  db: IDBDatabase,
  mode: IDBTransactionMode,
  op: (s: IDBObjectStore) => IDBRequest,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = op(db.transaction(STORE, mode).objectStore(STORE));
    req.onsuccess = () => resolve(req.result as T);
    req.onerror = () => reject(req.error);
  });
}

async function newKey(): Promise<HeldKey> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  // Public keys are always exportable; only the private key is locked in.
  const full = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey;
  return { privateKey: pair.privateKey, jwk: { kty: 'EC', crv: 'P-256', x: full.x!, y: full.y! } };
}

/** Keys made in this page when IndexedDB is unavailable (lost on reload). */
const memory = new Map<string, HeldKey>();

/** The key this browser holds for `event`, or null. */
export async function heldKey(event: string): Promise<HeldKey | null> {
  const m = memory.get(event);
  if (m) return m;
  try {
    const db = await openDb();
    return (await idb<HeldKey | undefined>(db, 'readonly', (s) => s.get(event))) ?? null;
  } catch (err) {
    console.warn('sluice: no IndexedDB for the ticket key', err);
    return null;
  }
}

/** The key for `event`, made (and stored) on first use. */
export async function ensureKey(event: string): Promise<HeldKey> {
  const held = await heldKey(event);
  if (held) return held;
  const k = await newKey();
  try {
    const db = await openDb();
    await idb(db, 'readwrite', (s) => s.put(k, event));
  } catch (err) {
    // Private modes without IndexedDB: the key lives as long as this page; a reload joins anew.
    console.warn('sluice: could not store the ticket key', err);
    memory.set(event, k);
  }
  return k;
}

/** The public JWK as the queue page's `key` parameter (base64url JSON). */
export function encodeJwk(jwk: PublicJwk): string {
  return b64urlText(JSON.stringify(jwk));
}

/** A `key` parameter back to a public JWK, or null when it is not one. */
export function decodeJwk(param: string | null): PublicJwk | null {
  if (!param || param.length > 400 || !/^[A-Za-z0-9_-]+$/.test(param)) return null;
  try {
    const j = JSON.parse(atob(param.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const ok = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v);
    if (j.kty !== 'EC' || j.crv !== 'P-256' || !ok(j.x) || !ok(j.y)) return null;
    return { kty: 'EC', crv: 'P-256', x: j.x as string, y: j.y as string };
  } catch {
    return null;
  }
}

/**
 * A DPoP proof for one request with `ticket`: `{typ:"dpop+jwt", alg:"ES256", jwk}` over
 * `{jti, htm, htu, iat, ath}`. Make a new one per request; each is accepted once.
 */
export async function makeProof(key: HeldKey, method: string, url: string, ticket: string): Promise<string> {
  const u = new URL(url, location.href);
  const ath = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(ticket))));
  const header = b64urlText(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk }));
  const payload = b64urlText(
    JSON.stringify({
      jti: b64url(crypto.getRandomValues(new Uint8Array(18))),
      htm: method.toUpperCase(),
      htu: `${u.protocol}//${u.host}${u.pathname}`,
      iat: Math.floor(Date.now() / 1000),
      ath,
    }),
  );
  const input = new TextEncoder().encode(`${header}.${payload}`);
  // WebCrypto's ECDSA signature is r||s, exactly the JWS ES256 form.
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, input);
  return `${header}.${payload}.${b64url(new Uint8Array(sig))}`;
}
