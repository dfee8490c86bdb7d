// Key rotation reaches the gate: it signs with the new key, publishes both keys, and reports the
// key it uses in the `gates` hash (versions['*']) so the console can show "applied everywhere".
import { globalKeys, LocalKeys, rotateKey } from '@sluice/shared';
import { type RedisFixture, redisFixture } from '@sluice/shared/testing/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testGate } from './gate.ts';
import { until } from './helpers.ts';

let fx: RedisFixture;
beforeEach(async () => {
  fx = await redisFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

describe('key rotation', () => {
  it('is applied by the gate and reported as versions["*"]', async () => {
    const gate = await testGate(fx.prefix);
    try {
      const reported = async () => {
        const all = await fx.redis.hvals(globalKeys(fx.prefix).gates);
        return all.map((v) => (JSON.parse(v) as { versions: Record<string, number> }).versions['*']);
      };
      await until(async () => (await reported()).some((v) => typeof v === 'number'), 5000, 'first report');
      const before = (await reported())[0]!;
      const { previous, current } = await rotateKey(fx.redis, fx.prefix, 600, before + 1000);
      await until(async () => (await reported()).includes(before + 1000), 5000, 'rotation reported');
      const jwks = (await (await fetch(`${gate.http}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([previous, current]));
      const ticket = await gate.ctx.issuer.issue('e1', 'place-1', Date.now(), 600);
      const header = JSON.parse(Buffer.from(ticket.ticket.split('.')[0]!, 'base64url').toString()) as { kid: string };
      expect(header.kid).toBe(current);
      expect((await LocalKeys.from(jwks as never)).knows(current)).toBe(true);
    } finally {
      await gate.close();
    }
  });
});
