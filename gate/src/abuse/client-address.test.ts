import { describe, expect, it } from 'vitest';
import { clientAddress } from './client-address.ts';

describe('clientAddress', () => {
  it('uses the peer unless the proxy is trusted', () => {
    expect(clientAddress('10.0.0.5', '1.2.3.4', '9.9.9.9', false)).toBe('10.0.0.5');
  });
  it('behind a trusted proxy: X-Real-IP, else the last X-Forwarded-For hop, else the peer', () => {
    expect(clientAddress('10.0.0.5', '1.2.3.4', '6.6.6.6, 5.5.5.5', true)).toBe('1.2.3.4');
    expect(clientAddress('10.0.0.5', '', '6.6.6.6 , 5.5.5.5', true)).toBe('5.5.5.5');
    expect(clientAddress('10.0.0.5', ' ', '', true)).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.5', 'x'.repeat(500), '', true)).toHaveLength(64);
  });
});
