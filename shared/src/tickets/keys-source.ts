// Where a verifier finds public keys by `kid`: a JWKS fetched over HTTP (cached, refetched on an
// unknown kid at most once per cooldown), or a fixed local set (tests, edge workers with keys
// baked in). While the JWKS cannot be fetched, an unknown kid is not a bad ticket: `get` throws
// UNAVAILABLE (503, Retry-After) instead of answering "no such key" (401).
import { importJWK, type JWK } from 'jose';
import { SluiceError } from '../protocol/errors.ts';
import { TICKET_ALG } from './claims.ts';

export interface KeySource {
  /**
   * The key for `kid`, or undefined when it is not (or no longer) published. Throws SluiceError
   * UNAVAILABLE when it cannot tell (the key set cannot be fetched).
   */
  get(kid: string): Promise<CryptoKey | undefined>;
  /** Known without a fetch (for the cheap pre-check). */
  knows(kid: string): boolean;
}

async function importAll(keys: readonly JWK[]): Promise<Map<string, CryptoKey>> {
  const map = new Map<string, CryptoKey>();
  for (const jwk of keys) {
    if (typeof jwk.kid !== 'string' || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') continue;
    map.set(jwk.kid, (await importJWK({ ...jwk, alg: TICKET_ALG }, TICKET_ALG)) as CryptoKey);
  }
  return map;
}

export class LocalKeys implements KeySource {
  private keys = new Map<string, CryptoKey>();
  private constructor() {}
  static async from(jwks: { keys: readonly JWK[] }): Promise<LocalKeys> {
    const s = new LocalKeys();
    s.keys = await importAll(jwks.keys);
    return s;
  }
  async get(kid: string): Promise<CryptoKey | undefined> {
    return this.keys.get(kid);
  }
  knows(kid: string): boolean {
    return this.keys.has(kid);
  }
}

/** While the JWKS is failing, an unknown kid triggers a refetch at most this often. */
const FAILING_COOLDOWN_MS = 1000;

export class RemoteJwks implements KeySource {
  private keys = new Map<string, CryptoKey>();
  private lastFetch = 0;
  private inflight: Promise<void> | undefined;
  /** The last fetch failed: the published set is unknown (retried after at most FAILING_COOLDOWN_MS). */
  private failing = false;
  private readonly url: string;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;

  /**
   * `refreshEveryMs`: also re-read the JWKS in the background this often (a withdrawn key then
   * disappears within it; the timer does not keep the process alive).
   */
  constructor(
    url: string,
    opts: { cooldownMs?: number; maxAgeMs?: number; timeoutMs?: number; refreshEveryMs?: number } = {},
  ) {
    this.url = url;
    this.cooldownMs = opts.cooldownMs ?? 5_000;
    this.maxAgeMs = opts.maxAgeMs ?? 300_000;
    this.timeoutMs = opts.timeoutMs ?? 2_000;
    if (opts.refreshEveryMs) {
      // A failed background read keeps the keys held; the next tick (or an unknown kid) retries.
      setInterval(() => void this.refresh().catch(() => undefined), opts.refreshEveryMs).unref();
    }
  }

  /** Fetch now (at boot, and when a key is unknown and the cooldown has passed). */
  refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(this.timeoutMs) });
        if (!res.ok) throw new Error(`JWKS ${this.url} answered ${res.status}`);
        const body = (await res.json()) as { keys?: JWK[] };
        if (!Array.isArray(body.keys)) throw new Error(`JWKS ${this.url} has no keys array`);
        this.keys = await importAll(body.keys);
        this.failing = false;
      } catch (err) {
        this.failing = true;
        throw err;
      } finally {
        this.lastFetch = Date.now();
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  async get(kid: string): Promise<CryptoKey | undefined> {
    const stale = Date.now() - this.lastFetch > this.maxAgeMs;
    const key = this.keys.get(kid);
    if (key && !stale) return key;
    const cooldown = this.failing ? Math.min(this.cooldownMs, FAILING_COOLDOWN_MS) : this.cooldownMs;
    let fetchError: unknown;
    if (Date.now() - this.lastFetch >= cooldown || stale) {
      try {
        await this.refresh();
      } catch (err) {
        // Keep serving the keys we have; the failure is remembered in `failing`.
        fetchError = err;
      }
    } else if (this.inflight) {
      // Another caller's fetch is under way: wait for it; its outcome lands in `failing`.
      await this.inflight.then(
        () => undefined,
        (err: unknown) => {
          fetchError = err;
        },
      );
    }
    const found = this.keys.get(kid);
    if (found) return found;
    if (this.failing) {
      throw new SluiceError('UNAVAILABLE', {
        message: 'The ticket signing keys cannot be fetched right now; retry shortly.',
        cause: fetchError,
      });
    }
    return undefined;
  }

  knows(kid: string): boolean {
    return this.keys.has(kid);
  }
}
