// sluice.js, the storefront drop-in. Include it on pages that need an admission ticket:
//
//   <script src="https://cdn.example/queue/sluice.js" data-event="drop1"
//           data-queue="https://cdn.example/queue/" data-gate="https://gate.example"></script>
//
// If the shopper holds no ticket for the event that still looks valid, it sends them to the
// queue page (coming back to this URL); otherwise the page continues, with the ticket at
// `window.sluice.ticket` (fragment mode) and a `sluice:admitted` event on `document`.
// It does not verify signatures: the storefront's server must (verifyAdmission / middleware).
import {
  queuePageUrl,
  readCookie,
  TICKET_HINT_COOKIE,
  ticketFromFragment,
} from '@sluice/shared/storefront/constants.ts';
import { hintValid, looksValid, peekTicket } from './ticket-peek.ts';

interface SluiceGlobal {
  event: string;
  ticket: string | null;
  /** Headers for calls to the storefront's API: `Authorization: Bearer <ticket>` when held. */
  headers(): Record<string, string>;
  /** Send the shopper to the queue now (e.g. after the server refused the ticket). */
  queue(): void;
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
  } catch {}

  // A ticket handed over in the fragment: keep it, and take it out of the address bar so it is
  // not bookmarked or shared.
  const fromFragment = ticketFromFragment(location.hash);
  if (fromFragment) {
    if (looksValid(peekTicket(fromFragment), event, now)) {
      try {
        store?.setItem(key, fromFragment);
      } catch {}
    }
    history.replaceState(null, '', location.pathname + location.search);
  }

  let ticket: string | null = null;
  try {
    ticket = store?.getItem(key) ?? null;
  } catch {}
  if (ticket && !looksValid(peekTicket(ticket), event, now)) {
    ticket = null;
    try {
      store?.removeItem(key);
    } catch {}
  }
  const held = ticket !== null || hintValid(readCookie(document.cookie, TICKET_HINT_COOKIE), event, now);

  const toQueue = (): void => {
    try {
      store?.removeItem(key);
    } catch {}
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
      }),
    );
  };

  window.sluice = {
    event,
    ticket,
    headers: (): Record<string, string> => (ticket ? { authorization: `Bearer ${ticket}` } : {}),
    queue: toQueue,
  };
  if (!held) {
    toQueue();
    return;
  }
  document.dispatchEvent(new CustomEvent('sluice:admitted', { detail: { event, ticket } }));
})();
