// A crowd of buyers for fault cases: `concurrency` loops, each buying with a fresh ticket until
// stopped, `max` attempts were made or an answer carried `stopOnCode` (e.g. SOLD_OUT), recording
// every answer with its time.
import { buy, type BuyResult, type OpenSale } from './sale.ts';
import { sleep } from './wait.ts';

export interface Attempt extends BuyResult {
  /** When this shopper's turn began (before its ticket was minted, which waits while Redis is away). */
  at: number;
  /** When the purchase's answer arrived. */
  answeredAt: number;
  placeId: string;
}

export interface Buyers {
  attempts: Attempt[];
  accepted(): Attempt[];
  stop(): Promise<void>;
  /** Resolves when `max` attempts were made (or stop()). */
  done: Promise<void>;
}

export function startBuyers(
  base: () => string,
  sale: OpenSale,
  o: { concurrency: number; max: number; pauseMs?: number; tag?: string; stopOnCode?: string },
): Buyers {
  const attempts: Attempt[] = [];
  let stopped = false;
  let n = 0;
  const loops = Array.from({ length: o.concurrency }, async () => {
    while (!stopped && n < o.max) {
      const placeId = `${o.tag ?? 'buyer'}-${n++}`;
      const at = Date.now();
      // Tickets are recorded in Redis when issued (as the gate does): while the event's Redis is
      // down or failing over none can be minted, so this shopper waits to be admitted.
      let ticket: string | null = null;
      while (ticket === null && !stopped) {
        ticket = await sale.ticket(placeId).catch(async () => {
          await sleep(200);
          return null;
        });
      }
      if (ticket === null) break;
      const r = await buy(base(), ticket, '{"sku":"SKU-1","qty":1}', 5000);
      attempts.push({ ...r, at, answeredAt: Date.now(), placeId });
      if (o.stopOnCode && r.code === o.stopOnCode) stopped = true;
      if (o.pauseMs) await sleep(o.pauseMs);
    }
  });
  const done = Promise.all(loops).then(() => {});
  return {
    attempts,
    accepted: () => attempts.filter((a) => a.status === 202),
    done,
    async stop() {
      stopped = true;
      await done;
    },
  };
}
