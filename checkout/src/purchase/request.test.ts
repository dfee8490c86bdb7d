import { SluiceError } from '@sluice/shared';
import { describe, expect, it } from 'vitest';
import { bearerToken, MAX_QTY, parseCheckoutBody, parseIdempotencyKey } from './request.ts';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return err instanceof SluiceError ? err.code : `not a SluiceError: ${String(err)}`;
  }
  return 'no error';
};

describe('parseCheckoutBody', () => {
  it('accepts { sku, qty } and ignores other fields', () => {
    expect(parseCheckoutBody('{"sku":"SKU-1","qty":2,"note":"x"}')).toEqual({ sku: 'SKU-1', qty: 2 });
    expect(parseCheckoutBody(Buffer.from(`{"sku":"A","qty":${MAX_QTY}}`))).toEqual({ sku: 'A', qty: MAX_QTY });
  });
  it.each([
    ['{', 'INVALID_BODY'],
    ['[]', 'INVALID_BODY'],
    ['42', 'INVALID_BODY'],
    ['{"sku":["SKU-1"],"qty":1}', 'INVALID_FIELD'],
    ['{"sku":"SKU-1","qty":null}', 'INVALID_FIELD'],
    ['{"sku":"SKU-1","qty":true}', 'INVALID_FIELD'],
    ['{"sku":"","qty":1}', 'UNKNOWN_SKU'],
    ['{"sku":"a b","qty":1}', 'UNKNOWN_SKU'],
    [`{"sku":"${'x'.repeat(65)}","qty":1}`, 'UNKNOWN_SKU'],
    [`{"sku":"SKU-1","qty":${MAX_QTY + 1}}`, 'QTY_OUT_OF_RANGE'],
    ['{"sku":"SKU-1","qty":-0.5}', 'QTY_OUT_OF_RANGE'],
  ])('%s → %s', (body, expected) => {
    expect(code(() => parseCheckoutBody(body))).toBe(expected);
  });
});

describe('headers', () => {
  it('reads a bearer token', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('bearer  a.b.c ')).toBe('a.b.c');
    expect(code(() => bearerToken(undefined))).toBe('TICKET_MISSING');
    expect(code(() => bearerToken('Token a.b.c'))).toBe('TICKET_MALFORMED');
    expect(code(() => bearerToken('Bearer a b'))).toBe('TICKET_MALFORMED');
  });
  it('checks the Idempotency-Key', () => {
    expect(parseIdempotencyKey(undefined)).toBeNull();
    expect(parseIdempotencyKey('abc-123')).toBe('abc-123');
    expect(code(() => parseIdempotencyKey('has space'))).toBe('INVALID_FIELD');
    expect(code(() => parseIdempotencyKey('k'.repeat(129)))).toBe('INVALID_FIELD');
  });
});
