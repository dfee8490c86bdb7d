import { describe, expect, it } from 'vitest';
import { chooseReturnUrl, readConfig, wsBase } from './config.ts';

describe('readConfig', () => {
  it('reads the query string and defaults the gate to the page origin', () => {
    const r = readConfig('?event=drop1&return=https://shop.example/p&lang=de', {}, 'https://cdn.example');
    expect(r).toEqual({
      ok: true,
      config: {
        gate: 'https://cdn.example',
        event: 'drop1',
        returnUrl: 'https://shop.example/p',
        lang: 'de',
        mode: 'fragment',
        cookieEndpoint: null,
        key: null,
      },
    });
  });

  it('takes a storefront public key handed over by the drop-in, nothing else', () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'B'.repeat(43) };
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const key = (v: string) => {
      const r = readConfig(`?event=drop1&key=${v}`, {}, 'https://cdn.example');
      return r.ok ? r.config.key : 'not ok';
    };
    expect(key(enc(jwk))).toEqual(jwk);
    expect(key(enc({ ...jwk, d: 'C'.repeat(43) }))).toEqual(jwk);
    expect(key(enc({ ...jwk, crv: 'P-384' }))).toBeNull();
    expect(key(enc({ ...jwk, x: 'short' }))).toBeNull();
    expect(key('%7B%7D')).toBeNull();
  });

  it('lets data attributes pinned in the HTML win over the query string', () => {
    const r = readConfig(
      '?event=other&gate=https://evil.example',
      { gateUrl: 'https://gate.example/', event: 'drop1' },
      'https://cdn.example',
    );
    expect(r.ok && r.config.gate).toBe('https://gate.example');
    expect(r.ok && r.config.event).toBe('drop1');
  });

  it('treats empty data attributes as unset', () => {
    const r = readConfig(
      '?event=drop1&gate=http://127.0.0.1:9',
      { gateUrl: '', event: '' },
      'https://cdn.example',
    );
    expect(r.ok && r.config.gate).toBe('http://127.0.0.1:9');
  });

  it('refuses a missing or malformed event, a non-http gate, cookie mode without an endpoint', () => {
    expect(readConfig('', {}, 'https://cdn.example')).toEqual({ ok: false, problem: 'event' });
    expect(readConfig('?event=Bad_Id', {}, 'https://cdn.example')).toEqual({ ok: false, problem: 'event' });
    expect(readConfig('?event=e&gate=javascript:alert(1)', {}, 'https://cdn.example')).toEqual({
      ok: false,
      problem: 'gate',
    });
    expect(readConfig('?event=e&mode=cookie', {}, 'https://cdn.example')).toEqual({
      ok: false,
      problem: 'cookieEndpoint',
    });
    const ok = readConfig(
      '?event=e&mode=cookie&cookie_endpoint=https://shop.example/sluice/admit',
      {},
      'https://cdn.example',
    );
    expect(ok.ok && ok.config.mode).toBe('cookie');
  });

  it('ignores a malformed language', () => {
    const r = readConfig('?event=e&lang=<script>', {}, 'https://cdn.example');
    expect(r.ok && r.config.lang).toBeNull();
  });
});

describe('chooseReturnUrl', () => {
  it('keeps a requested URL on the event return URL origin, else uses the event one', () => {
    expect(chooseReturnUrl('https://shop.example/item/7?x=1', 'https://shop.example/')).toBe(
      'https://shop.example/item/7?x=1',
    );
    expect(chooseReturnUrl('https://evil.example/', 'https://shop.example/')).toBe('https://shop.example/');
    expect(chooseReturnUrl(null, 'https://shop.example/')).toBe('https://shop.example/');
  });
});

it('wsBase maps http(s) to ws(s)', () => {
  expect(wsBase('https://gate.example')).toBe('wss://gate.example');
  expect(wsBase('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080');
});
