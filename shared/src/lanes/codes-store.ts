// The access codes of an event's lanes in Redis (`codes` hash, the event's slot): upload,
// revoke and count. Codes are stored only as HMAC-SHA-256 under a random per-event salt kept in
// the same hash; a dump shows no code, and a code is spent by the join script (join-14.lua).
import { randomBytes } from 'node:crypto';
import { eventKeys } from '../keys.ts';
import { SluiceError } from '../protocol/errors.ts';
import { type Redis, runScript } from '../redis.ts';
import { ACCESS_CODE_PATTERN, CODE_SALT_FIELD, codeField } from './credentials.ts';
import { LANE_SPAN, type LaneConfig, MAX_LANES } from './model.ts';

/** Most codes per upload or revocation request (one script call each). */
export const MAX_CODES_PER_CALL = 1000;

/** Codes from a request body: 1..MAX_CODES_PER_CALL strings of ACCESS_CODE_PATTERN. */
export function parseCodes(body: unknown): string[] {
  const codes = (body as { codes?: unknown } | null)?.codes;
  if (!Array.isArray(codes) || codes.length === 0 || codes.length > MAX_CODES_PER_CALL) {
    throw new SluiceError('INVALID_FIELD', { field: 'codes', message: `codes: must be a list of 1 to ${MAX_CODES_PER_CALL} codes` });
  }
  codes.forEach((c, i) => {
    if (typeof c !== 'string' || !ACCESS_CODE_PATTERN.test(c)) {
      throw new SluiceError('INVALID_FIELD', { field: `codes[${i}]`, message: `codes[${i}]: must match ${ACCESS_CODE_PATTERN}` });
    }
  });
  return codes as string[];
}

/** The event's code salt, made (32 random bytes) on first use. */
async function salt(redis: Redis, prefix: string, evt: string): Promise<string> {
  const k = eventKeys(prefix, evt).codes;
  await redis.hsetnx(k, CODE_SALT_FIELD, randomBytes(32).toString('hex'));
  const s = await redis.hget(k, CODE_SALT_FIELD);
  if (!s) throw new Error(`no code salt for ${evt}`);
  return s;
}

/** Upload codes for lane `lane` (index). Returns how many were new. */
export async function addCodes(redis: Redis, prefix: string, evt: string, lane: number, codes: string[]): Promise<{ added: number; duplicates: number }> {
  const s = await salt(redis, prefix, evt);
  const fields = codes.slice(0, MAX_CODES_PER_CALL).map((c) => codeField(s, c));
  const added = Number(await runScript(redis, 'code-add', [eventKeys(prefix, evt).codes], [lane, ...fields.slice(0, MAX_CODES_PER_CALL)]));
  return { added, duplicates: codes.length - added };
}

/** Revoke unused codes of lane `lane`. Returns how many were revoked (unknown / used ones are not). */
export async function revokeCodes(redis: Redis, prefix: string, evt: string, lane: number, codes: string[]): Promise<{ revoked: number; unchanged: number }> {
  const s = await salt(redis, prefix, evt);
  const fields = codes.slice(0, MAX_CODES_PER_CALL).map((c) => codeField(s, c));
  const revoked = Number(await runScript(redis, 'code-revoke', [eventKeys(prefix, evt).codes], [lane, ...fields.slice(0, MAX_CODES_PER_CALL)]));
  return { revoked, unchanged: codes.length - revoked };
}

export interface LaneCounts {
  id: string;
  share: number;
  access: LaneConfig['access'];
  /** Codes uploaded / spent on joins / revoked; invites spent; credentials refused at join. */
  uploaded: number;
  used: number;
  revoked: number;
  invitesUsed: number;
  refused: number;
  /** Codes still usable. */
  left: number;
}

/** The counters of every lane (one HMGET). */
export async function laneCounts(redis: Redis, prefix: string, evt: string, lanes: LaneConfig[]): Promise<LaneCounts[]> {
  if (lanes.length === 0) return [];
  const fields = lanes.flatMap((_, i) => ['~n:', '~u:', '~r:', '~j:', '~x:'].map((f) => f + i));
  const v = (await redis.hmget(eventKeys(prefix, evt).codes, ...fields.slice(0, 5 * lanes.length))).map((x) => Number(x ?? 0));
  return lanes.map((l, i) => {
    const [uploaded, used, revoked, invitesUsed, refused] = v.slice(i * 5, i * 5 + 5) as [number, number, number, number, number];
    return { id: l.id, share: l.share, access: l.access, uploaded, used, revoked, invitesUsed, refused, left: uploaded - used - revoked };
  });
}

/** Each lane's line: shoppers waiting, highest number admitted, highest number handed out. */
export async function laneQueues(
  redis: Redis,
  prefix: string,
  evt: string,
  lanes: number,
): Promise<{ waiting: number; served: number; tail: number }[]> {
  if (lanes === 0) return [];
  const k = eventKeys(prefix, evt);
  const pipe = redis.pipeline();
  for (let i = 0; i < Math.min(lanes, MAX_LANES); i++) {
    pipe.zcount(k.queue, i * LANE_SPAN, `(${(i + 1) * LANE_SPAN}`);
    pipe.hget(k.stats, `ls:${i}`);
    pipe.hget(k.event, `lseq:${i}`);
  }
  const res = (await pipe.exec()) ?? [];
  for (const [err] of res) if (err) throw err;
  const v = res.map(([, x]) => Number(x ?? 0));
  return Array.from({ length: Math.min(lanes, MAX_LANES) }, (_, i) => ({ waiting: v[i * 3]!, served: v[i * 3 + 1]!, tail: v[i * 3 + 2]! }));
}
