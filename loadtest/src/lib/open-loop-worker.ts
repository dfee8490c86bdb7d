// Fixed-rate (open-loop) HTTP/1.1 load, wrk2 style: request i is due at t0 + i / rate whatever
// happened before, and its latency counts from that due time, so a server stall shows up in
// every request it delayed (coordinated-omission correction). The latency from the actual send
// is kept too, to show the size of the correction.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Hist } from './hist.ts';

export interface OpenLoopJob {
  host: string;
  port: number;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  ratePerS: number;
  seconds: number;
  connections: number;
  ticketsFile?: string;
}

interface Conn {
  sock: net.Socket;
  busy: boolean;
  dueAt: number;
  sentAt: number;
  buf: Buffer | null;
}

process.on('message', (job: OpenLoopJob) => {
  const tickets = job.ticketsFile ? readFileSync(job.ticketsFile, 'utf8').split('\n').filter(Boolean) : [];
  const corrected = new Hist();
  const uncorrected = new Hist();
  const status: Record<string, number> = {};
  let errors = 0;
  let nextTicket = 0;
  let reused = 0;
  let sent = 0;
  let done = 0;
  const total = Math.round(job.ratePerS * job.seconds);
  const queue: number[] = [];
  const conns: Conn[] = [];
  const body = job.body ?? '';

  const request = (): string => {
    let auth = '';
    if (tickets.length) {
      if (nextTicket >= tickets.length) {
        nextTicket = 0;
        reused++;
      }
      auth = `Authorization: Bearer ${tickets[nextTicket++]}\r\n`;
    }
    return (
      `${job.method} ${job.path} HTTP/1.1\r\nHost: ${job.host}:${job.port}\r\n${auth}` +
      (job.method === 'POST' ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : '') +
      `\r\n${body}`
    );
  };

  const dispatch = (): void => {
    for (const c of conns) {
      if (queue.length === 0) return;
      if (c.busy || c.sock.destroyed) continue;
      c.busy = true;
      c.dueAt = queue.shift()!;
      c.sentAt = performance.now();
      sent++;
      c.sock.write(request());
    }
  };

  const onData = (c: Conn, chunk: Buffer): void => {
    const buf = c.buf ? Buffer.concat([c.buf, chunk]) : chunk;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) {
      c.buf = buf;
      return;
    }
    const head = buf.subarray(0, end).toString('latin1');
    const m = /content-length:\s*(\d+)/i.exec(head);
    const len = m ? Number(m[1]) : 0;
    if (buf.length < end + 4 + len) {
      c.buf = buf;
      return;
    }
    c.buf = buf.length > end + 4 + len ? Buffer.from(buf.subarray(end + 4 + len)) : null;
    const now = performance.now();
    const code = head.slice(9, 12);
    status[code] = (status[code] ?? 0) + 1;
    corrected.record(now - c.dueAt);
    uncorrected.record(now - c.sentAt);
    c.busy = false;
    done++;
    dispatch();
  };

  let opened = 0;
  for (let i = 0; i < job.connections; i++) {
    const c: Conn = { sock: net.connect({ host: job.host, port: job.port, noDelay: true }), busy: true, dueAt: 0, sentAt: 0, buf: null };
    c.sock.on('connect', () => {
      c.busy = false;
      if (++opened === job.connections) start();
    });
    c.sock.on('data', (d: Buffer) => onData(c, d));
    c.sock.on('error', () => {
      errors++;
    });
    c.sock.on('close', () => {
      if (c.busy) errors++;
      c.busy = true;
    });
    conns.push(c);
  }

  function start(): void {
    const t0 = performance.now();
    let scheduled = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) / 1000) * job.ratePerS) + 1);
      for (; scheduled < due; scheduled++) queue.push(t0 + (scheduled * 1000) / job.ratePerS);
      dispatch();
      // Stop when all were answered, or 10 s after the last was due (bounded).
      if ((scheduled >= total && done >= total) || now - t0 > job.seconds * 1000 + 10_000) {
        clearInterval(timer);
        for (const c of conns) c.sock.destroy();
        process.send?.({
          t: 'done',
          scheduled,
          sent,
          done,
          errors,
          reused,
          seconds: (now - t0) / 1000,
          status,
          corrected: corrected.toJSON(),
          uncorrected: uncorrected.toJSON(),
        });
      }
    }, 1);
  }
});
process.send?.({ t: 'ready' });
process.on('disconnect', () => process.exit(0));
