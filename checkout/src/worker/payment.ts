// Payment behind an interface, with a built-in simulator. The simulator's decision is a pure
// function of the order id, so a redelivered job gets the same outcome as the first delivery.
// A second adapter shape (a card processor with authorise/capture/void/refund) is documented in
// docs/PAYMENTS.md.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PaymentRequest {
  orderId: string;
  amountCents: number;
}

export type PaymentResult = { ok: true; ref: string } | { ok: false; reason: string };

/** Give back the money of an order that was charged (or may have been) and then failed. */
export interface ReversalRequest {
  orderId: string;
  amountCents: number;
  /** The charge's reference; null when the charge's outcome was never learnt. */
  ref: string | null;
  /** Why the order failed: 'expired', 'ticket_already_ordered', 'payment_error', ... */
  reason: string;
}

/** 'reversed': money given back by this call or an earlier one; 'nothing': no charge was found. */
export type ReversalResult = { outcome: 'reversed' | 'nothing'; ref: string | null };

export interface PaymentProvider {
  /** Charge once per order id (providers deduplicate by it); throws when the outcome is unknown. */
  charge(req: PaymentRequest): Promise<PaymentResult>;
  /**
   * Cancel a charge whose outcome is unknown (or not yet settled), by order id. Idempotent;
   * resolves 'nothing' when no charge exists; throws when the provider cannot say.
   */
  void(req: ReversalRequest): Promise<ReversalResult>;
  /** Refund a charge that succeeded, in full. Idempotent per order id; throws when the outcome is unknown. */
  refund(req: ReversalRequest): Promise<ReversalResult>;
}

export interface SimulatorOptions {
  latencyMs: number;
  /** Share of orders declined, 0..1. */
  declineRate: number;
  /** Share of charges that go through but whose answer is lost (charge throws), 0..1. */
  lostAnswerRate?: number;
  /** Changes which orders are declined (same seed, same decisions). */
  seed?: string;
}

interface LedgerEntry {
  amountCents: number;
  ref: string;
  state: 'charged' | 'refunded' | 'voided';
}

export class SimulatedPayments implements PaymentProvider {
  private readonly opts: Required<SimulatorOptions>;
  /** What this simulator charged and gave back, by order id (in memory: one process). */
  private readonly ledger = new Map<string, LedgerEntry>();
  /** While true the provider is unreachable: every call throws (outcome unknown, nothing done). */
  outage = false;

  constructor(opts: SimulatorOptions) {
    this.opts = { seed: 'sluice-sim', lostAnswerRate: 0, ...opts };
  }

  private draw(salt: string, orderId: string): number {
    const h = createHash('sha256').update(`${this.opts.seed}${salt}:${orderId}`).digest();
    return h.readUInt32BE(0) / 2 ** 32;
  }

  /** Whether `orderId` is declined: a uniform draw from SHA-256(seed:orderId) below declineRate. */
  declines(orderId: string): boolean {
    return this.opts.declineRate > 0 && this.draw('', orderId) < this.opts.declineRate;
  }

  /** Whether the answer to charging `orderId` is lost (the charge itself goes through). */
  losesAnswer(orderId: string): boolean {
    return this.opts.lostAnswerRate > 0 && this.draw(':lost', orderId) < this.opts.lostAnswerRate;
  }

  async charge(req: PaymentRequest): Promise<PaymentResult> {
    if (this.opts.latencyMs > 0) await sleep(this.opts.latencyMs);
    if (this.outage) throw new Error('payment simulator: provider unreachable');
    if (this.declines(req.orderId)) return { ok: false, reason: 'declined' };
    const ref = `sim_${req.orderId.replaceAll('-', '').slice(0, 20)}`;
    if (!this.ledger.has(req.orderId)) this.ledger.set(req.orderId, { amountCents: req.amountCents, ref, state: 'charged' });
    if (this.losesAnswer(req.orderId)) throw new Error(`payment simulator: answer for ${req.orderId} lost`);
    return { ok: true, ref };
  }

  async void(req: ReversalRequest): Promise<ReversalResult> {
    return this.reverse(req, 'voided');
  }

  async refund(req: ReversalRequest): Promise<ReversalResult> {
    return this.reverse(req, 'refunded');
  }

  private async reverse(req: ReversalRequest, to: 'voided' | 'refunded'): Promise<ReversalResult> {
    if (this.opts.latencyMs > 0) await sleep(this.opts.latencyMs);
    if (this.outage) throw new Error('payment simulator: provider unreachable');
    const e = this.ledger.get(req.orderId);
    if (!e) return { outcome: 'nothing', ref: null };
    if (e.state === 'charged') e.state = to;
    return { outcome: 'reversed', ref: e.ref };
  }

  /** Cents charged and not given back, over every order this simulator saw. */
  held(): number {
    let n = 0;
    for (const e of this.ledger.values()) if (e.state === 'charged') n += e.amountCents;
    return n;
  }

  /** The ledger state of one order, or null if it was never charged. */
  stateOf(orderId: string): LedgerEntry['state'] | null {
    return this.ledger.get(orderId)?.state ?? null;
  }
}
