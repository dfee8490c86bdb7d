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

export class TicketIssuer {
  private keyring: Keyring | undefined;
  private jwksBody = '{"keys":[]}';
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly iss: string;
  private readonly aud: string;
  private readonly now: () => number;
  private readonly kek: Kek;

  constructor(redis: Redis, prefix: string, opts: { iss: string; aud: string; now: () => number; kek?: Kek }) {
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

  /** `jkt`: thumbprint of the shopper's key when the event binds tickets (`cnf.jkt`). */
  async issue(evt: string, placeId: string, admittedAtMs: number, ttlS: number, jkt?: string): Promise<IssuedTicket> {
    if (!this.keyring) throw new Error('keyring not loaded');
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
    return { ticket, exp: claims.exp * 1000 };
  }

  /** Sign the head of an event's public admission log with the current ticket key. */
  signLogHead(head: LogHead): Promise<string> {
    if (!this.keyring) throw new Error('keyring not loaded');
    return signLogHead(this.keyring.current, head);
  }
}
