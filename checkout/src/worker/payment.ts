// Payment behind an interface, with a built-in simulator. The simulator's decision is a pure
// function of the order id, so a redelivered job gets the same outcome as the first delivery.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PaymentRequest {
  orderId: string;
  amountCents: number;
}

export type PaymentResult = { ok: true; ref: string } | { ok: false; reason: string };

export interface PaymentProvider {
  /** Charge once per order id (providers deduplicate by it); throws when the outcome is unknown. */
  charge(req: PaymentRequest): Promise<PaymentResult>;
}

export interface SimulatorOptions {
  latencyMs: number;
  /** Share of orders declined, 0..1. */
  declineRate: number;
  /** Changes which orders are declined (same seed, same decisions). */
  seed?: string;
}

export class SimulatedPayments implements PaymentProvider {
  private readonly opts: Required<SimulatorOptions>;

  constructor(opts: SimulatorOptions) {
    this.opts = { seed: 'sluice-sim', ...opts };
  }

  /** Whether `orderId` is declined: a uniform draw from SHA-256(seed:orderId) below declineRate. */
  declines(orderId: string): boolean {
    const h = createHash('sha256').update(`${this.opts.seed}:${orderId}`).digest();
    return h.readUInt32BE(0) / 2 ** 32 < this.opts.declineRate;
  }

  async charge(req: PaymentRequest): Promise<PaymentResult> {
    if (this.opts.latencyMs > 0) await sleep(this.opts.latencyMs);
    if (this.declines(req.orderId)) return { ok: false, reason: 'declined' };
    return { ok: true, ref: `sim_${req.orderId.replaceAll('-', '').slice(0, 20)}` };
  }
}
