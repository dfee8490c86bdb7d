// Names shared by the queue page, the storefront drop-in script and the server-side helpers.
// Pure and browser-safe: the page bundle imports this file directly.

/** URL fragment parameter carrying the ticket back to the storefront: `#sluice_ticket=<jwt>`. */
export const TICKET_FRAGMENT_PARAM = 'sluice_ticket';
/** Cookie (HttpOnly) set on the storefront's domain in cookie mode. */
export const TICKET_COOKIE = 'sluice_ticket';
/** Readable cookie set next to it, `<event>.<exp seconds>`, so the drop-in script knows a ticket is held. */
export const TICKET_HINT_COOKIE = 'sluice_admitted';
/** Form fields the queue page posts to the storefront's cookie endpoint. */
export const ADMIT_FORM = { ticket: 'ticket', returnTo: 'return' } as const;

/** Query parameters understood by the queue page. */
export const QueueParams = {
  gate: 'gate',
  event: 'event',
  returnUrl: 'return',
  lang: 'lang',
  /** `fragment` (default) or `cookie`. */
  mode: 'mode',
  /** The storefront's cookie endpoint (cookie mode). */
  cookieEndpoint: 'cookie_endpoint',
  /**
   * Public JWK (base64url JSON) of the key the storefront's page holds, for events that bind
   * tickets: the queue page joins with it, so the ticket works only where that key lives.
   */
  key: 'key',
  /** Events with lanes: the lane to join (its code or invite travels in the fragment, `#code=` / `#invite=`). */
  lane: 'lane',
} as const;

/**
 * The queue page address for a shopper who must wait.
 * @example queuePageUrl('https://cdn.example/queue/', { gate: 'https://gate.example', event: 'drop1', returnUrl: location.href })
 */
export function queuePageUrl(
  pageUrl: string,
  p: {
    gate?: string;
    event: string;
    returnUrl?: string;
    lang?: string;
    mode?: 'fragment' | 'cookie';
    cookieEndpoint?: string;
    /** base64url JSON of the storefront page's public JWK (bound tickets). */
    key?: string;
  },
): string {
  const u = new URL(pageUrl);
  if (p.gate) u.searchParams.set(QueueParams.gate, p.gate);
  u.searchParams.set(QueueParams.event, p.event);
  if (p.returnUrl) u.searchParams.set(QueueParams.returnUrl, p.returnUrl);
  if (p.lang) u.searchParams.set(QueueParams.lang, p.lang);
  if (p.mode && p.mode !== 'fragment') u.searchParams.set(QueueParams.mode, p.mode);
  if (p.cookieEndpoint) u.searchParams.set(QueueParams.cookieEndpoint, p.cookieEndpoint);
  if (p.key) u.searchParams.set(QueueParams.key, p.key);
  return u.toString();
}

/** The return URL with the ticket in its fragment (replacing any fragment it had). */
export function withTicketFragment(returnUrl: string, ticket: string): string {
  const u = new URL(returnUrl);
  u.hash = `${TICKET_FRAGMENT_PARAM}=${encodeURIComponent(ticket)}`;
  return u.toString();
}

/** The ticket in a URL fragment (`#sluice_ticket=...`, possibly among other `&` parameters), or null. */
export function ticketFromFragment(hash: string): string | null {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  for (const part of h.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq) === TICKET_FRAGMENT_PARAM) {
      try {
        const v = decodeURIComponent(part.slice(eq + 1));
        return v.length > 0 ? v : null;
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** A cookie's value from a Cookie header, or null. */
export function readCookie(header: string | undefined | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** The ticket a request carries: `Authorization: Bearer <jwt>` first, else the ticket cookie. */
export function ticketFromHeaders(h: {
  authorization?: string | undefined;
  cookie?: string | undefined;
}): string | null {
  const auth = h.authorization;
  if (auth && /^Bearer\s+/i.test(auth)) {
    const t = auth.replace(/^Bearer\s+/i, '').trim();
    if (t) return t;
  }
  return readCookie(h.cookie, TICKET_COOKIE);
}
