// Signs admission tickets for the sockets this process holds, with the current key of the
// shared keyring, records each one's digest for checkout, and serves the JWKS. The ticket's exp comes from the admission time, so a
// ticket re-sent on reconnect expires when the first one did.
import {
  type LogHead,
  signLogHead,
  buildClaims,
  ensureKeyring,
  type Kek,
  type Keyring,
  loadKeyring,
  type Redis,
  issueTicket,
} from '@sluice/shared';

export interface IssuedTicket {
  ticket: string;
  /** Expiry, ms since epoch. */
  exp: number;
}

/** Most tickets remembered for re-sends (oldest dropped first). */
const MAX_ISSUED = 100_000;

export class TicketIssuer {
  private keyring: Keyring | undefined;
  private jwksBody = '{"keys":[]}';
  /** Tickets handed out, by key and claims (bounded; pruned at expiry). */
  private readonly issued = new Map<string, IssuedTicket>();
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly iss: string;
  private readonly aud: string;
  private readonly now: () => number;
  private readonly kek: Kek;

  constructor(
    redis: Redis,
    prefix: string,
    opts: { iss: string; aud: string; now: () => number; kek?: Kek },
  ) {
    this.redis = redis;
    this.prefix = prefix;
    this.iss = opts.iss;
    this.aud = opts.aud;
    this.now = opts.now;
    this.kek = opts.kek ?? null;
  }

  /** Load (creating on first boot) the keyring; call again on a `keys` control message. */
  async reload(): Promise<void> {
    await ensureKeyring(this.redis, this.prefix, this.now(), this.kek);
    this.keyring = await loadKeyring(this.redis, this.prefix, this.now(), this.kek);
    this.jwksBody = JSON.stringify(this.keyring.jwks);
  }

  /** createdAt of the key this process signs with (reported as `versions['*']`). */
  keyVersion(): number | undefined {
    return this.keyring?.current.createdAt;
  }

  /** The JWKS document, serialised once per reload. */
  jwks(): string {
    return this.jwksBody;
  }

  /** Drop issued tickets that have expired (the 1 s timer). */
  prune(): void {
    const now = this.now();
    for (const [k, t] of this.issued) if (t.exp <= now) this.issued.delete(k);
  }

  /**
   * `jkt`: thumbprint of the shopper's key when the event binds tickets (`cnf.jkt`). The same
   * claims with the same key give the same ticket, so a re-send (reconnect, every poll of the
   * HTTP fallback) is answered from memory: no signature, no Redis write.
   */
  async issue(
    evt: string,
    placeId: string,
    admittedAtMs: number,
    ttlS: number,
    jkt?: string,
  ): Promise<IssuedTicket> {
    if (!this.keyring) throw new Error('keyring not loaded');
    const cacheKey = `${this.keyring.current.kid}|${evt}|${placeId}|${admittedAtMs}|${ttlS}|${jkt ?? ''}`;
    const hit = this.issued.get(cacheKey);
    if (hit && hit.exp > this.now()) return hit;
    // iat is the admission time, so a ticket re-sent on reconnect is byte-identical (Ed25519 is
    // deterministic) while the key is the same, and the record checkout compares stays valid.
    const claims = buildClaims({
      placeId,
      evt,
      admittedAtMs,
      ttlS,
      nowMs: admittedAtMs,
      iss: this.iss,
      aud: this.aud,
      jkt,
    });
    // Recorded before it is handed out: checkout's purchase script compares its digest.
    const ticket = await issueTicket(this.redis, this.prefix, this.keyring.current, claims);
    const issued = { ticket, exp: claims.exp * 1000 };
    if (this.issued.size >= MAX_ISSUED) this.issued.delete(this.issued.keys().next().value as string);
    this.issued.set(cacheKey, issued);
    return issued;
  }

  /** Id of the current signing key (undefined before the keyring is loaded). */
  currentKid(): string | undefined {
    return this.keyring?.current.kid;
  }

  /** Sign the head of an event's public admission log with the current ticket key. */
  signLogHead(head: LogHead): Promise<string> {
    if (!this.keyring) throw new Error('keyring not loaded');
    return signLogHead(this.keyring.current, head);
  }
}
