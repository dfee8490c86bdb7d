import type { SluiceError } from '@sluice/shared';
import { describe, expect, it } from 'vitest';
import { parsePatch, parseRevocation, parseStockChange } from './bodies.ts';

const field = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (e) {
    return (e as SluiceError).field ?? (e as SluiceError).code;
  }
};

describe('request bodies', () => {
  it('accepts editable fields and an expected version', () => {
    expect(parsePatch({ rate: 5, queueAll: true, version: 3 })).toEqual({ patch: { rate: 5, queueAll: true }, expectVersion: 3 });
  });
  it('names unknown, forbidden and missing fields', () => {
    expect(field(() => parsePatch({ colour: 1 }))).toBe('colour');
    expect(field(() => parsePatch({ products: [] }))).toBe('products');
    expect(field(() => parsePatch({ id: 'x' }))).toBe('id');
    expect(field(() => parsePatch({}))).toBe('body');
    expect(field(() => parsePatch([1]))).toBe('INVALID_BODY');
  });
  it('checks stock deltas and revocations', () => {
    expect(parseStockChange({ sku: 'A-1', delta: -3 })).toEqual({ sku: 'A-1', delta: -3 });
    expect(field(() => parseStockChange({ sku: 'A-1', delta: 1.5 }))).toBe('delta');
    expect(field(() => parseStockChange({ sku: '', delta: 1 }))).toBe('sku');
    expect(parseRevocation({ placeId: 'p1' })).toEqual({ kind: 'place', id: 'p1' });
    expect(field(() => parseRevocation({}))).toBe('jti');
    expect(field(() => parseRevocation({ jti: 'a b' }))).toBe('jti');
  });
});
