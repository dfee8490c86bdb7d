// Shapes of the admin API's request bodies, checked before anything is touched. Every refusal
// is a SluiceError INVALID_FIELD naming the field, or INVALID_BODY when the body is not an object.
import { type EventConfig, SKU_PATTERN, SluiceError } from '@sluice/shared';

const invalid = (field: string, message: string): SluiceError =>
  new SluiceError('INVALID_FIELD', { field, message: `${field}: ${message}` });

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SluiceError('INVALID_BODY');
  return body as Record<string, unknown>;
}

/** Fields an operator may change with PATCH; values are checked by validateEvent on the merged config. */
export const EDITABLE = [
  'name',
  'prequeueAt',
  'startAt',
  'rate',
  'burst',
  'maxActive',
  'overbook',
  'ticketTtlS',
  'graceS',
  'powDifficulty',
  'powSurgeJoinsPerS',
  'powSurgeDifficulty',
  'allowedOrigins',
  'returnUrl',
  'returnUrls',
  'queueAll',
  'autopilot',
  'bindTickets',
  'alwaysOn',
] as const satisfies readonly (keyof EventConfig)[];

export type EventPatch = Partial<Pick<EventConfig, (typeof EDITABLE)[number]>>;

/** PATCH body: editable fields plus an optional `version` (optimistic concurrency). */
export function parsePatch(body: unknown): { patch: EventPatch; expectVersion?: number } {
  const b = object(body);
  const patch: Record<string, unknown> = {};
  let expectVersion: number | undefined;
  for (const [key, value] of Object.entries(b)) {
    if (key === 'version') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw invalid('version', 'must be the positive integer version you read');
      }
      expectVersion = value;
    } else if (key === 'products') {
      throw invalid('products', 'change stock with POST /v1/events/{id}/stock');
    } else if (key === 'id') {
      throw invalid('id', 'an event id cannot be changed');
    } else if ((EDITABLE as readonly string[]).includes(key)) {
      patch[key] = value;
    } else {
      throw invalid(key, 'is not a field of an event');
    }
  }
  if (Object.keys(patch).length === 0) throw invalid('body', `must change at least one of ${EDITABLE.join(', ')}`);
  return expectVersion === undefined ? { patch: patch as EventPatch } : { patch: patch as EventPatch, expectVersion };
}

/** POST /stock body: `{sku, delta}`; a delta, not an absolute figure, so concurrent sales are not overwritten. */
export function parseStockChange(body: unknown): { sku: string; delta: number } {
  const b = object(body);
  if (typeof b.sku !== 'string' || !SKU_PATTERN.test(b.sku)) throw invalid('sku', 'must be a product sku');
  const d = b.delta;
  if (typeof d !== 'number' || !Number.isInteger(d) || d === 0 || Math.abs(d) > 100_000_000) {
    throw invalid('delta', 'must be a non-zero integer from -100000000 to 100000000');
  }
  return { sku: b.sku, delta: d };
}

/** POST /revocations body: exactly one of `jti` (a ticket) or `placeId` (a place in the line). */
export function parseRevocation(body: unknown): { kind: 'ticket' | 'place'; id: string } {
  const b = object(body);
  const hasJti = b.jti !== undefined;
  const hasPlace = b.placeId !== undefined;
  if (hasJti === hasPlace) throw invalid(hasJti ? 'placeId' : 'jti', 'give exactly one of jti or placeId');
  const field = hasJti ? 'jti' : 'placeId';
  const v = hasJti ? b.jti : b.placeId;
  if (typeof v !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(v)) {
    throw invalid(field, 'must be 1-128 letters, digits, _ . : or -');
  }
  return { kind: hasJti ? 'ticket' : 'place', id: v };
}

export const STATE_ACTIONS = ['open', 'pause', 'resume', 'close'] as const;
export type StateAction = (typeof STATE_ACTIONS)[number];
