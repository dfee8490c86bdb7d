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
