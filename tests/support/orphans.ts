// Processes left behind by a test that launched `npm start`: the launcher puts each service in
// its own process group (so Ctrl-C reaches only the launcher), so when the launcher itself is
// killed, or dies, its services live on. They are found by their environment: every service of
// one launch carries the test's unique SLUICE_PREFIX, so nothing of another test or helper is hit.
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of live processes whose environment holds `name=value` exactly (Linux /proc). */
export function pidsWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // gone meanwhile, or not ours to read: neither is one of our children
    }
    if (environ.split('\0').includes(wanted)) pids.push(pid);
  }
  return pids;
}

/** SIGKILL every process launched with `SLUICE_PREFIX=prefix`; returns how many there were. */
export function killLaunchedWith(prefix: string): number {
  const pids = pidsWithEnv('SLUICE_PREFIX', prefix);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ESRCH: it exited between the scan and the kill, which is what we wanted.
    }
  }
  return pids.length;
}
