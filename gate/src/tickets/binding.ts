// Tickets bound to the shopper's key (events with `bindTickets`): the join names a public JWK,
// the place is bound to its thumbprint once (`bind-key` Lua: first key wins), and the ticket
// signed for the place carries it as `cnf.jkt`. A copied place token (or `cid`) used from
// another browser has another key and is refused; a copied ticket has no key to sign proofs.
import { eventKeys, jwkThumbprint, parsePublicJwk, type Redis, runScript } from '@sluice/shared';

export const NO_KEY = 'this event needs a P-256 or Ed25519 public jwk';

/** Checked before the join Lua, so a join without a usable key creates no place. */
export function hasUsableKey(jwk: unknown): boolean {
  return parsePublicJwk(jwk) !== null;
}

export type Binding = { ok: true; jkt: string } | { ok: false; reason: string };

/**
 * Bind `placeId` to the key in `jwk` (from a join), or say why not. Call only for events that
 * bind tickets, after the join Lua returned the place.
 */
export async function bindPlaceKey(
  redis: Redis,
  prefix: string,
  evt: string,
  placeId: string,
  jwk: unknown,
): Promise<Binding> {
  const key = parsePublicJwk(jwk);
  if (!key) return { ok: false, reason: NO_KEY };
  const jkt = jwkThumbprint(key);
  const same = await runScript<number>(redis, 'bind-key', [eventKeys(prefix, evt).bound], [placeId, jkt]);
  return Number(same) === 1 ? { ok: true, jkt } : { ok: false, reason: 'this place is bound to another key' };
}

/** The thumbprint a place was bound to (HTTP fallback, which holds no socket), or undefined. */
export async function boundKeyOf(
  redis: Redis,
  prefix: string,
  evt: string,
  placeId: string,
): Promise<string | undefined> {
  return (await redis.hget(eventKeys(prefix, evt).bound, placeId)) ?? undefined;
}
