// A crowd for the demo: simulated shoppers join an event through the public protocol (WebSocket,
// proof of work when the event asks for it) from many loopback addresses, some give up while
// waiting, and the admitted ones buy through the checkout API with their ticket, so the ops
// console's line, stock, orders and latency move while a person watches. Bounded in shoppers and
// in time; stops by itself and returns what happened.
import { randomUUID } from 'node:crypto';
import { CloseCode, GatePaths, type PublicEventInfo, wsPath } from '@sluice/shared';
import WebSocket from 'ws';
import { nextLocalAddress } from '../swarm/run.ts';
import { buyWithRetry, type BuyOutcome, finalStatuses, getJson } from './http.ts';
import { type Challenge, powPool } from './pow-pool.ts';
import { type CrowdOptions, type CrowdSummary, newSummary } from './summary.ts';

type Stage = 'joining' | 'waiting' | 'admitted' | 'buying' | 'done';

interface Shopper {
  stage: Stage;
  ws: WebSocket | null;
}

const MAX_SHOPPERS = 18_000; // one socket each; a process may hold 20,000 files

export async function runCrowd(o: CrowdOptions): Promise<CrowdSummary> {
  if (!(o.shoppers >= 1 && o.shoppers <= MAX_SHOPPERS)) throw new Error(`shoppers: 1 to ${MAX_SHOPPERS}`);
  const info = await getJson<PublicEventInfo>(`${o.gateUrl}${GatePaths.event(o.event)}`);
  const catalogue = await getJson<{ products: { sku: string; limitPerShopper: number; remaining: number }[] }>(
    `${o.checkoutUrl}/v1/events/${encodeURIComponent(o.event)}/products`,
  );
  const product = catalogue.products[0];
  if (!product) throw new Error(`event ${o.event} sells nothing`);

  const s = newSummary(o, info.powDifficulty);
  const accepted: { orderId: string; ticket: string }[] = [];
  const shoppers: Shopper[] = [];
  const addresses = Array.from({ length: s.addresses }, nextLocalAddress);
  const t0 = Date.now();
  const since = () => Math.round((Date.now() - t0) / 100) / 10;
  const bump = (m: Record<string, number>, k: string) => {
    m[k] = (m[k] ?? 0) + 1;
  };
  let soldOut = false;
  let stopping = false;
  const sawSoldOut = () => {
    if (!soldOut) {
      soldOut = true;
      s.soldOutAtS = since();
    }
  };
  const wsBase = o.gateUrl.replace(/^http/, 'ws');
  const solver = powPool(o.powProcs);

  const unitsLeft = async (): Promise<number> => {
    const cat = await getJson<{ products: { sku: string; remaining: number }[] }>(
      `${o.checkoutUrl}/v1/events/${encodeURIComponent(o.event)}/products`,
    ).catch(() => null);
    return cat?.products.find((x) => x.sku === product.sku)?.remaining ?? 0;
  };

  async function buy(p: Shopper, ticket: string): Promise<void> {
    p.stage = 'buying';
    s.buyers++;
    let qty = 1 + Math.floor(Math.random() * product!.limitPerShopper);
    const key = randomUUID();
    for (;;) {
      const r: BuyOutcome = await buyWithRetry(o.checkoutUrl, ticket, product!.sku, qty, key);
      if (r.orderId) {
        s.ordersAccepted++;
        s.unitsBought += qty;
        accepted.push({ orderId: r.orderId, ticket });
        break;
      }
      // SOLD_OUT means fewer units left than asked: like a person, take what is left. (A shopper
      // who gave up here would keep an admission slot until the ticket expires, and with the
      // last units held back the line would stall.)
      const left = r.code === 'SOLD_OUT' && qty > 1 ? await unitsLeft() : 0;
      if (left > 0) {
        qty = Math.min(qty - 1, left);
        continue;
      }
      bump(s.refused, r.code);
      if (r.code === 'SOLD_OUT') sawSoldOut();
      break;
    }
    p.stage = 'done';
  }

  async function join(i: number): Promise<void> {
    const p: Shopper = { stage: 'joining', ws: null };
    shoppers.push(p);
    const localAddress = addresses[Math.floor(i / o.shoppersPerAddress)]!;
    const cid = `crowd-${t0.toString(36)}-${i}`;
    let pow: { challenge: string; nonce: string } | undefined;
    try {
      // Like the queue page: a challenge for this cid from this address (good for one join, and
      // fetched even at base difficulty 0, since a surge of joins may raise it), solved before
      // the socket opens. Arrivals wait for a free solver, as a slow phone would.
      const c = await solver.solveFresh(() =>
        getJson<Challenge>(`${o.gateUrl}${GatePaths.challenge(o.event)}?cid=${cid}`, localAddress),
      );
      s.powMaxDifficulty = Math.max(s.powMaxDifficulty, c.difficulty);
      if (c.difficulty > 0 || info.powDifficulty > 0) pow = { challenge: c.challenge, nonce: c.nonce };
    } catch (err) {
      bump(s.joinFailed, `challenge: ${err instanceof Error ? err.message : String(err)}`);
      p.stage = 'done';
      return;
    }
    let place = '';
    let reconnects = 0;
    const connect = (): void => {
      const ws = new WebSocket(`${wsBase}${wsPath(o.event)}`, { localAddress, perMessageDeflate: false });
      p.ws = ws;
      // A reconnect resumes the place with its token, like the page (no new proof of work).
      const msg = place ? { t: 'join', cid, place } : { t: 'join', cid, ...(pow ? { pow } : {}) };
      ws.on('open', () => ws.send(JSON.stringify(msg)));
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { t: string; st?: string; ticket?: string; code?: string; place?: string };
        if (m.t === 'welcome' && p.stage === 'joining') {
          p.stage = 'waiting';
          place = m.place ?? '';
          s.joined++;
          if (Math.random() < o.leaveShare) {
            // An impatient shopper: gives up after a few seconds if still waiting.
            setTimeout(() => {
              if (p.stage !== 'waiting') return;
              p.ws?.send(JSON.stringify({ t: 'leave' }));
              s.leftEarly++;
              p.stage = 'done';
              p.ws?.close();
            }, 2000 + Math.random() * 13_000).unref();
          }
        } else if (m.t === 'admitted' && p.stage === 'waiting' && m.ticket) {
          p.stage = 'admitted';
          s.admitted++;
          // The page would now go to the shop: the socket is no longer needed.
          ws.close();
          if (Math.random() < o.buyShare) void buy(p, m.ticket);
          else p.stage = 'done';
        } else if (m.t === 'state' && (m.st === 'soldout' || m.st === 'closed')) {
          if (m.st === 'soldout') sawSoldOut();
          if (p.stage === 'waiting') {
            p.stage = 'done';
            ws.close();
          }
        } else if (m.t === 'error' && p.stage === 'joining') {
          bump(s.joinFailed, m.code ?? 'error');
          p.stage = 'done';
          ws.close();
        }
      });
      ws.on('error', (err) => {
        if (p.stage === 'joining') {
          bump(s.joinFailed, (err as NodeJS.ErrnoException).code ?? err.message);
          p.stage = 'done';
        }
      });
      ws.on('close', (code) => {
        if (stopping) return; // our own terminate() at the end
        const over = code === CloseCode.SOLD_OUT || code === CloseCode.EVENT_CLOSED;
        if (code === CloseCode.SOLD_OUT) sawSoldOut();
        if (p.stage === 'joining') {
          if (over) s.turnedAway++;
          else bump(s.joinFailed, `closed ${code}`);
          p.stage = 'done';
        } else if (p.stage === 'waiting' && over) {
          p.stage = 'done';
        } else if (p.stage === 'waiting' && reconnects < 3 && since() < o.maxSeconds) {
          // Connection lost while waiting (1006, GOING_AWAY, …): come back with the place token,
          // after a short backoff, as the queue page does.
          reconnects++;
          s.reconnects++;
          setTimeout(connect, 500 * reconnects).unref();
        } else if (p.stage === 'waiting') {
          bump(s.joinFailed, `closed while waiting ${code}`);
          p.stage = 'done';
        }
      });
    };
    connect();
  }

  // Arrivals at the configured rate; PoW runs inline, so a high difficulty slows arrivals as
  // it would slow real browsers.
  let next = 0;
  const arrivals = (async () => {
    while (next < o.shoppers && since() < o.maxSeconds) {
      const due = Math.min(o.shoppers, Math.floor(since() * o.joinRatePerS) + 1);
      while (next < due) void join(next++);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  let lastLine = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const active = shoppers.filter((p) => p.stage !== 'done').length;
    const waiting = shoppers.filter((p) => p.stage === 'waiting').length;
    if (o.progress && Date.now() - lastLine >= 5000) {
      lastLine = Date.now();
      o.progress(
        `${since().toFixed(0)} s: joined ${s.joined}/${o.shoppers}, waiting ${waiting}, admitted ${s.admitted}, ` +
          `orders ${s.ordersAccepted} (${s.unitsBought} units)${soldOut ? ', sold out' : ''}`,
      );
    }
    if (next >= o.shoppers && active === 0) {
      s.stoppedBy = soldOut ? 'sold out' : 'done';
      break;
    }
    if (since() >= o.maxSeconds) {
      s.stoppedBy = 'time';
      break;
    }
  }
  await arrivals;
  s.durationS = since();
  await solver.close();
  stopping = true;
  for (const p of shoppers) p.ws?.terminate();
  s.notAdmitted = s.joined - s.leftEarly - s.admitted;
  s.stillJoining = shoppers.filter((p) => p.stage === 'joining').length + (o.shoppers - shoppers.length);
  s.orders = await finalStatuses(o.checkoutUrl, accepted, 30_000);
  s.orderIds = accepted.map((a) => a.orderId);
  return s;
}
