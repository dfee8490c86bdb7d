import { describe, expect, it } from 'vitest';
import { SluiceError } from '../protocol/errors.ts';
import { validateEvent } from './model.ts';
import { joinLine, manualTransition, timeTransition } from './state.ts';

const base = {
  id: 'drop1',
  name: 'Drop',
  startAt: 2_000_000,
  products: [{ sku: 'A-1', name: 'Shoe', priceCents: 100, stock: 10 }],
};

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SluiceError) return err.field ?? err.code;
    throw err;
  }
  return undefined;
}

describe('validateEvent', () => {
  it('fills defaults', () => {
    const cfg = validateEvent(base);
    expect(cfg.prequeueAt).toBe(base.startAt);
    expect(cfg.products[0]!.limitPerShopper).toBe(1);
    expect(cfg.rate).toBeGreaterThan(0);
  });

  it.each([
    [{ id: 'Bad Id' }, 'id'],
    [{ rate: -1 }, 'rate'],
    [{ rate: '5' }, 'rate'],
    [{ burst: 0.5 }, 'burst'],
    [{ overbook: 0.5 }, 'overbook'],
    [{ prequeueAt: 3_000_000 }, 'prequeueAt'],
    [{ allowedOrigins: ['https://shop.example/path'] }, 'allowedOrigins[0]'],
    [{ allowedOrigins: ['javascript:alert(1)'] }, 'allowedOrigins[0]'],
    [{ products: [] }, 'products'],
    [{ products: [{ sku: 'A', name: 'x', priceCents: 1, stock: -1 }] }, 'products[0].stock'],
    [{ products: [{ sku: "'; DROP TABLE", name: 'x', priceCents: 1, stock: 1 }] }, 'products[0].sku'],
    [{ returnUrl: 'ftp://x' }, 'returnUrl'],
  ])('names the bad field for %j', (patch, field) => {
    expect(fieldOf(() => validateEvent({ ...base, ...patch }))).toBe(field);
  });

  it('refuses non-objects', () => {
    expect(fieldOf(() => validateEvent([]))).toBe('INVALID_BODY');
    expect(fieldOf(() => validateEvent(null))).toBe('INVALID_BODY');
  });

  it('keeps script-looking names literally', () => {
    expect(validateEvent({ ...base, name: '<script>alert(1)</script>' }).name).toBe('<script>alert(1)</script>');
  });
});

describe('event state', () => {
  const cfg = { prequeueAt: 100, startAt: 200 };
  it('moves with the clock', () => {
    expect(timeTransition('scheduled', cfg, 50)).toBeNull();
    expect(timeTransition('scheduled', cfg, 100)).toBe('prequeue');
    expect(timeTransition('prequeue', cfg, 199)).toBeNull();
    expect(timeTransition('prequeue', cfg, 200)).toBe('open');
    expect(timeTransition('scheduled', cfg, 250)).toBe('open');
    expect(timeTransition('paused', cfg, 250)).toBeNull();
    expect(timeTransition('closed', cfg, 250)).toBeNull();
  });
  it('allows only sensible manual actions', () => {
    expect(manualTransition('open', 'pause')).toBe('paused');
    expect(manualTransition('paused', 'resume')).toBe('open');
    expect(manualTransition('closed', 'resume')).toBeNull();
    expect(manualTransition('scheduled', 'pause')).toBeNull();
    expect(manualTransition('open', 'close')).toBe('closed');
  });
  it('says which line a join goes to', () => {
    expect(joinLine('prequeue')).toBe('prequeue');
    expect(joinLine('open')).toBe('queue');
    expect(joinLine('paused')).toBe('queue');
    expect(joinLine('soldout')).toBeNull();
    expect(joinLine('scheduled')).toBeNull();
  });
});
