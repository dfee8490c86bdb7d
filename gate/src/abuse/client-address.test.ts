import { describe, expect, it } from 'vitest';
import { addressKey, clientAddress, TrustedProxies } from './client-address.ts';

const proxies = new TrustedProxies(['10.0.0.0/8', '::1']);
const none = new TrustedProxies([]);

describe('clientAddress', () => {
  it('uses the peer when no proxy is configured', () => {
    expect(clientAddress('10.0.0.5', '1.2.3.4', '9.9.9.9', none)).toBe('10.0.0.5');
  });
  it('ignores forwarding headers from a peer that is not a configured proxy', () => {
    // Before: any peer's X-Real-IP was believed once GATE_TRUST_PROXY was on.
    expect(clientAddress('203.0.113.7', '1.2.3.4', '', proxies)).toBe('203.0.113.7');
    expect(clientAddress('203.0.113.7', '', '1.2.3.4', proxies)).toBe('203.0.113.7');
    expect(clientAddress('::ffff:203.0.113.7', '1.2.3.4', '', proxies)).toBe('::ffff:203.0.113.7');
  });
  it('behind a trusted proxy: X-Real-IP, else the last untrusted X-Forwarded-For hop, else the peer', () => {
    expect(clientAddress('10.0.0.5', '1.2.3.4', '6.6.6.6, 5.5.5.5', proxies)).toBe('1.2.3.4');
    expect(clientAddress('::ffff:10.0.0.5', '1.2.3.4', '', proxies)).toBe('1.2.3.4');
    expect(clientAddress('10.0.0.5', '', '6.6.6.6 , 5.5.5.5', proxies)).toBe('5.5.5.5');
    expect(clientAddress('10.0.0.5', '', '6.6.6.6, 5.5.5.5, 10.1.1.1', proxies)).toBe('5.5.5.5');
    expect(clientAddress('::1', ' ', '', proxies)).toBe('::1');
    expect(clientAddress('10.0.0.5', 'x'.repeat(500), '', proxies)).toHaveLength(64);
  });
  it('refuses a malformed proxy list', () => {
    expect(() => new TrustedProxies(['10.0.0.0/33'])).toThrow();
    expect(() => new TrustedProxies(['proxy.local'])).toThrow();
    expect(() => new TrustedProxies(['10.0.0.0/x'])).toThrow();
  });
});

describe('addressKey', () => {
  it('keys IPv4 by address and IPv6 by /64', () => {
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('2001:db8::1.2.3.4')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
  });
});
