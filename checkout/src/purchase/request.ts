// Parsing of a checkout request: body, bearer ticket and Idempotency-Key. Pure; every failure is
// a SluiceError from the catalog, so junk gets a 400/401 and never reaches Redis.
import { SKU_PATTERN, SluiceError } from '@sluice/shared';

/** Most units in one order, whatever the product's limit (the Lua script checks the limit). */
export const MAX_QTY = 1000;
export const MAX_IDEMPOTENCY_KEY = 128;

export interface CheckoutRequest {
  sku: string;
  qty: number;
}

/**
 * Parse the JSON body `{ sku, qty }`.
 * @example parseCheckoutBody(Buffer.from('{"sku":"SNEAKER-1","qty":1}'))
 */
export function parseCheckoutBody(raw: Buffer | string): CheckoutRequest {
  let body: unknown;
  try {
    body = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    throw new SluiceError('INVALID_BODY', { cause: err });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SluiceError('INVALID_BODY');
  const { sku, qty } = body as Record<string, unknown>;
  if (typeof sku !== 'string') {
    throw new SluiceError('INVALID_FIELD', { field: 'sku', message: 'sku: must be a string' });
  }
  // A well-typed sku that cannot name any product (unicode, quotes, 10 kB) is simply unknown.
  if (!SKU_PATTERN.test(sku)) throw new SluiceError('UNKNOWN_SKU', { field: 'sku' });
  if (typeof qty !== 'number') {
    throw new SluiceError('INVALID_FIELD', { field: 'qty', message: 'qty: must be a number' });
  }
  if (!Number.isInteger(qty) || qty < 1 || qty > MAX_QTY) {
    throw new SluiceError('QTY_OUT_OF_RANGE', { field: 'qty', message: `qty: must be an integer from 1 to ${MAX_QTY}` });
  }
  return { sku, qty };
}

/** The ticket from `Authorization: Bearer <ticket>`. */
export function bearerToken(header: string | undefined): string {
  if (header === undefined || header === '') throw new SluiceError('TICKET_MISSING');
  const m = /^Bearer +(\S+) *$/i.exec(header);
  if (!m) throw new SluiceError('TICKET_MALFORMED');
  return m[1]!;
}

/** The optional Idempotency-Key: 1-128 visible ASCII characters, or null when absent. */
export function parseIdempotencyKey(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  if (header.length > MAX_IDEMPOTENCY_KEY || !/^[\x21-\x7e]+$/.test(header)) {
    throw new SluiceError('INVALID_FIELD', {
      field: 'Idempotency-Key',
      message: `Idempotency-Key: must be 1 to ${MAX_IDEMPOTENCY_KEY} visible ASCII characters`,
    });
  }
  return header;
}
