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

/**
 * Connections waiting in the accept queue of each listening socket on `port` (IPv4, from
 * /proc/net/tcp: rx_queue of a LISTEN socket), one entry per listener (SO_REUSEPORT: one per gate
 * process). Unlike ListenOverflows this is this server's own queue: a listener at its backlog
 * (512 under uWS) is dropping connections. Empty where procfs is not readable.
 */
export function acceptQueues(port: number): number[] {
  try {
    const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    const out: number[] = [];
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[1]?.endsWith(hexPort)) out.push(Number.parseInt(f[4]!.split(':')[1]!, 16));
    }
    return out;
  } catch (err) {
    void err; // not Linux or no procfs: no reading
    return [];
  }
}
