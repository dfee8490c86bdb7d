// The crowd's HTTP calls: JSON GETs (optionally from a given loopback source address, as the
// gate counts joins and challenges per address), a purchase retried like the demo shop does
// (busy checkout → same Idempotency-Key), and the final status of the accepted orders.
import http from 'node:http';

/** GET a JSON document; from `localAddress` when given. */
export function getJson<T>(url: string, localAddress?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { ...(localAddress ? { localAddress } : {}), timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${url}: ${res.statusCode} ${body.slice(0, 200)}`));
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
  });
}

export interface BuyOutcome {
  orderId: string | null;
  /** The checkout error code when refused (SOLD_OUT, TICKET_USED, …). */
  code: string;
}

/** POST /v1/checkout; 429/503/network errors are retried (up to 5 times) with the same key. */
export async function buyWithRetry(
  checkoutUrl: string,
  ticket: string,
  sku: string,
  qty: number,
  idempotencyKey: string,
): Promise<BuyOutcome> {
  let code = 'UNAVAILABLE';
  for (let attempt = 0; attempt < 6; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    try {
      const res = await fetch(`${checkoutUrl}/v1/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ticket}`, 'idempotency-key': idempotencyKey },
        body: JSON.stringify({ sku, qty }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json().catch(() => ({}))) as { orderId?: string; error?: { code?: string } };
      if (res.status === 202 && body.orderId) return { orderId: body.orderId, code: 'ACCEPTED' };
      code = body.error?.code ?? `HTTP_${res.status}`;
      if (res.status !== 429 && res.status !== 503) return { orderId: null, code };
    } catch (err) {
      code = err instanceof Error ? err.name : 'NETWORK';
    }
  }
  return { orderId: null, code };
}

/** Poll each accepted order until none is pending or `timeoutMs` passes (16 at a time). */
export async function finalStatuses(
  checkoutUrl: string,
  orders: { orderId: string; ticket: string }[],
  timeoutMs: number,
): Promise<{ confirmed: number; failed: number; pending: number }> {
  const status = new Map<string, string>(orders.map((o) => [o.orderId, 'pending']));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = orders.filter((o) => status.get(o.orderId) === 'pending');
    for (let i = 0; i < open.length; i += 16) {
      await Promise.all(
        open.slice(i, i + 16).map(async (o) => {
          try {
            const res = await fetch(`${checkoutUrl}/v1/orders/${o.orderId}`, {
              headers: { authorization: `Bearer ${o.ticket}` },
              signal: AbortSignal.timeout(10_000),
            });
            if (res.ok) status.set(o.orderId, ((await res.json()) as { status: string }).status);
          } catch {
            // Not answered this round: it stays pending and is asked again.
          }
        }),
      );
    }
    const pending = [...status.values()].filter((v) => v === 'pending').length;
    if (pending === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const count = (v: string) => [...status.values()].filter((x) => x === v).length;
  return { confirmed: count('confirmed'), failed: count('failed'), pending: count('pending') };
}
