// Page configuration from `data-` attributes on the root element and the query string. Values
// pinned in the HTML win over the query string. A pinned build (`data-pinned="true"`, what
// production images and `SLUICE_GATE_URL` builds are) takes the gate, the hand-over mode and the
// cookie endpoint from the HTML only: a crafted link cannot point the page at another gate nor
// make it post the shopper's ticket to another origin. The return URL may come from a link, but is
// used only when it matches one of the event's return URLs exactly (origin and path).
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
  /** Built pinned: gate, mode and cookie endpoint come from the HTML only. */
  pinned: boolean;
  /** Events with lanes: the lane to join (`lane` query parameter). */
  lane?: string;
  /** A lane's access code or invite token, from the URL fragment (`#code=…`, `#invite=…`): a
   * fragment never reaches a server log or a Referer header. */
  code?: string;
  invite?: string;
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

/** Taken from the HTML only in a pinned build. */
const PINNED_ONLY: ReadonlySet<keyof typeof DataAttr> = new Set(['gate', 'mode', 'cookieEndpoint']);

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
  /** `location.hash`: where a lane's code or invite travels. */
  hash = '',
): ConfigResult {
  const q = new URLSearchParams(search);
  const pinnedBuild = data.pinned === 'true';
  const pick = (attr: keyof typeof DataAttr): string | null => {
    const pinned = data[DataAttr[attr]];
    if (pinned) return pinned;
    if (pinnedBuild && PINNED_ONLY.has(attr)) return null;
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
  const laneRaw = q.get(QueueParams.lane);
  const frag = new URLSearchParams(hash.replace(/^#/, ''));
  const code = frag.get('code');
  const invite = frag.get('invite');
  const lanes = {
    ...(laneRaw && /^[a-z0-9][a-z0-9-]{0,31}$/.test(laneRaw) ? { lane: laneRaw } : {}),
    ...(code && /^[A-Za-z0-9_-]{6,64}$/.test(code) ? { code } : {}),
    ...(invite && invite.length <= 1024 ? { invite } : {}),
  };
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
      pinned: pinnedBuild,
      ...lanes,
    },
  };
}

/** origin + path of an http(s) URL (what the allow-list compares), or null. */
function originAndPath(v: string): string | null {
  const u = httpUrl(v);
  if (!u) return null;
  const p = new URL(u);
  return p.origin + p.pathname;
}

/**
 * The URL to send an admitted shopper to, or null when the event names none that is http(s). The
 * event's return URLs are the authority (its `returnUrl`, then `returnUrls`): a requested one is
 * used only when its origin and path equal one of them exactly — same origin is not enough, an
 * open redirect elsewhere on the shop would carry the ticket fragment away. Never `javascript:`
 * or any other scheme, whoever asks (a gate the page was pointed at included).
 */
export function chooseReturnUrl(
  requested: string | null,
  event: { returnUrl: string; returnUrls?: readonly string[] },
): string | null {
  const allowed = [event.returnUrl, ...(event.returnUrls ?? [])].filter((u) => httpUrl(u) !== null);
  if (requested) {
    const want = originAndPath(requested);
    if (want && allowed.some((u) => originAndPath(u) === want)) return httpUrl(requested);
  }
  return allowed.length ? httpUrl(allowed[0] as string) : null;
}

/**
 * Cookie mode only when the endpoint is on the return URL's origin (the storefront that sets its
 * own cookie); anything else gets the ticket in the return URL's fragment instead.
 */
export function cookieEndpointFor(cookieEndpoint: string | null, returnUrl: string): string | null {
  if (!cookieEndpoint) return null;
  return new URL(cookieEndpoint).origin === new URL(returnUrl).origin ? cookieEndpoint : null;
}

/** `http(s)://gate` → `ws(s)://gate` for the WebSocket. */
export function wsBase(gate: string): string {
  return gate.replace(/^http/, 'ws');
}
