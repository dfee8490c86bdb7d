// Child processes of `npm start`: spawned in their own process group (so Ctrl-C reaches only the
// launcher, which then stops them in order), logs to .data/logs/<name>.log.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Service {
  name: string;
  child: ChildProcess;
  logFile: string;
}

export function startService(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  opts: { root: string; logDir: string },
): Service {
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = join(opts.logDir, `${name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: opts.root,
    // Exactly what the launcher decided (launcher/env.ts): no inherited secrets.
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return { name, child, logFile };
}

/** SIGTERM and wait; SIGKILL the whole group after `timeoutMs`. */
export function stopService(svc: Service, timeoutMs = 15_000): Promise<void> {
  const { child } = svc;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // ESRCH: the group is gone already, which is what we wanted.
      }
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      child.kill('SIGTERM');
    } catch {
      resolve();
    }
  });
}

/** Last resort when the launcher exits unexpectedly: kill every child group now. */
export function killAllNow(services: readonly Service[]): void {
  for (const s of services) {
    if (s.child.exitCode === null && s.child.pid) {
      try {
        process.kill(-s.child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is gone already.
      }
    }
  }
}

/** Poll `url` until it answers 200 or `timeoutMs` passes. */
export async function waitReady(url: string, svc: Service, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (svc.child.exitCode !== null) {
      throw new Error(`${svc.name} exited with code ${svc.child.exitCode}; see ${svc.logFile}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // Not listening yet: that is what this loop waits out.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${svc.name} not ready at ${url} after ${timeoutMs / 1000} s; see ${svc.logFile}`);
}
