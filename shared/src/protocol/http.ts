// HTTP endpoints of the gate that outsiders call (queue page fallback, storefronts, edges).
// Bodies and headers are documented in gate/PROTOCOL.md and gate/openapi.yaml.

export const GatePaths = {
  /** Public keys of the admission tickets (JWKS). */
  JWKS: '/.well-known/jwks.json',
  /** Public event info: name, state, start, seed hash / seed, PoW difficulty, return URL. */
  event: (evt: string) => `/v1/events/${encodeURIComponent(evt)}`,
  /** The current StateFrame; cacheable for a second (CDN-friendly). */
  status: (evt: string) => `/v1/events/${encodeURIComponent(evt)}/status`,
  /** A proof-of-work challenge for the next join. */
  challenge: (evt: string) => `/v1/events/${encodeURIComponent(evt)}/challenge`,
  /** HTTP fallback: join (body like the WS join message, without `t`); answers a WelcomeMsg. */
  join: (evt: string) => `/v1/events/${encodeURIComponent(evt)}/join`,
  /** HTTP fallback: poll one's place (header X-Sluice-Place); answers PlaceStatus. */
  place: (evt: string) => `/v1/events/${encodeURIComponent(evt)}/place`,
  /** The pre-queue member list (input of the shuffle), one page: `?offset=&limit=` (≤ 10,000). */
  prequeue: (evt: string) => `/v1/events/${encodeURIComponent(evt)}/prequeue`,
  /** HTTP fallback: leave (header X-Sluice-Place); 204. */
  leave: (evt: string) => `/v1/events/${encodeURIComponent(evt)}/leave`,
  /** The public admission log: sealed entries as NDJSON pages (`?from=&limit=`). */
  admissions: (evt: string) => `/v1/events/${encodeURIComponent(evt)}/admissions`,
  /** The log's signed head `{evt, n, hash, at, jws}`. */
  admissionsHead: (evt: string) => `/v1/events/${encodeURIComponent(evt)}/admissions/head`,
  /** Where one ticket number went: `{n, status: admitted|gone|not-reached, index, tick, at}`. */
  admissionNumber: (evt: string, n: number | string) => `/v1/events/${encodeURIComponent(evt)}/admissions/number/${n}`,
} as const;

/** Header carrying the place token on HTTP fallback requests. */
export const PLACE_HEADER = 'x-sluice-place';

/** Answer of GET /v1/events/:id/place. */
export interface PlaceStatus {
  phase: 'prequeue' | 'queue' | 'admitted';
  score: number | null;
  /** Events with lanes: the place's lane (`score` counts within it). */
  lane?: string;
  /** Present once admitted. */
  ticket?: string;
  exp?: number;
}

/** Answer of GET /v1/events/:id. */
export interface PublicEventInfo {
  id: string;
  name: string;
  state: string;
  prequeueAt: number;
  startAt: number;
  seedHash: string | null;
  seed: string | null;
  powDifficulty: number;
  returnUrl: string;
  /** Tickets are bound to the shopper's key: send `jwk` with the join (PROTOCOL.md). */
  bindTickets: boolean;
  /** Further return URLs a link may ask for (matched by origin and path exactly). */
  returnUrls: string[];
  /** Always-on room: the drop-in may get a ticket directly while nobody waits. */
  alwaysOn: boolean;
  /** Lanes shoppers may join (`lane` in the join), and what each needs: open, an access code or an invite. */
  lanes?: { id: string; access: 'open' | 'code' | 'invite' }[];
}

/** Largest page of GET /v1/events/:id/prequeue. */
export const PREQUEUE_PAGE_MAX = 10_000;

/**
 * Answer of GET /v1/events/:id/prequeue?offset=&limit=: one page of the pre-queue members in
 * join order. Frozen (`frozen: true`) from the start on: then `total` is fixed and, once the
 * sale is open, `digest` is SHA-256 (hex) of every member followed by "\n", in this order, and
 * `seed` is revealed. Follow `next` until it is null to read it all.
 */
export interface PrequeuePage {
  evt: string;
  state: string;
  seedHash: string | null;
  seed: string | null;
  frozen: boolean;
  total: number;
  digest: string | null;
  offset: number;
  members: string[];
  /** Offset of the next page, or null after the last. */
  next: number | null;
  /**
   * Events with lanes, once open: the list is lane by lane (each lane's members in join order),
   * `n` members per lane in this order; each lane's run is shuffled on its own (verify-shuffle).
   */
  lanes?: { id: string; n: number }[];
}
