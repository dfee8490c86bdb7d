// Lanes of an event: separate lines (e.g. `members`, `public`) that share the release by weight
// or in strict order, some of them closed to anyone without an access code or a signed invite.
// One queue zset per event holds every lane: the lane index sits in the score's high bits
// (lane × LANE_SPAN + the lane's own ticket number), so numbers within a lane stay FIFO and every
// script still touches one zset on the event's slot. Pure: validation and score arithmetic.
import { SluiceError } from '../protocol/errors.ts';

export type LaneAccess = 'open' | 'code' | 'invite';
export type LaneMode = 'shares' | 'strict';

/** A public key (Ed25519, raw 32 bytes as base64url) a CRM signs invite tokens with. */
export interface InviteKey {
  kid: string;
  x: string;
}

export interface LaneConfig {
  /** Shown to shoppers and in the log (`[a-z0-9-]`, ≤ 32). */
  id: string;
  /** Weight in `shares` mode (default 1; 0 = only what the other lanes leave). */
  share: number;
  /** Who may join: anyone, a single-use access code, or a signed invite token. */
  access: LaneAccess;
  /** Invite lanes: the keys their tokens may be signed with (1-5). */
  inviteKeys: InviteKey[];
}

/** Most lanes per event (the score keeps lane × 2^40 exact below 2^53). */
export const MAX_LANES = 8;
/** Ticket numbers per lane: score = lane index × LANE_SPAN + number. */
export const LANE_SPAN = 2 ** 40;
/** Pre-queue scores: lane index × PREQUEUE_SPAN + join time (ms), so each lane is one score range. */
export const PREQUEUE_SPAN = 2 ** 42;
export const LANE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const ED25519_X = /^[A-Za-z0-9_-]{43}$/;

const invalid = (field: string, message: string): SluiceError =>
  new SluiceError('INVALID_FIELD', { field, message: `${field}: ${message}` });

function inviteKey(v: unknown, f: string): InviteKey {
  const k = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (typeof k.kid !== 'string' || !KID_PATTERN.test(k.kid)) throw invalid(`${f}.kid`, 'must be 1-64 of A-Za-z0-9._-');
  if (typeof k.x !== 'string' || !ED25519_X.test(k.x)) throw invalid(`${f}.x`, 'must be an Ed25519 public key (32 bytes, base64url)');
  return { kid: k.kid, x: k.x };
}

function lane(v: unknown, i: number): LaneConfig {
  const f = `lanes[${i}]`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(f, 'must be an object');
  const l = v as Record<string, unknown>;
  if (typeof l.id !== 'string' || !LANE_ID_PATTERN.test(l.id)) throw invalid(`${f}.id`, `must match ${LANE_ID_PATTERN}`);
  const share = l.share ?? 1;
  if (typeof share !== 'number' || !Number.isInteger(share) || share < 0 || share > 1000) {
    throw invalid(`${f}.share`, 'must be an integer from 0 to 1000');
  }
  const access = l.access ?? 'open';
  if (access !== 'open' && access !== 'code' && access !== 'invite') throw invalid(`${f}.access`, "must be 'open', 'code' or 'invite'");
  const keys = l.inviteKeys ?? [];
  if (!Array.isArray(keys) || keys.length > 5) throw invalid(`${f}.inviteKeys`, 'must be a list of at most 5 keys');
  if (access === 'invite' && keys.length === 0) throw invalid(`${f}.inviteKeys`, 'an invite lane needs at least one key');
  const inviteKeys = keys.map((k, j) => inviteKey(k, `${f}.inviteKeys[${j}]`));
  if (new Set(inviteKeys.map((k) => k.kid)).size !== inviteKeys.length) throw invalid(`${f}.inviteKeys`, 'kids must be unique');
  return { id: l.id, share, access, inviteKeys };
}

/** Validate `lanes` (undefined or [] = no lanes) and `laneMode`. Throws INVALID_FIELD. */
export function validateLanes(lanesIn: unknown, modeIn: unknown): { lanes: LaneConfig[]; laneMode: LaneMode } {
  const raw = lanesIn ?? [];
  if (!Array.isArray(raw) || raw.length > MAX_LANES) throw invalid('lanes', `must be a list of at most ${MAX_LANES} lanes`);
  const lanes = raw.map(lane);
  if (new Set(lanes.map((l) => l.id)).size !== lanes.length) throw invalid('lanes', 'lane ids must be unique');
  const laneMode = modeIn ?? 'shares';
  if (laneMode !== 'shares' && laneMode !== 'strict') throw invalid('laneMode', "must be 'shares' or 'strict'");
  if (laneMode === 'shares' && lanes.length > 0 && lanes.every((l) => l.share === 0)) {
    throw invalid('lanes', 'at least one lane needs a share above 0');
  }
  return { lanes, laneMode };
}

/** The lanes are fixed once the queue has opened: their indexes are baked into the scores. */
export function sameLanes(a: LaneConfig[], b: LaneConfig[]): boolean {
  return a.length === b.length && a.every((l, i) => l.id === b[i]!.id);
}

/** Lane index and lane number of a queue score. @example splitScore(2 ** 40 + 7) // { lane: 1, number: 7 } */
export function splitScore(score: number): { lane: number; number: number } {
  const lane = Math.floor(score / LANE_SPAN);
  return { lane, number: score - lane * LANE_SPAN };
}

/**
 * The lane a join asks for: the named one, else the first open lane. Null when the name is
 * unknown or no lane is open to anyone.
 */
export function laneFor(lanes: LaneConfig[], id: string | undefined): { index: number; lane: LaneConfig } | null {
  const index = id === undefined ? lanes.findIndex((l) => l.access === 'open') : lanes.findIndex((l) => l.id === id);
  return index < 0 ? null : { index, lane: lanes[index]! };
}

/** The id of lane `index` of `cfg`, or undefined (no lanes, or not known). */
export function laneId(cfg: { lanes?: LaneConfig[] } | undefined, index: number | null | undefined): string | undefined {
  return index === null || index === undefined || index < 0 ? undefined : cfg?.lanes?.[index]?.id;
}
