// Every Redis key and channel name, built in one pure module. Per-event keys carry the event id
// as a hash tag (`sluice:{demo}:queue`) so one event's keys share one Redis Cluster slot and a
// Lua script may touch them all.
//
// Slot families on a Redis Cluster (docs/ARCHITECTURE.md, "where every key lives"):
//   event slot  `{evt}`: eventKeys (the order stream included), addressPlacesKey, proofJtiKey and
//               the sharded tick/admit channels; scripts, MULTI and pipelines may combine these freely.
//   global      globalKeys: one slot per key; only single-key commands, never combined with another
//               key in a pipeline, MULTI or script (the control channel is classic pub/sub).

export const EVENT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function isEventId(id: string): boolean {
  return EVENT_ID_PATTERN.test(id);
}

/** Keys of one event. @example eventKeys('sluice', 'demo').queue === 'sluice:{demo}:queue' */
export function eventKeys(prefix: string, evt: string) {
  if (!isEventId(evt)) throw new RangeError(`bad event id ${JSON.stringify(evt)}`);
  const b = `${prefix}:{${evt}}`;
  return {
    /** hash: `config` (JSON EventConfig), `state`, `version`, `seedHash`, `seed` (after reveal); `opening`
     * (last number reserved for the pre-queue, while the start is written); `prequeueN`, `prequeueDigest` */
    event: `${b}:event`,
    /** string: the secret pre-queue shuffle seed, revealed into `event.seed` at the start */
    seed: `${b}:seed`,
    /** hash: sku -> units left */
    stock: `${b}:stock`,
    /** zset: placeId -> ticket number (FIFO score); the waiting line after the start */
    queue: `${b}:queue`,
    /** zset: placeId -> join sequence; shoppers who arrived before the start */
    prequeue: `${b}:prequeue`,
    /** hash: `n`, `base`, `done`: progress of the chunked opening (exists only while opening) */
    opening: `${b}:opening`,
    /** string counter: last ticket number handed out */
    seq: `${b}:seq`,
    /** hash: clientId -> placeId (one place per browser identity) */
    ident: `${b}:ident`,
    /** hash: placeId -> clientId (reverse of ident, for leave/drop) */
    owner: `${b}:owner`,
    /** zset: placeId -> time (ms) its socket went away; dropped after the grace period */
    absent: `${b}:absent`,
    /** zset: gate process id -> its last heartbeat (ms), for gates holding places of this event */
    presence: `${b}:presence`,
    /** zset: placeId -> ticket expiry (ms); admitted and not finished (capacity) */
    admitted: `${b}:admitted`,
    /** hash: placeId -> admission time (ms); kept for reconnects and the audit of who got in */
    admittedAt: `${b}:admitted-at`,
    /** hash: admitter bookkeeping: tokens, at, served, scoreRate, admittedTotal, ... */
    stats: `${b}:stats`,
    /** string: current admitter's id, with a lease (PX) */
    leader: `${b}:leader`,
    /** string counter: fencing token, incremented on every leadership change */
    fence: `${b}:fence`,
    /** hash: ticket jti -> orderId (single use) */
    used: `${b}:used`,
    /** hash: ticket jti -> Idempotency-Key of the first use */
    idem: `${b}:idem`,
    /** hash: place (ticket sub) -> units bought */
    bought: `${b}:bought`,
    /** zset: orderId -> reservation expiry (ms) */
    reservations: `${b}:reservations`,
    /** hash: orderId -> reservation JSON {sku, qty, jti, sub, at} */
    reservation: `${b}:reservation`,
    /** set: orderIds whose reservation was swept; a late order job for them must fail */
    voided: `${b}:voided`,
    /** stream: one entry per accepted order (field `j`, JSON OrderJobData), consumer group `workers`;
     * an entry is deleted once its order is written and its reservation closed */
    orders: `${b}:orders`,
    /** hash: ticket jti -> SHA-256 (base64url) of the ticket the gate issued; checked by purchase */
    ticketHash: `${b}:ticket-hash`,
    /** hash: sku -> "limitPerShopper priceCents", written with the config (purchase reads it) */
    products: `${b}:products`,
    /** hash: revoked ticket jti / place ids -> time (ms) */
    revoked: `${b}:revoked`,
    /** channel: admitter -> gates, JSON {fence, at, ids: placeId[]} per tick */
    admitChannel: `${b}:admit`,
    /** channel: gate -> checkout, digests (comma-separated) of tickets just recorded in ticketHash */
    issuedChannel: `${b}:issued`,
    /** channel: admitter -> gates, the public state frame per tick */
    tickChannel: `${b}:tick`,
    /** hash: ticket jti -> `<time> <reason>` of the storefront's hand-back (slot freed early) */
    handback: `${b}:handback`,
    /** list: the public admission log, one raw JSON entry per admitter tick after the start (admit Lua) */
    log: `${b}:log`,
    /** list: SHA-256 chain hash (hex) of each log entry, appended when the leader seals it */
    logHash: `${b}:log-hash`,
    /** string: JSON {evt, n, hash, at, jws}: the signed head of the sealed log */
    logHead: `${b}:log-head`,
    /** hash: `last` -> JSON of the release-rate autopilot's last decision (for the console) */
    autopilot: `${b}:autopilot`,
    /** string: the dashboard process running this event's autopilot, with a lease (PX) */
    autopilotLease: `${b}:autopilot-lease`,
    /** hash: `w` -> start of the current window (ms), `a:<client address>` -> joins in it */
    joinsByIp: `${b}:joins-by-ip`,
    /** zset: proof-of-work challenge id -> its expiry (ms); spent challenges (single use) */
    powUsed: `${b}:pow-used`,
    /** hash: lane access credentials: `~salt`, `c:<HMAC of a code>` -> lane (unused) | `u <lane> <place> <at>`
     * | `r <lane>` (revoked), `j:<SHA-256 of an invite jti>` -> `<lane> <place> <at>`, counters `~n:|~u:|~j:|~r:|~x:<lane>` */
    codes: `${b}:codes`,
    /** hash: placeId -> RFC 7638 thumbprint of the shopper's key (events with bindTickets) */
    bound: `${b}:bound`,
  } as const;
}

/**
 * zset of the places created from one client address (IPv4 address or IPv6 /64, see the gate's
 * addressKey): placeId -> 0. The join Lua caps the live ones.
 * @example addressPlacesKey('sluice', 'demo', '192.0.2.1') === 'sluice:{demo}:places-of:192.0.2.1'
 */
export function addressPlacesKey(prefix: string, evt: string, address: string): string {
  if (!isEventId(evt)) throw new RangeError(`bad event id ${JSON.stringify(evt)}`);
  return `${prefix}:{${evt}}:places-of:${address.slice(0, 64)}`;
}

/**
 * The keys of the `join` Lua (join-14.lua), in its order. `address` is the client address key of a
 * guarded (public) join; unguarded callers pass '' (its places-of key is then never touched).
 * @example runScript(redis, 'join', joinKeys('sluice', 'demo', ''), [placeId, '', '', now])
 */
export function joinKeys(prefix: string, evt: string, address: string): string[] {
  const k = eventKeys(prefix, evt);
  return [
    k.event,
    k.queue,
    k.prequeue,
    k.seq,
    k.ident,
    k.owner,
    k.absent,
    k.admittedAt,
    k.joinsByIp,
    k.powUsed,
    addressPlacesKey(prefix, evt, address || 'unknown'),
    k.admitted,
    k.revoked,
    k.codes,
  ];
}

/**
 * string with a TTL: one used DPoP proof id of an event (single use while the proof is fresh).
 * `jti` must already match PROOF_JTI_PATTERN (url-safe, 16-64 characters).
 */
export function proofJtiKey(prefix: string, evt: string, jti: string): string {
  if (!isEventId(evt)) throw new RangeError(`bad event id ${JSON.stringify(evt)}`);
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(jti)) throw new RangeError('bad proof id');
  return `${prefix}:{${evt}}:proof:${jti}`;
}

export type EventKeys = ReturnType<typeof eventKeys>;

/** KEYS of purchase-11.lua, in order (checkout and the bench's baseline run the same script). */
export function purchaseKeys(k: EventKeys): string[] {
  return [
    k.event,
    k.stock,
    k.used,
    k.idem,
    k.bought,
    k.reservations,
    k.reservation,
    k.revoked,
    k.ticketHash,
    k.products,
    k.orders,
  ];
}

/**
 * set: the place ids of `evt` whose socket gate process `gate` holds; marked absent by the
 * admitter (reap Lua) when that gate's heartbeat in `presence` lapses. Same slot as the event.
 */
export function heldKey(prefix: string, evt: string, gate: string): string {
  return `${eventKeys(prefix, evt).presence}:${gate}`;
}

/** Keys that are not per event: each on its own slot, touched only by single-key commands. */
export function globalKeys(prefix: string) {
  return {
    /** set: ids of all events */
    events: `${prefix}:events`,
    /** hash: kid -> JSON public key record; field `current` -> kid (readable by gate and dashboard) */
    keys: `${prefix}:keys`,
    /** hash: kid -> the sealed private key (AES-256-GCM) of the current key; gate only (ACL) */
    signingKeys: `${prefix}:signing-keys`,
    /** string: HMAC secret for place tokens and proof-of-work challenges (created once) */
    placeSecret: `${prefix}:place-secret`,
    /** channel: JSON {evt, version, kind} whenever an event or the keyring changes */
    control: `${prefix}:control`,
    /** hash: gate process id -> JSON {evt -> applied version, sockets, at}; for "applied everywhere" */
    gates: `${prefix}:gates`,
  } as const;
}
