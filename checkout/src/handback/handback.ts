// POST /v1/handback as one story: a storefront (or the shopper's page, with CORS) tells Sluice
// that an admitted shopper finished or left, with that shopper's ticket. The ticket is checked
// like at checkout (claims, the gate's record of issued tickets, proof of possession for bound
// tickets); the slot is freed at once so the next shopper is admitted on the next tick, the
// ticket cannot buy any more, and the next admission-log entry counts the slot handed back.
import { isEventId, LuaCode, luaCodeToError, type Redis, runScript, SluiceError, ticketDigest, eventKeys, type TicketVerifier } from '@sluice/shared';
import { guarded } from '../connections.ts';
import { requireProof } from '../purchase/proof.ts';
import { bearerToken } from '../purchase/request.ts';

export interface HandBackDeps {
  redis: Redis;
  verifier: TicketVerifier;
  prefix: string;
  redisTimeoutMs: number;
  now: () => number;
}

export const HANDBACK_REASONS = ['finished', 'left'] as const;
export type HandBackReason = (typeof HANDBACK_REASONS)[number];

export interface HandBackInput {
  authorization: string | undefined;
  body: Buffer;
  dpop?: string | undefined;
  url?: string;
}

function reasonOf(body: Buffer): HandBackReason {
  if (body.length === 0) return 'finished';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new SluiceError('INVALID_BODY');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SluiceError('INVALID_BODY');
  const r = (parsed as { reason?: unknown }).reason ?? 'finished';
  if (!HANDBACK_REASONS.includes(r as HandBackReason)) {
    throw new SluiceError('INVALID_FIELD', { field: 'reason', message: 'reason: must be finished or left' });
  }
  return r as HandBackReason;
}

export async function handBack(deps: HandBackDeps, input: HandBackInput): Promise<{ freed: boolean; replay: boolean }> {
  const reason = reasonOf(input.body);
  const ticket = bearerToken(input.authorization);
  const { claims, kid } = deps.verifier.inspect(ticket);
  if (!deps.verifier.knowsKey(kid)) await deps.verifier.verify(ticket);
  if (!isEventId(claims.evt)) throw new SluiceError('TICKET_CLAIMS');
  const now = deps.now();
  if (claims.cnf) {
    const proof = { dpop: input.dpop, method: 'POST', url: input.url ?? '', ticket };
    await guarded(requireProof(deps.redis, deps.prefix, claims, proof, now), deps.redisTimeoutMs, 'proof');
  }
  const k = eventKeys(deps.prefix, claims.evt);
  const r = await guarded(
    runScript<number | [number, number]>(
      deps.redis,
      'handback',
      [k.ticketHash, k.admitted, k.used, k.handback, k.stats],
      [claims.jti, claims.sub, ticketDigest(ticket), now, reason],
    ),
    deps.redisTimeoutMs,
    'handback',
  );
  if (typeof r === 'number') {
    throw new SluiceError(luaCodeToError[r] ?? (r === LuaCode.BAD_ARGS ? 'BAD_REQUEST' : 'INTERNAL'));
  }
  return { freed: r[0] === 1, replay: r[1] === 1 };
}
