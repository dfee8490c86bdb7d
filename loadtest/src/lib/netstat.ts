// Kernel TCP counters (what `nstat -az TcpExtListenOverflows` shows): connections the kernel
// dropped because a listening socket's accept queue was full. Machine-wide: on a shared machine
// the delta over a phase includes other programs' listeners (reported as such).
import { readFileSync } from 'node:fs';

/** TcpExt ListenOverflows since boot, or null where /proc/net/netstat is not readable. */
export function listenOverflows(): number | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[i]!.split(/\s+/);
    const values = lines[i + 1]!.split(/\s+/);
    const j = names.indexOf('ListenOverflows');
    return j > 0 ? Number(values[j]) : null;
  } catch (err) {
    void err; // not Linux or no procfs: the figure is reported as not measured
    return null;
  }
}
