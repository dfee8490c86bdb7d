import type { SluiceError } from '@sluice/shared';
import { describe, expect, it } from 'vitest';
import { authorize, isOwnOrigin, type Principal, type RequestFacts } from './guard.ts';
import { readSessionCookie, sessionCookie } from './sessions.ts';
import { roleOf } from './tokens.ts';

const req = (o: Partial<RequestFacts> = {}): RequestFacts => ({
  method: 'POST',
  authorization: undefined,
  cookie: undefined,
  origin: undefined,
  host: 'dash.local:8082',
  csrf: undefined,
  ...o,
});
const admin: Principal = { role: 'admin', via: 'session', actor: 'admin/session:x', csrf: 'tok' };
const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return (e as SluiceError).code;
  }
};

describe('authorize', () => {
  it('401 without a principal, 403 for the viewer on a change', () => {
    expect(code(() => authorize(null, req({ method: 'GET' }), 'read', []))).toBe('UNAUTHENTICATED');
    expect(code(() => authorize({ ...admin, role: 'viewer' }, req({ csrf: 'tok' }), 'write', []))).toBe('FORBIDDEN');
    expect(code(() => authorize({ ...admin, role: 'viewer' }, req({ method: 'GET' }), 'read', []))).toBe('ok');
  });

  it('asks a cookie session for the CSRF token and a same-site Origin; not a bearer caller', () => {
    expect(code(() => authorize(admin, req(), 'write', []))).toBe('CSRF');
    expect(code(() => authorize(admin, req({ csrf: 'other' }), 'write', []))).toBe('CSRF');
    expect(code(() => authorize(admin, req({ csrf: 'tok', origin: 'https://evil.example' }), 'write', []))).toBe('CSRF');
    expect(code(() => authorize(admin, req({ csrf: 'tok', origin: 'http://dash.local:8082' }), 'write', []))).toBe('ok');
    expect(code(() => authorize(admin, req({ csrf: 'tok' }), 'write', []))).toBe('ok');
    expect(code(() => authorize({ role: 'admin', via: 'bearer', actor: 'admin/bearer' }, req(), 'write', []))).toBe('ok');
  });

  it('accepts extra origins behind a proxy', () => {
    expect(isOwnOrigin('https://ops.example', 'internal:8082', ['https://ops.example'])).toBe(true);
    expect(isOwnOrigin('https://ops.example', 'internal:8082', [])).toBe(false);
  });
});

describe('tokens and cookies', () => {
  it('maps tokens to roles; an empty viewer token disables the viewer', () => {
    expect(roleOf({ admin: 'a1', viewer: 'v1' }, 'a1')).toBe('admin');
    expect(roleOf({ admin: 'a1', viewer: 'v1' }, 'v1')).toBe('viewer');
    expect(roleOf({ admin: 'a1', viewer: '' }, '')).toBeNull();
    expect(roleOf({ admin: 'a1', viewer: 'v1' }, 'a2')).toBeNull();
  });

  it('writes and reads the session cookie', () => {
    const c = sessionCookie('abc', { secure: true, maxAgeS: 60 });
    expect(c).toBe('sluice_dash=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure');
    expect(readSessionCookie('x=1; sluice_dash=abc; y=2')).toBe('abc');
    expect(readSessionCookie('x=1')).toBe('');
  });
});
