import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SimulatedPayments } from './payment.ts';

describe('SimulatedPayments', () => {
  it('gives the same answer for the same order id (a redelivered job gets the same outcome)', async () => {
    const sim = new SimulatedPayments({ latencyMs: 0, declineRate: 0.5 });
    for (let i = 0; i < 50; i++) {
      const id = randomUUID();
      expect(await sim.charge({ orderId: id, amountCents: 100 })).toEqual(await sim.charge({ orderId: id, amountCents: 100 }));
    }
  });

  it('declines about the configured share, none at 0 and all at 1', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const share = (rate: number) => ids.filter((id) => new SimulatedPayments({ latencyMs: 0, declineRate: rate }).declines(id)).length / ids.length;
    expect(share(0)).toBe(0);
    expect(share(1)).toBe(1);
    expect(Math.abs(share(0.2) - 0.2)).toBeLessThan(0.03);
  });

  it('returns a payment reference when it accepts', async () => {
    const r = await new SimulatedPayments({ latencyMs: 0, declineRate: 0 }).charge({ orderId: randomUUID(), amountCents: 1 });
    expect(r.ok && r.ref.startsWith('sim_')).toBe(true);
  });
});

describe('SimulatedPayments reversals', () => {
  it('refunds or voids what it charged, once, and finds nothing for an order it never charged', async () => {
    const sim = new SimulatedPayments({ latencyMs: 0, declineRate: 0 });
    const a = randomUUID();
    const charged = await sim.charge({ orderId: a, amountCents: 700 });
    expect(sim.held()).toBe(700);
    const req = { orderId: a, amountCents: 700, ref: charged.ok ? charged.ref : null, reason: 'expired' };
    expect(await sim.refund(req)).toEqual({ outcome: 'reversed', ref: req.ref });
    expect(await sim.refund(req)).toEqual({ outcome: 'reversed', ref: req.ref }); // idempotent
    expect(sim.stateOf(a)).toBe('refunded');
    expect(sim.held()).toBe(0);
    expect(await sim.void({ orderId: randomUUID(), amountCents: 1, ref: null, reason: 'payment_error' })).toEqual({ outcome: 'nothing', ref: null });
  });

  it('charges but loses the answer at lostAnswerRate 1; a void then gives the money back', async () => {
    const sim = new SimulatedPayments({ latencyMs: 0, declineRate: 0, lostAnswerRate: 1 });
    const id = randomUUID();
    await expect(sim.charge({ orderId: id, amountCents: 300 })).rejects.toThrow(/lost/);
    expect(sim.held()).toBe(300);
    expect((await sim.void({ orderId: id, amountCents: 300, ref: null, reason: 'payment_error' })).outcome).toBe('reversed');
    expect(sim.stateOf(id)).toBe('voided');
  });

  it('throws for every call during an outage', async () => {
    const sim = new SimulatedPayments({ latencyMs: 0, declineRate: 0 });
    sim.outage = true;
    await expect(sim.charge({ orderId: randomUUID(), amountCents: 1 })).rejects.toThrow(/unreachable/);
    await expect(sim.refund({ orderId: randomUUID(), amountCents: 1, ref: null, reason: 'x' })).rejects.toThrow(/unreachable/);
  });
});
