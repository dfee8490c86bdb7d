// Lanes on a single Redis and on the local Redis Cluster (3 masters + 3 replicas): events spread
// over the shards, each with a code lane (share 3), an invite lane and an open lane; shoppers
// join the pre-queue over WebSockets (the code / invite spent by the join script), the sale opens
// (each lane shuffled and numbered on its own), everyone is admitted and the admission log checks
// out lane by lane. Every script involved (join-14, code-add/revoke, open-begin/chunk, admit-12)
// touches one slot: a key of another slot would fail here with CROSSSLOT.
import { generateKeyPairSync, sign } from 'node:crypto';
import { addCodes, chainHash, Cluster, CloseCode, createEvent, ensureKeyring, eventKeys, genesisHash, LogChecker, updateEvent } from '@sluice/shared';
import { type RedisFixture, redisFixture, TEST_CLUSTER_NODES, TEST_REDIS_URL, testRedisEndpoint } from '@sluice/shared/testing/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../gate/test/client.ts';
import { testGate } from '../../gate/test/gate.ts';
import { HAVE_CLUSTER, idsOverShards, requireClusterOrWarn } from '../support/cluster.ts';
import { until } from '../support/wait.ts';

requireClusterOrWarn('tests/cluster/lanes.itest.ts');

const TARGETS = [
  { name: 'single Redis', cluster: false },
  ...(HAVE_CLUSTER ? [{ name: `Redis Cluster ${TEST_CLUSTER_NODES.join(',')}`, cluster: true }] : []),
];
const crm = generateKeyPairSync('ed25519');

function invite(evt: string, jti: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const data = `${b64({ alg: 'EdDSA', kid: 'k1' })}.${b64({ evt, lane: 'crm', exp: Math.floor(Date.now() / 1000) + 600, jti })}`;
  return `${data}.${sign(null, Buffer.from(data), crm.privateKey).toString('base64url')}`;
}

describe.each(TARGETS)('lanes on $name', ({ cluster }) => {
  let r: RedisFixture;
  let gate: Awaited<ReturnType<typeof testGate>>;
  beforeAll(async () => {
    r = await redisFixture(testRedisEndpoint(cluster));
    expect(r.redis instanceof Cluster).toBe(cluster);
    await ensureKeyring(r.redis, r.prefix);
    gate = await testGate(r.prefix, {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_CLUSTER_NODES: cluster ? TEST_CLUSTER_NODES.join(',') : '',
      GATE_TICK_MS: '100',
    });
  });
  afterAll(async () => {
    await gate?.close();
    await r?.cleanup();
  });

  async function join(evt: string, msg: Record<string, unknown>): Promise<number | { lane?: string }> {
    const c = await connect(gate.ws(evt));
    c.send({ t: 'join', ...msg });
    return Promise.race([c.next('welcome', 10_000), c.closed.then((x) => x.code)]);
  }

  it('spends codes and invites once, shuffles and admits each lane in order, on every shard', async () => {
    const ids = await idsOverShards(r.redis, r.prefix, 3, 'lane');
    const x = crm.publicKey.export({ format: 'jwk' }).x as string;
    await Promise.all(
      ids.map(async (id) => {
        const now = Date.now();
        await createEvent(r.redis, r.prefix, {
          id,
          name: `Laned ${id}`,
          prequeueAt: now - 1000,
          startAt: now + 4000,
          rate: 100,
          burst: 100,
          powDifficulty: 0,
          powSurgeDifficulty: 0,
          allowedOrigins: ['https://shop.example'],
          products: [{ sku: 'SKU-1', name: 'Thing', priceCents: 500, stock: 1000, limitPerShopper: 1 }],
          queueAll: true,
          lanes: [
            { id: 'members', share: 3, access: 'code' },
            { id: 'crm', share: 1, access: 'invite', inviteKeys: [{ kid: 'k1', x }] },
            { id: 'public', share: 1 },
          ],
        });
        await until(() => gate.ctx.events.get(id)?.state === 'prequeue', 15_000, `${id} pre-queue`);
        expect(await addCodes(r.redis, r.prefix, id, 0, ['CODE-0001', 'CODE-0002'])).toEqual({ added: 2, duplicates: 0 });
        expect(await join(id, { cid: `m1-${id}-0001`, lane: 'members', code: 'CODE-0001' })).toMatchObject({ lane: 'members', phase: 'prequeue' });
        expect(await join(id, { cid: `m2-${id}-0001`, lane: 'members', code: 'CODE-0001' })).toBe(CloseCode.ACCESS_REFUSED);
        expect(await join(id, { cid: `m3-${id}-0001`, lane: 'members', code: 'CODE-0002' })).toMatchObject({ lane: 'members' });
        expect(await join(id, { cid: `c1-${id}-0001`, lane: 'crm', invite: invite(id, 'jti-0000001') })).toMatchObject({ lane: 'crm' });
        expect(await join(id, { cid: `c2-${id}-0001`, lane: 'crm', invite: invite(id, 'jti-0000001') })).toBe(CloseCode.ACCESS_REFUSED);
        for (let i = 0; i < 4; i++) expect(await join(id, { cid: `p${i}-${id}-0001` })).toMatchObject({ lane: 'public' });
      }),
    );
    for (const id of ids) await until(() => gate.ctx.events.get(id)?.state === 'open', 20_000, `${id} open`);
    for (const id of ids) await updateEvent(r.redis, r.prefix, id, { queueAll: false });
    for (const id of ids) {
      const k = eventKeys(r.prefix, id);
      await until(async () => (await r.redis.hget(k.stats, 'admittedTotal')) === '7', 20_000, `${id} all admitted`);
      await until(async () => (await r.redis.llen(k.logHash)) === (await r.redis.llen(k.log)), 10_000, `${id} sealed`);
      const raw = await r.redis.lrange(k.log, 0, -1);
      const c = new LogChecker(id);
      let h = genesisHash(id);
      raw.forEach((e, i) => {
        c.add({ i, prev: h, e });
        h = chainHash(h, e);
      });
      const s = c.finish({ evt: id, n: raw.length, hash: h, at: 0 });
      expect(s.problems).toEqual([]);
      expect(s.lanes).toEqual({ members: 2, crm: 1, public: 4 });
    }
  }, 120_000);
});
