// `npm run crowd -- --event demo --shoppers 2000`: a crowd against a running stack (`npm start`),
// for watching the ops console move. Prints progress every 5 s and a summary at the end.
//   --gate URL          the gate (default $GATE_URL or http://127.0.0.1:8080)
//   --checkout URL      the checkout API (default $CHECKOUT_URL or http://127.0.0.1:8081)
//   --event ID          default demo
//   --shoppers N        default 2000 (at most 18000)
//   --rate N            arrivals per second, default 50
//   --buy-share X       share of admitted shoppers who buy, default 1
//   --leave-share X     share of waiting shoppers who give up and leave, default 0.1
//   --max-seconds N     hard stop, default 300
//   --per-address N     shoppers per loopback source address, default 4
//   --pow-procs N       helper processes solving proof of work, default 2
//   --json              print the summary as JSON (for scripts)
import { parseArgs } from 'node:util';
import { runCrowd } from './crowd.ts';
import { describeCrowd } from './summary.ts';

const { values: a } = parseArgs({
  options: {
    gate: { type: 'string' },
    checkout: { type: 'string' },
    event: { type: 'string', default: 'demo' },
    shoppers: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '50' },
    'buy-share': { type: 'string', default: '1' },
    'leave-share': { type: 'string', default: '0.1' },
    'max-seconds': { type: 'string', default: '300' },
    'per-address': { type: 'string', default: '4' },
    'pow-procs': { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});

function num(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`crowd: --${name} must be a number from ${min} to ${max}\n`);
    process.exit(2);
  }
  return n;
}

const trim = (u: string) => u.replace(/\/+$/, '');
const summary = await runCrowd({
  gateUrl: trim(a.gate ?? process.env.GATE_URL ?? 'http://127.0.0.1:8080'),
  checkoutUrl: trim(a.checkout ?? process.env.CHECKOUT_URL ?? 'http://127.0.0.1:8081'),
  event: a.event!,
  shoppers: Math.floor(num('shoppers', a.shoppers, 1, 18_000)),
  joinRatePerS: num('rate', a.rate, 0.1, 5000),
  buyShare: num('buy-share', a['buy-share'], 0, 1),
  leaveShare: num('leave-share', a['leave-share'], 0, 1),
  maxSeconds: num('max-seconds', a['max-seconds'], 1, 3600),
  shoppersPerAddress: Math.floor(num('per-address', a['per-address'], 1, 1000)),
  powProcs: Math.floor(num('pow-procs', a['pow-procs'], 1, 16)),
  progress: a.json ? undefined : (line) => process.stdout.write(`${line}\n`),
}).catch((err: unknown) => {
  process.stderr.write(`crowd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
if (a.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
else process.stdout.write(`${describeCrowd(summary)}\n`);
process.exit(0);
