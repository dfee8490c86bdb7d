// Child processes for the load tools: every server and load generator runs in its own process
// (run by tsx, with an IPC channel), so the bench measures processes the way they would be
// deployed and can read each one's memory from /proc.
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const SRC_DIR = fileURLToPath(new URL('../', import.meta.url));
export const REPO_DIR = fileURLToPath(new URL('../../../', import.meta.url));

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Next IPC message matching `pred`, or reject after `timeoutMs` / on exit. */
  next<T = Record<string, unknown>>(pred: (m: Record<string, unknown>) => boolean, timeoutMs: number, what?: string): Promise<T>;
  send(msg: unknown): void;
  /** The last lines the process wrote to stderr. */
  stderr(): string;
  /** Exit code or signal once the process has exited, else null. */
  exited(): number | string | null;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Fork a TypeScript module with tsx and an IPC channel.
 * @example const c = spawnTs('baseline/hold-server.ts', ['--impl', 'ws']); await c.next(m => m.t === 'ready', 10_000)
 */
export function spawnTs(
  relPath: string,
  args: string[] = [],
  opts: { env?: NodeJS.ProcessEnv; execArgv?: string[]; cwd?: string; silent?: boolean } = {},
): Child {
  const proc = fork(SRC_DIR + relPath, args, {
    execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd ?? REPO_DIR,
    stdio: opts.silent === false ? 'inherit' : ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  return wrapChild(proc, relPath);
}

/** Fork any module path (absolute) the same way, e.g. the gate's main.ts. */
export function spawnModule(
  absPath: string,
  args: string[] = [],
  opts: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): Child {
  const proc = fork(absPath, args, {
    execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
    env: { ...process.env, ...opts.env },
    cwd: REPO_DIR,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  return wrapChild(proc, absPath.replace(REPO_DIR, ''));
}

function wrapChild(proc: ChildProcess, name: string): Child {
  const stderr: string[] = [];
  proc.stderr?.on('data', (d: Buffer) => {
    stderr.push(d.toString());
    if (stderr.length > 50) stderr.shift();
  });
  const inbox: Record<string, unknown>[] = [];
  const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: unknown) => void }[] = [];
  proc.on('message', (m) => {
    const msg = m as Record<string, unknown>;
    const i = waiters.findIndex((w) => w.pred(msg));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(msg);
    else inbox.push(msg);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    pid: proc.pid ?? -1,
    next<T>(pred: (m: Record<string, unknown>) => boolean, timeoutMs: number, what = 'a message'): Promise<T> {
      const i = inbox.findIndex(pred);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as T);
      return new Promise<T>((resolve, reject) => {
        const w = { pred, resolve: (m: unknown) => done(() => resolve(m as T)) };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${name} (pid ${proc.pid}) sent no ${what} within ${timeoutMs} ms; stderr: ${stderr.join('').slice(-2000)}`))),
          timeoutMs,
        );
        const onExit = (code: number | null) =>
          done(() => reject(new Error(`${name} (pid ${proc.pid}) exited (${code}) before ${what}; stderr: ${stderr.join('').slice(-2000)}`)));
        proc.once('exit', onExit);
        function done(f: () => void) {
          clearTimeout(timer);
          proc.off('exit', onExit);
          const j = waiters.indexOf(w);
          if (j >= 0) waiters.splice(j, 1);
          f();
        }
        waiters.push(w);
      });
    },
    send(msg: unknown) {
      if (proc.connected) proc.send(msg as object);
    },
    stderr: () => stderr.join('').slice(-2000),
    exited: () => proc.exitCode ?? proc.signalCode ?? null,
    async stop(graceMs = 5000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Resident memory of a process in bytes (VmRSS), or 0 when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Direct children of a process (from /proc/<pid>/task/<tid>/children). */
export function childPids(pid: number): number[] {
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

/** Sum of VmRSS over a process tree. */
export function treeRss(pid: number): { total: number; pids: number[] } {
  const pids = [pid];
  for (let i = 0; i < pids.length && i < 1000; i++) pids.push(...childPids(pids[i]!));
  return { total: pids.reduce((s, p) => s + rssBytes(p), 0), pids };
}

/** VmRSS summed over `pids`. */
export function sumRss(pids: readonly number[]): number {
  return pids.reduce((s, p) => s + rssBytes(p), 0);
}

/**
 * Steady-state resident memory of `pids` (summed): sample every `everyMs` until the last
 * `samples` readings lie within `tolerance` of each other (allocations after a burst of
 * connections settle, GC runs), then return their median. Gives up after `maxMs` and returns the
 * median of the last readings, with `settled: false`.
 */
export async function settledRss(
  pids: readonly number[],
  o: { samples?: number; everyMs?: number; tolerance?: number; maxMs?: number } = {},
): Promise<{ bytes: number; settled: boolean; waitedMs: number }> {
  const n = o.samples ?? 5;
  // Five samples must fit well inside the limit (the smoke profile allows 1 s).
  const every = o.everyMs ?? Math.min(500, Math.max(50, (o.maxMs ?? 20_000) / 10));
  const tol = o.tolerance ?? 0.005;
  const t0 = Date.now();
  const last: number[] = [];
  for (;;) {
    last.push(sumRss(pids));
    if (last.length > n) last.shift();
    const sorted = [...last].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const waitedMs = Date.now() - t0;
    if (last.length === n && sorted[n - 1]! - sorted[0]! <= median * tol) return { bytes: median, settled: true, waitedMs };
    if (waitedMs > (o.maxMs ?? 20_000)) return { bytes: median, settled: false, waitedMs };
    await sleep(every);
  }
}

/** CPU seconds (user + system) used by a process and all its descendants still alive. */
export function treeCpuSeconds(pid: number): number {
  return treeRss(pid).pids.reduce((s, p) => s + cpuSeconds(p), 0);
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  loadAvgAtStart: number[];
  redis: string;
  postgres: string;
}

export function machineInfo(load: number[], redis: string, postgres: string): MachineInfo {
  const c = cpus();
  return {
    cores: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAvgAtStart: load.map((l) => Math.round(l * 100) / 100),
    redis,
    postgres,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `f` until it returns a truthy value or the deadline passes. */
export async function pollUntil<T>(f: () => T | Promise<T>, timeoutMs: number, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
