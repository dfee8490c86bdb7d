// A small simulated crowd for tests: `ws` clients that join an event's queue on a real gate and
// keep what the gate tells them (welcome, state frames, admission).
import WebSocket from 'ws';

export interface Shopper {
  ws: WebSocket;
  admitted: boolean;
  lastState: { cfg: number; adm: number; len: number; st: string } | null;
}

/** `checkout`: when given, an admitted shopper buys one unit of `sku` there with its ticket. */
export function crowd(gateUrl: string, evt: string, checkout?: { url: string; sku: string }) {
  const shoppers: Shopper[] = [];
  let seq = 0;
  let trickle: NodeJS.Timeout | undefined;
  const join = (): Shopper => {
    const ws = new WebSocket(`${gateUrl.replace(/^http/, 'ws')}/v1/events/${evt}/ws`);
    const s: Shopper = { ws, admitted: false, lastState: null };
    const cid = `c${process.pid}x${++seq}x${Math.random().toString(36).slice(2, 10)}`;
    ws.on('open', () => ws.send(JSON.stringify({ t: 'join', cid })));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; cfg: number; adm: number; len: number; st: string; ticket?: string };
      if (m.t === 'admitted' && !s.admitted) {
        s.admitted = true;
        if (checkout && m.ticket) buy(checkout, m.ticket);
      }
      if (m.t === 'state') s.lastState = m;
    });
    // A test crowd: a shopper whose socket fails just stops; the 'close' handler accounts for it.
    ws.on('error', (err) => void err);
    shoppers.push(s);
    return s;
  };
  return {
    shoppers,
    join(n: number) {
      for (let i = 0; i < n; i++) join();
    },
    /** Keep `perSecond` shoppers arriving until stopped. */
    trickle(perSecond: number) {
      clearInterval(trickle);
      trickle = setInterval(() => join(), 1000 / perSecond);
    },
    stopTrickle() {
      clearInterval(trickle);
    },
    admitted: () => shoppers.filter((s) => s.admitted).length,
    /** The last state frame a still-waiting shopper received (admitted sockets stop getting frames). */
    latestState: () =>
      shoppers
        .filter((s) => !s.admitted)
        .map((s) => s.lastState)
        .findLast((x) => x !== null) ?? null,
    close() {
      clearInterval(trickle);
      for (const s of shoppers) s.ws.terminate();
    },
  };
}

function buy(checkout: { url: string; sku: string }, ticket: string): void {
  fetch(`${checkout.url}/v1/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ticket}` },
    body: JSON.stringify({ sku: checkout.sku, qty: 1 }),
  })
    .then((r) => r.arrayBuffer())
    .catch((err: unknown) => void err); // a refused test purchase is part of the crowd's life
}
