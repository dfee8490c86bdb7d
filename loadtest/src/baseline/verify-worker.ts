// One process of the bare Ed25519 verification ceiling: node:crypto verify of a ticket-sized
// signing input in a tight loop for the given seconds. No JWT parsing, no I/O: the limit that a
// checkout process doing one signature check per first-use ticket cannot exceed.
import { generateKeyPairSync, sign, verify } from 'node:crypto';

const seconds = Number(process.argv[2] ?? 3);
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const header = Buffer.from(
  JSON.stringify({ alg: 'EdDSA', kid: 'k-2025-01-01-abcdef12', typ: 'JWT' }),
).toString('base64url');
const payload = Buffer.from(
  JSON.stringify({
    evt: 'bench',
    iss: 'sluice-gate',
    aud: 'sluice-checkout',
    sub: 'p0123456789abcdef',
    jti: 'p0123456789abcdef',
    iat: 1_700_000_000,
    nbf: 1_700_000_000,
    exp: 1_700_000_600,
  }),
).toString('base64url');
const input = Buffer.from(`${header}.${payload}`);
const sig = sign(null, input, privateKey);

process.on('message', (m: { t?: string }) => {
  if (m.t !== 'go') return;
  let n = 0;
  let ok = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  let now = t0;
  // Bounded: stops at the deadline, checked every 200 verifications.
  while (now < end) {
    for (let i = 0; i < 200; i++) if (verify(null, input, publicKey, sig)) ok++;
    n += 200;
    now = process.hrtime.bigint();
  }
  const elapsedS = Number(now - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  process.send?.({ t: 'done', n, ok, elapsedS, cpuS: (cpu.user + cpu.system) / 1e6 });
});
process.send?.({ t: 'ready' });
process.on('disconnect', () => process.exit(0));
