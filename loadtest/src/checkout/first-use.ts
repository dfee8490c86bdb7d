// `npm run bench:first-use [-- --tickets N --fixed-seconds S --rate R --env K=V,... --out FILE]`:
// only the first-use checkout and its fixed-rate run from the checkout suite, with the bare
// Ed25519 verify measured in the same run as the yardstick: for A/B comparisons of the checkout
// path (run A and B back to back; the full `npm run bench` is the reference). Prints one JSON line.
import { setupEvent } from './suite.ts';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { measureVerifyCeiling } from '../baseline/verify-ceiling.ts';
import { runCannon } from '../lib/cannon.ts';
import { runOpenLoop } from '../lib/open-loop.ts';
import { sleep } from '../lib/proc.ts';
import { redisCpuSeconds, usPerOp } from '../lib/redis-cpu.ts';
import { openStores } from '../lib/stores.ts';
import { startCheckoutCluster } from './launch.ts';
import { type MintedSet, mintTickets, newKeyPair, removeMinted } from './mint.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const tickets = Number(arg('--tickets') ?? 40_000);
const fixedSeconds = Number(arg('--fixed-seconds') ?? 8);
const workers = Number(arg('--workers') ?? 2);
// Node/V8 flags for the checkout's main process (with --workers 1 the one serving), e.g. --cpu-prof.
const execArgv = (arg('--exec-argv') ?? '').split(' ').filter(Boolean);
const IDLE_S = 3;
const extraEnv = Object.fromEntries(
  (arg('--env') ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

const s = await openStores('fu');
const evt = 'ckfirst';
const sets: MintedSet[] = [];
try {
  await setupEvent(s, evt, 'first-use A/B');
  const ed = newKeyPair('EdDSA', 'bench-ed');
  const mint = async (prefix: string, count: number) => {
    const m = await mintTickets({
      evt,
      iss: 'sluice-gate',
      aud: 'sluice-checkout',
      ttlS: 3600,
      processes: 2,
      alg: 'EdDSA',
      privateJwk: ed.privateJwk,
      kid: 'bench-ed',
      placePrefix: prefix,
      count,
      record: { redisUrl: s.env.REDIS_URL!, prefix: s.prefix },
    });
    sets.push(m);
    return m;
  };
  const [warm, first] = await Promise.all([mint('w', 2000), mint('f', tickets)]);
  const server = await startCheckoutCluster(s, {
    workers,
    jwks: { keys: [ed.publicJwk] },
    env: {
      RESERVATION_TTL_S: '3600',
      CHECKOUT_MAX_INFLIGHT: '100000',
      CHECKOUT_REDIS_TIMEOUT_MS: '5000',
      ...extraEnv,
    },
    execArgv,
  });
  const load0 = loadavg()[0]!;
  const body = JSON.stringify({ sku: 'SKU-1', qty: 1 });
  const common = {
    url: `http://127.0.0.1:${server.port}`,
    method: 'POST' as const,
    path: '/v1/checkout',
    body,
    processes: 2,
    connections: 100,
  };
  let out: Record<string, unknown>;
  try {
    await runCannon({ ...common, ticketsFiles: warm.files, seconds: 0, maxSeconds: 30 });
    // The processes' own background (timers, refreshes) over IDLE_S: on a loaded machine the rate is
    // low and this share of each checkout large, so the net figure subtracts it.
    await sleep(500);
    const i0 = server.cpuSeconds();
    await sleep(IDLE_S * 1000);
    const idleCores = (server.cpuSeconds() - i0) / IDLE_S;
    const c0 = server.cpuSeconds();
    const r0 = await redisCpuSeconds(s.redis);
    const fu = await runCannon({ ...common, ticketsFiles: first.files, seconds: 0, maxSeconds: 20 });
    const accepted = fu.statusCodes['202'] ?? 0;
    const firstCpuS = server.cpuSeconds() - c0;
    const checkoutCpuUs = usPerOp(firstCpuS, accepted);
    const checkoutNetCpuUs = usPerOp(firstCpuS - idleCores * fu.seconds, accepted);
    const checkoutRedisCpuUs = usPerOp((await redisCpuSeconds(s.redis)) - r0, accepted);
    const rate = Number(arg('--rate') ?? Math.max(100, Math.floor(fu.perSecond / 2)));
    const fr = await mint('x', Math.ceil(rate * fixedSeconds));
    const c1 = server.cpuSeconds();
    const fixed = await runOpenLoop({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: '/v1/checkout',
      body,
      ratePerS: rate,
      seconds: fixedSeconds,
      connections: 100,
      processes: 2,
      ticketsFiles: fr.files,
    });
    const fixedCpuS = server.cpuSeconds() - c1;
    const fixedCpuUs = usPerOp(fixedCpuS, fixed.statusCodes['202'] ?? 0);
    const fixedNetCpuUs = usPerOp(fixedCpuS - idleCores * fixed.seconds, fixed.statusCodes['202'] ?? 0);
    out = {
      load: load0,
      perSecond: fu.perSecond,
      accepted,
      codes: fu.statusCodes,
      checkoutCpuUs,
      checkoutNetCpuUs,
      checkoutRedisCpuUs,
      idleCores: Math.round(idleCores * 1000) / 1000,
      fixedRate: rate,
      fixedCodes: fixed.statusCodes,
      fixedCpuUs,
      fixedNetCpuUs,
      p50: fixed.corrected.p50,
      p99: fixed.corrected.p99,
      p999: fixed.corrected.p999,
      max: fixed.corrected.max,
      p99Uncorrected: fixed.uncorrected.p99,
    };
  } finally {
    await server.stop();
  }
  const v = await measureVerifyCeiling(workers, 3);
  out.verifyCpuUs = v.cpuUsPerVerify;
  const ratio = (us: unknown) =>
    typeof us === 'number' && v.cpuUsPerVerify ? Math.round((us / v.cpuUsPerVerify) * 100) / 100 : null;
  out.ratio = ratio(out.checkoutCpuUs);
  out.netRatio = ratio(out.checkoutNetCpuUs);
  out.loadEnd = loadavg()[0];
  const line = JSON.stringify(out);
  console.log(line);
  const file = arg('--out');
  if (file) writeFileSync(file, `${line}\n`, { flag: 'a' });
} finally {
  for (const m of sets) removeMinted(m);
  await s.cleanup();
}
