// sluice.js, the storefront drop-in. Include it on pages that need an admission ticket:
//
//   <script src="https://cdn.example/queue/sluice.js" data-event="drop1"
//           data-queue="https://cdn.example/queue/" data-gate="https://gate.example"></script>
//
// If the shopper holds no ticket for the event that still looks valid, it sends them to the
// queue page (coming back to this URL); otherwise the page continues, with the ticket at
// `window.sluice.ticket` (fragment mode) and a `sluice:admitted` event on `document`.
// It does not verify signatures: the storefront's server must (verifyAdmission / middleware).
// For events that bind tickets to the shopper's key, it makes that key here (non-extractable,
// kept in this origin's IndexedDB), hands its public part to the queue page, and signs a DPoP
// proof per request: `await sluice.proofHeaders('POST', url)`.
import {
  queuePageUrl,
  readCookie,
  TICKET_HINT_COOKIE,
  ticketFromFragment,
} from '@sluice/shared/storefront/constants.ts';
import { encodeJwk, ensureKey, heldKey, makeProof } from './dpop.ts';
import { fastPass } from './fast-pass.ts';
import { clientId } from './storage.ts';
import { hintValid, looksValid, peekTicket } from './ticket-peek.ts';

interface SluiceGlobal {
  event: string;
  ticket: string | null;
  /** Headers for calls to the storefront's API: `Authorization: Bearer <ticket>` when held. */
  headers(): Record<string, string>;
  /**
   * The same plus a fresh `DPoP` proof for `method` and `url` when this browser holds the key
   * the ticket is bound to (events with bindTickets). One call per request: proofs are single use.
   * @example fetch(url, { method: 'POST', headers: { ...(await sluice.proofHeaders('POST', url)), 'content-type': 'application/json' }, body })
   */
  proofHeaders(method: string, url: string): Promise<Record<string, string>>;
  /** Send the shopper to the queue now (e.g. after the server refused the ticket). */
  queue(): void;
  /**
   * Tell Sluice the shopper finished (or left): their slot goes to the next shopper at once and
   * the ticket ends (the drop-in forgets it). Calls checkout's POST /v1/handback (allow this origin in
   * CHECKOUT_CORS_ORIGINS), or do the same from the storefront's server.
   * @example await sluice.handBack('https://checkout.example', 'finished')
   */
  handBack(checkoutUrl: string, reason?: 'finished' | 'left'): Promise<boolean>;
  /** Resolves once the shopper holds an admission (at once, or after an always-on fast pass). */
  ready: Promise<void>;
}

declare global {
  interface Window {
    sluice?: SluiceGlobal;
  }
}

(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  const data = script?.dataset ?? {};
  const event = data.event;
  const queue = data.queue;
  if (!event || !queue) {
    console.error('sluice.js: data-event and data-queue are required');
    return;
  }
  const key = `sluice.ticket.${event}`;
  const now = Date.now();
  let store: Storage | null = null;
  try {
    store = window.sessionStorage;
  } catch {
    // Storage refused (privacy mode, sandboxed frame): carry on without keeping the ticket.
  }

  // A ticket handed over in the fragment: keep it, and take it out of the address bar so it is
  // not bookmarked or shared.
  const fromFragment = ticketFromFragment(location.hash);
  if (fromFragment) {
    if (looksValid(peekTicket(fromFragment), event, now)) {
      try {
        store?.setItem(key, fromFragment);
      } catch {
        // Quota or privacy mode: the ticket is still used for this page view.
      }
    }
    history.replaceState(null, '', location.pathname + location.search);
  }

  let ticket: string | null = null;
  try {
    ticket = store?.getItem(key) ?? null;
  } catch {
    // Storage refused: behave as if nothing was kept.
  }
  if (ticket && !looksValid(peekTicket(ticket), event, now)) {
    ticket = null;
    try {
      store?.removeItem(key);
    } catch {
      // Storage refused: nothing was kept to remove.
    }
  }
  const held = ticket !== null || hintValid(readCookie(document.cookie, TICKET_HINT_COOKIE), event, now);

  const toQueue = async (): Promise<void> => {
    try {
      store?.removeItem(key);
    } catch {
      // Storage refused: nothing was kept to remove.
    }
    // The key a bound ticket will need lives here; the queue page joins with its public part.
    const own = await ensureKey(event).catch((err: unknown) => {
      console.warn('sluice.js: no WebCrypto key; bound tickets will not work here', err);
      return null;
    });
    location.replace(
      queuePageUrl(new URL(queue, location.href).toString(), {
        event,
        returnUrl: location.href,
        ...(data.gate ? { gate: data.gate } : {}),
        ...(data.lang ? { lang: data.lang } : {}),
        ...(data.mode === 'cookie' ? { mode: 'cookie' as const } : {}),
        ...(data.cookieEndpoint
          ? { cookieEndpoint: new URL(data.cookieEndpoint, location.href).toString() }
          : {}),
        ...(own ? { key: encodeJwk(own.jwk) } : {}),
      }),
    );
  };

  const proofHeaders = async (method: string, url: string): Promise<Record<string, string>> => {
    if (!ticket) return {};
    const k = await heldKey(event);
    const auth = { authorization: `Bearer ${ticket}` };
    return k ? { ...auth, dpop: await makeProof(k, method, url, ticket) } : auth;
  };
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  window.sluice = {
    ready,
    event,
    ticket,
    headers: (): Record<string, string> => (ticket ? { authorization: `Bearer ${ticket}` } : {}),
    proofHeaders,
    queue: () => void toQueue(),
    handBack: async (checkoutUrl: string, reason: 'finished' | 'left' = 'finished'): Promise<boolean> => {
      if (!ticket) return false;
      const url = `${checkoutUrl.replace(/\/+$/, '')}/v1/handback`;
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...(await proofHeaders('POST', url)), 'content-type': 'application/json' },
        body: JSON.stringify({ reason }),
        keepalive: true,
      });
      if (!res.ok) return false;
      // The ticket can no longer buy: forget it, so the next page view does not count the
      // shopper as admitted with a ticket checkout refuses.
      ticket = null;
      if (window.sluice) window.sluice.ticket = null;
      try {
        store?.removeItem(key);
      } catch {
        // Storage refused: nothing was kept to remove.
      }
      return true;
    },
  };
  const admitted = () => {
    markReady();
    document.dispatchEvent(new CustomEvent('sluice:admitted', { detail: { event, ticket } }));
  };
  if (held) {
    admitted();
    return;
  }
  if (!data.gate) {
    void toQueue();
    return;
  }
  // Always-on rooms: straight through from here while nobody waits (fast-pass.ts); any other
  // answer, or any failure, is the usual trip to the queue page.
  let local: Storage | undefined;
  try {
    local = window.localStorage;
  } catch {
    // Storage refused: a fresh client id for this page view.
  }
  const cid = clientId(local, (n) => crypto.getRandomValues(new Uint8Array(n)));
  fastPass({ gate: data.gate.replace(/\/+$/, ''), event, cid })
    .then(async (t) => {
      if (!t) {
        await toQueue();
        return;
      }
      ticket = t;
      if (window.sluice) window.sluice.ticket = t;
      try {
        store?.setItem(key, t);
      } catch {
        // Quota or privacy mode: the ticket is still used for this page view.
      }
      admitted();
    })
    .catch((err: unknown) => {
      console.warn('sluice.js: fast pass failed; going to the queue page', err);
      return toQueue();
    });
})();
