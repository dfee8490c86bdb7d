// Page configuration from `data-` attributes on the root element and the query string. Values
// pinned in the HTML win over the query string, so an operator can fix the gate URL (and event)
// and a crafted link cannot point a hosted page at another gate.
import { isEventId } from '@sluice/shared/keys.ts';
import { QueueParams } from '@sluice/shared/storefront/constants.ts';
import { decodeJwk, type PublicJwk } from './dpop.ts';

export type HandoffMode = 'fragment' | 'cookie';

export interface PageConfig {
  /** Base URL of the gate, without a trailing slash. */
  gate: string;
  event: string;
  /** Requested return URL; checked against the event's own return URL before use. */
  returnUrl: string | null;
  lang: string | null;
  mode: HandoffMode;
  /** Storefront endpoint that turns the ticket into a cookie (cookie mode). */
  cookieEndpoint: string | null;
  /**
   * The storefront page's public key (from the drop-in, `key` parameter) to join with when the
   * event binds tickets; null: this page makes and keeps its own (same-origin storefronts).
   */
  key: PublicJwk | null;
}

export type ConfigResult =
  | { ok: true; config: PageConfig }
  | { ok: false; problem: 'event' | 'gate' | 'cookieEndpoint' };

/** Data attribute names (on `<main id="sluice">`), as in `dataset`. */
export const DataAttr = {
  gate: 'gateUrl',
  event: 'event',
  returnUrl: 'returnUrl',
  lang: 'lang',
  mode: 'mode',
  cookieEndpoint: 'cookieEndpoint',
} as const;

function httpUrl(v: string | null): string | null {
  if (!v) return null;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}

/**
 * @param search `location.search`
 * @param data   the root element's `dataset` (empty strings count as unset)
 * @param pageOrigin the page's own origin: the default gate when none is given (development,
 *   where the gate serves the page itself)
 */
export function readConfig(
  search: string,
  data: Record<string, string | undefined>,
  pageOrigin: string,
): ConfigResult {
  const q = new URLSearchParams(search);
  const pick = (attr: keyof typeof DataAttr): string | null => {
    const pinned = data[DataAttr[attr]];
    if (pinned) return pinned;
    return q.get(QueueParams[attr]) || null;
  };
  const event = pick('event');
  if (!event || !isEventId(event)) return { ok: false, problem: 'event' };
  const gateRaw = pick('gate') ?? pageOrigin;
  const gate = httpUrl(gateRaw);
  if (!gate) return { ok: false, problem: 'gate' };
  const mode: HandoffMode = pick('mode') === 'cookie' ? 'cookie' : 'fragment';
  const cookieEndpoint = httpUrl(pick('cookieEndpoint'));
  if (mode === 'cookie' && !cookieEndpoint) return { ok: false, problem: 'cookieEndpoint' };
  const lang = pick('lang');
  return {
    ok: true,
    config: {
      gate: gate.replace(/\/+$/, ''),
      event,
      returnUrl: httpUrl(pick('returnUrl')),
      lang: lang && /^[a-zA-Z-]{2,10}$/.test(lang) ? lang : null,
      mode,
      cookieEndpoint,
      key: decodeJwk(q.get(QueueParams.key)),
    },
  };
}

/**
 * The URL to send an admitted shopper to. The event's configured return URL is the authority:
 * a requested one is used only when it is on the same origin, so the page is no open redirect.
 */
export function chooseReturnUrl(requested: string | null, eventReturnUrl: string): string {
  if (requested) {
    try {
      if (new URL(requested).origin === new URL(eventReturnUrl).origin) return requested;
    } catch {}
  }
  return eventReturnUrl;
}

/** `http(s)://gate` → `ws(s)://gate` for the WebSocket. */
export function wsBase(gate: string): string {
  return gate.replace(/^http/, 'ws');
}
