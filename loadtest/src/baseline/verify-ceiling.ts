// The bare Ed25519 verification ceiling across `processes` processes started together.
import { spawnTs } from '../lib/proc.ts';
import { usPerOp } from '../lib/redis-cpu.ts';

export interface VerifyCeiling {
  processes: number;
  seconds: number;
  perSecond: number;
  perProcess: number[];
  /** CPU (user + system) per verification, µs: the floor a first-use checkout is compared with. */
  cpuUsPerVerify: number | null;
}

export async function measureVerifyCeiling(processes: number, seconds: number): Promise<VerifyCeiling> {
  const kids = Array.from({ length: processes }, () => spawnTs('baseline/verify-worker.ts', [String(seconds)]));
  try {
    await Promise.all(kids.map((k) => k.next((m) => m.t === 'ready', 120_000, 'ready message')));
    for (const k of kids) k.send({ t: 'go' });
    const done = await Promise.all(
      kids.map((k) => k.next<{ n: number; ok: number; elapsedS: number; cpuS: number }>((m) => m.t === 'done', seconds * 1000 + 30_000)),
    );
    if (done.some((d) => d.ok !== d.n)) throw new Error('a signature failed to verify');
    const perProcess = done.map((d) => Math.round(d.n / d.elapsedS));
    const cpuS = done.reduce((a, d) => a + d.cpuS, 0);
    const n = done.reduce((a, d) => a + d.n, 0);
    return { processes, seconds, perSecond: perProcess.reduce((a, b) => a + b, 0), perProcess, cpuUsPerVerify: usPerOp(cpuS, n) };
  } finally {
    await Promise.all(kids.map((k) => k.stop()));
  }
}
