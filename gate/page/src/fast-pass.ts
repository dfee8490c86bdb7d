// The drop-in's fast pass for always-on rooms: on a page view without a ticket, two cacheable
// GETs tell whether the room is open and nobody waits; if so, the drop-in joins over HTTP from
// the storefront (proof of work and key as the queue page would send them) and polls its place
// for a moment. Admitted on the gate's next tick while arrivals stay under the rate and active
// shoppers under maxActive: the shopper never sees a queue. Otherwise it gives the place back and
// the caller sends the shopper to the queue page, where they wait in FIFO order.
import { GatePaths, PLACE_HEADER, type PlaceStatus, type PublicEventInfo } from '@sluice/shared/protocol/http.ts';
import type { StateFrame, WelcomeMsg } from '@sluice/shared/protocol/ws.ts';
import { solvePow } from './pow.ts';

/** How long the drop-in waits for the admission before sending the shopper to the queue. */
const WAIT_MS = 3000;
const POLL_MS = 200;

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export interface FastPassInput {
  gate: string;
  event: string;
  cid: string;
}

/** A ticket when the room let the shopper straight through, else null (go to the queue page). */
export async function fastPass(p: FastPassInput, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<string | null> {
  const info = await json<PublicEventInfo>(p.gate + GatePaths.event(p.event));
  // Bound tickets need the key handed to the queue page's join: those rooms go through the page.
  if (!info.alwaysOn || info.state !== 'open' || info.bindTickets) return null;
  const frame = await json<StateFrame>(p.gate + GatePaths.status(p.event));
  if (frame.st !== 'open' || frame.len > 0) return null;
  const c = await json<{ challenge: string; difficulty: number }>(
    `${p.gate}${GatePaths.challenge(p.event)}?cid=${encodeURIComponent(p.cid)}`,
  );
  const body: Record<string, unknown> = { cid: p.cid };
  if (c.difficulty > 0) body.pow = { challenge: c.challenge, nonce: await solvePow(c.challenge, c.difficulty) };
  const welcome = await json<WelcomeMsg>(p.gate + GatePaths.join(p.event), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const place = { [PLACE_HEADER]: welcome.place };
  for (let waited = 0; waited <= WAIT_MS; waited += POLL_MS) {
    const st = await json<PlaceStatus>(p.gate + GatePaths.place(p.event), { headers: place });
    if (st.ticket) return st.ticket;
    await sleep(POLL_MS);
  }
  // The room started queueing: give the place back (the queue page takes a fresh one in order).
  // If the leave is lost the place is dropped after the event's grace period: no harm to others.
  await fetch(p.gate + GatePaths.leave(p.event), { method: 'POST', headers: place }).catch((err: unknown) => void err);
  // Admitted between the last poll and the leave, the place is no longer waiting and the leave
  // cannot free it: a last look takes its ticket rather than hold the slot unused until it ends.
  // A refused look (the leave freed the place, or the gate is unreachable) means no ticket: the
  // shopper goes to the queue page as before, so nothing is lost by dropping that error.
  const last = await json<PlaceStatus>(p.gate + GatePaths.place(p.event), { headers: place }).catch(() => null);
  return last?.ticket ?? null;
}
