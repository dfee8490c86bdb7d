// Microbenchmark of the door's judgement of junk (right kid, wrong signature, never issued):
// process CPU per judge() call and per step, in one process with no I/O, so a change to the
// door can be compared on a shared machine where whole-server runs vary by ±20%.
//   node --import tsx loadtest/src/checkout/door-micro.ts
import { generateKeyPairSync, hash, sign } from 'node:crypto';
import { buildClaims, decodeUnverified, TicketVerifier } from '@sluice/shared';
import { judge } from '../../../checkout/src/purchase/door.ts';
import { EventView } from '../../../checkout/src/purchase/issued.ts';

const kp = generateKeyPairSync('ed25519');
const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' })).toString('base64url');
const at = Date.now() - 60_000;
const tickets: string[] = [];
for (let i = 0; i < 2000; i++) {
  const claims = buildClaims({
    placeId: `j_${i.toString(36)}`,
    evt: 'ev1',
    admittedAtMs: at,
    ttlS: 3600,
    nowMs: at,
    iss: 'gate',
    aud: 'checkout',
  });
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  tickets.push(`Bearer ${input}.${sign(null, Buffer.from(input), kp.privateKey).toString('base64url')}`);
}
const keys = { get: async () => undefined, knows: (kid: string) => kid === 'k1' };
const verifier = new TicketVerifier({ keys: keys as never, issuer: 'gate', audience: 'checkout' });
const view = new EventView();
view.synced = true;
const issued = { isEvent: () => true, view: () => view, barrier: () => {}, refreshEvents: () => {} };
const door = { verifier, issued, now: Date.now } as never;

let sink = 0;
function measure(name: string, f: (authorization: string) => unknown): void {
  for (let i = 0; i < 200_000; i++) if (f(tickets[i % tickets.length]!)) sink++;
  const n = 300_000;
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) if (f(tickets[i % tickets.length]!)) sink++;
  const d = process.cpuUsage(t0);
  console.log(`${name.padEnd(18)} ${((d.user + d.system) / n).toFixed(2)} µs/op`);
}
const token = (a: string) => a.slice(7);
for (let round = 0; round < 3; round++) measure('judge', (a) => judge(door, a));
measure('decodeUnverified', (a) => decodeUnverified(token(a)));
measure('inspect', (a) => verifier.inspect(token(a)));
measure('sha256 base64url', (a) => hash('sha256', token(a), 'base64url'));
measure('sha256 buffer', (a) => hash('sha256', token(a), 'buffer'));
if (sink === 0) console.log('(nothing judged)');
