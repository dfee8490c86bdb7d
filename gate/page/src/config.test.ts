import { describe, expect, it } from 'vitest';
import { chooseReturnUrl, cookieEndpointFor, readConfig, wsBase } from './config.ts';
import { handoff } from './handoff.ts';

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
        pinned: false,
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

  it('in a pinned build takes gate, mode and cookie endpoint from the HTML only', () => {
    // Before: a crafted link to the real page set mode=cookie and a cookie endpoint on another
    // origin, and the admitted shopper's ticket was posted there.
    const crafted =
      '?event=drop1&gate=https://evil.example&mode=cookie&cookie_endpoint=https://evil.example/steal';
    const r = readConfig(crafted, { pinned: 'true' }, 'https://shop.example');
    expect(r).toEqual({
      ok: true,
      config: {
        gate: 'https://shop.example',
        event: 'drop1',
        returnUrl: null,
        lang: null,
        mode: 'fragment',
        cookieEndpoint: null,
        key: null,
        pinned: true,
      },
    });
    const pinned = readConfig(
      crafted,
      {
        pinned: 'true',
        gateUrl: 'https://gate.example',
        mode: 'cookie',
        cookieEndpoint: 'https://shop.example/admit',
      },
      'https://cdn.example',
    );
    expect(pinned.ok && pinned.config).toMatchObject({
      gate: 'https://gate.example',
      mode: 'cookie',
      cookieEndpoint: 'https://shop.example/admit',
    });
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
  const ev = {
    returnUrl: 'https://shop.example/',
    returnUrls: ['https://shop.example/item/7', 'javascript:alert(1)'],
  };
  it('keeps a requested URL only when its origin and path equal one of the event return URLs', () => {
    expect(chooseReturnUrl('https://shop.example/item/7?x=1', ev)).toBe('https://shop.example/item/7?x=1');
    expect(chooseReturnUrl('https://shop.example/?ref=mail', ev)).toBe('https://shop.example/?ref=mail');
    expect(chooseReturnUrl('https://evil.example/', ev)).toBe('https://shop.example/');
    expect(chooseReturnUrl(null, ev)).toBe('https://shop.example/');
  });
  it('refuses an open redirect on the shop: same origin is not enough', () => {
    // Before: any URL on the return URL's origin was used, so /redirect?to=evil carried the
    // ticket fragment away.
    expect(chooseReturnUrl('https://shop.example/redirect?to=https://evil.example/', ev)).toBe(
      'https://shop.example/',
    );
  });
  it('never answers a javascript: (or other non-http) URL, even from the gate', () => {
    expect(chooseReturnUrl('javascript:alert(1)', ev)).toBe('https://shop.example/');
    expect(chooseReturnUrl(null, { returnUrl: 'javascript:alert(document.domain)' })).toBeNull();
    expect(
      chooseReturnUrl('javascript:alert(1)', { returnUrl: 'data:text/html,x', returnUrls: ['javascript:x'] }),
    ).toBeNull();
  });
});

describe('cookie hand-over', () => {
  it('posts the ticket only to an endpoint on the return URL origin, else uses the fragment', () => {
    expect(cookieEndpointFor('https://shop.example/admit', 'https://shop.example/')).toBe(
      'https://shop.example/admit',
    );
    expect(cookieEndpointFor('https://evil.example/steal', 'https://shop.example/')).toBeNull();
    expect(handoff('cookie', 'T', 'https://shop.example/', 'https://evil.example/steal')).toEqual({
      kind: 'navigate',
      href: 'https://shop.example/#sluice_ticket=T',
    });
    expect(handoff('cookie', 'T', 'https://shop.example/', 'https://shop.example/admit')).toMatchObject({
      kind: 'post',
      action: 'https://shop.example/admit',
    });
  });
});

it('wsBase maps http(s) to ws(s)', () => {
  expect(wsBase('https://gate.example')).toBe('wss://gate.example');
  expect(wsBase('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080');
});
