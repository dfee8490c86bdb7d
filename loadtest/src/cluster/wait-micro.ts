// The replica round trip alone: HINCRBY on a cluster master, serially, with and without
// `WAIT 1 250` in the same pipeline (what checkout adds before a 202). Needs the local cluster
// (scripts/redis-cluster.sh start; seed node 127.0.0.1:7101 or TEST_REDIS_CLUSTER_NODES).
//   node --import tsx loadtest/src/cluster/wait-micro.ts
import { SingleRedis } from '@sluice/shared';
const [host = '127.0.0.1', seedPort = '7101'] = (process.env.TEST_REDIS_CLUSTER_NODES?.split(',')[0] ?? '').split(':').filter(Boolean);
const r = new SingleRedis(Number(seedPort), host);
const key = 'b12waitmicro:{x}';
const slot = Number(await r.cluster('KEYSLOT', key));
const slots = (await r.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
const port = slots.find(([a, b]) => slot >= a && slot <= b)![2][1];
const m = new SingleRedis(port, host);
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(p / 100 * s.length)]!.toFixed(3); };
for (const round of [1, 2]) {
  for (const wait of [false, true]) {
    const t: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const t0 = performance.now();
      const p = m.pipeline().hincrby(key, 'n', 1);
      if (wait) p.wait(1, 250);
      const res = await p.exec();
      if (wait && Number(res![1]![1]) < 1) throw new Error('no replica ack');
      t.push(performance.now() - t0);
    }
    console.log(`round ${round} ${wait ? 'HINCRBY + WAIT 1' : 'HINCRBY alone   '}: p50 ${pct(t, 50)} ms  p90 ${pct(t, 90)} ms  p99 ${pct(t, 99)} ms`);
  }
}
await m.del(key);
m.disconnect(); r.disconnect();
