// CHECKOUT_WORKERS=2: the supervisor forks two API processes on one port, restarts one that is
// killed, and on SIGTERM all of them shut down and the supervisor exits 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const raw = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (raw) out.push(...raw.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(f: () => T | Promise<T>, timeoutMs: number): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

let proc: ChildProcess | undefined;
afterEach(() => {
  if (proc && proc.exitCode === null) {
    for (const p of childPids(proc.pid!)) process.kill(p, 'SIGKILL');
    proc.kill('SIGKILL');
  }
});

describe('checkout supervisor (CHECKOUT_WORKERS)', () => {
  it('runs the workers on one port, restarts a dead one, and stops them all on SIGTERM', async () => {
    const port = await freePort();
    proc = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: {
        ...process.env,
        CHECKOUT_WORKERS: '2',
        CHECKOUT_HOST: '127.0.0.1',
        CHECKOUT_PORT: String(port),
        SLUICE_PREFIX: `ckcluster${process.pid}`,
        JWKS_URL: 'http://127.0.0.1:9/jwks.json',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const main = proc;
    let stderr = '';
    main.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const exited = new Promise<number | null>((r) => main.once('exit', (code) => r(code)));
    const first = await until(() => {
      const kids = childPids(main.pid!);
      return kids.length === 2 ? kids : null;
    }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; exit ${main.exitCode}; stderr: ${stderr}`);
    });
    await until(() => healthy(port), 60_000);

    process.kill(first[0]!, 'SIGKILL');
    const replaced = await until(() => {
      const kids = childPids(main.pid!);
      return kids.length === 2 && !kids.includes(first[0]!) ? kids : null;
    }, 60_000);
    expect(replaced).toContain(first[1]);
    await until(() => healthy(port), 30_000);

    main.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const p of replaced) await until(() => !alive(p), 15_000);
    expect(await healthy(port)).toBe(false);
  }, 180_000);
});
