import { describe, expect, it } from 'vitest';
import { SluiceError, toErrorResponse } from './errors.ts';

describe('SluiceError', () => {
  it('captures no stack for a refusal (4xx), keeps one for a fault (5xx), and leaves the limit as it was', () => {
    const limit = Error.stackTraceLimit;
    const refusal = new SluiceError('TICKET_SIGNATURE');
    expect(refusal.stack).not.toMatch(/\n\s+at /);
    expect(new SluiceError('UNAVAILABLE').stack).toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('plain').stack).toMatch(/\n\s+at /);
    expect(toErrorResponse(refusal)).toEqual({
      status: 401,
      body: { error: { code: 'TICKET_SIGNATURE', message: 'The ticket signature is invalid.' } },
      known: true,
    });
  });
});
