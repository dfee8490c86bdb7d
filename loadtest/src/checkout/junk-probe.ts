// A short A/B probe of the junk-rejection path alone (development tool, not part of the bench):
// the checkout API refusing well-formed junk (right kid, wrong signature, never issued) under wrk,
// beside raw uWS answering hello in the same run, as CPU µs per request from /proc.
//   REDIS_URL=redis://127.0.0.1:6502 node --import tsx loadtest/src/checkout/junk-probe.ts [seconds] [rounds]
// PROBE_WORKERS (default 2), PROBE_PROF=dir: --cpu-prof into dir (one worker process),
// PROBE_BASE=/path/to/other/checkout/: the same runs against that copy too, alternating (A/B);
// PROBE_ENV_A / PROBE_ENV_B: JSON of extra environment for one side (e.g. NODE_OPTIONS).
import { loadavg } from 'node:os';
import { setupEvent } from './suite.ts';
import { startServers } from '../baseline/hold.ts';
import { cpuSeconds } from '../lib/proc.ts';
import { redisCpuSeconds, usPerOp } from '../lib/redis-cpu.ts';
import { openStores } from '../lib/stores.ts';
import { runWrk } from '../lib/wrk.ts';
import { startCheckoutCluster } from './launch.ts';
import { mintTickets, newKeyPair, removeMinted } from './mint.ts';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 3);
const workers = Number(process.env.PROBE_WORKERS ?? 2);
const prof = process.env.PROBE_PROF;
const BODY = JSON.stringify({ sku: 'SKU-1', qty: 1 });

const s = await openStores('junkprobe');
const evt = 'jprobe';
await setupEvent(s, evt, 'junk probe');
const ed = newKeyPair('EdDSA', 'probe-ed');
const edJunk = newKeyPair('EdDSA', 'probe-ed');
const common = { evt, iss: 'sluice-gate', aud: 'sluice-checkout', ttlS: 3600, processes: 1 };
const recordTo = { redisUrl: s.env.REDIS_URL!, prefix: s.prefix };
const [real, junk] = await Promise.all([
  mintTickets({
    ...common,
    alg: 'EdDSA',
    privateJwk: ed.privateJwk,
    kid: 'probe-ed',
    placePrefix: 'r',
    count: 200,
    record: recordTo,
  }),
  mintTickets({
    ...common,
    alg: 'EdDSA',
    privateJwk: edJunk.privateJwk,
    kid: 'probe-ed',
    placePrefix: 'j',
    count: 2000,
  }),
]);
const hello = await startServers('uws', 1);
const envOf = (side: string): Record<string, string> => JSON.parse(process.env[`PROBE_ENV_${side}`] ?? '{}');
const start = (repoDir?: string) =>
  startCheckoutCluster(s, {
    workers,
    jwks: { keys: [ed.publicJwk] },
    env: { RESERVATION_TTL_S: '3600', CHECKOUT_MAX_INFLIGHT: '100000', ...envOf(repoDir ? 'A' : 'B') },
    ...(prof ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${prof}`] } : {}),
    ...(repoDir ? { repoDir } : {}),
  });
const servers = {
  B: await start(),
  ...(process.env.PROBE_BASE ? { A: await start(process.env.PROBE_BASE) } : {}),
};
try {
  const w = { method: 'POST' as const, path: '/v1/checkout', body: BODY, connections: 100, threads: 2 };
  for (const server of Object.values(servers)) {
    const url = `http://127.0.0.1:${server.port}`;
    await runWrk({ ...w, url, seconds: 2, ticketsFile: real.files[0] }); // warm-up: the event is watched, the JIT warm
    await runWrk({ ...w, url, seconds: 2, ticketsFile: junk.files[0] });
  }
  for (let i = 0; i < rounds; i++) {
    const out: Record<string, unknown> = { round: i, load: loadavg()[0]!.toFixed(1) };
    const order = Object.entries(servers);
    if (i % 2 === 1) order.reverse(); // neither side always runs first
    for (const [name, server] of order) {
      const c0 = server.cpuSeconds();
      const r0 = await redisCpuSeconds(s.redis);
      const j = await runWrk({
        ...w,
        url: `http://127.0.0.1:${server.port}`,
        seconds,
        ticketsFile: junk.files[0],
      });
      out[name] = {
        us: usPerOp(server.cpuSeconds() - c0, j.requests),
        redisUs: usPerOp((await redisCpuSeconds(s.redis)) - r0, j.requests),
        perS: j.perSecond,
        non2xx: j.non2xx === j.requests ? 'all' : j.non2xx,
      };
    }
    const h0 = cpuSeconds(hello.servers[0]!.pid);
    const h = await runWrk({
      url: `http://127.0.0.1:${hello.ports[0]}`,
      method: 'GET',
      path: '/hello',
      seconds,
      connections: 100,
      threads: 2,
    });
    out.helloUs = usPerOp(cpuSeconds(hello.servers[0]!.pid) - h0, h.requests);
    console.log(JSON.stringify(out));
  }
} finally {
  for (const server of Object.values(servers)) await server.stop();
  await Promise.all(hello.servers.map((x) => x.stop()));
  removeMinted(real);
  removeMinted(junk);
  await s.cleanup();
}
