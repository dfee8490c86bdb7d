// One autocannon process. With a tickets file, every request carries the next ticket
// (`Authorization: Bearer …`) exactly once: `amount` is the number of tickets, so the run
// ends when they are used up (or at `maxSeconds`). Results go back unaggregated (encoded
// histograms) so the parent can merge several processes with autocannon.aggregateResult.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface CannonJob {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
  connections: number;
  /** Run time when not bounded by tickets. */
  seconds: number;
  /** Hard stop. */
  maxSeconds: number;
  ticketsFile?: string;
  /** Cycle through the tickets instead of using each once (repeat and junk runs). */
  cycle?: boolean;
  overallRate?: number;
}

process.on('message', (job: CannonJob) => {
  const tickets = job.ticketsFile ? readFileSync(job.ticketsFile, 'utf8').split('\n').filter(Boolean) : [];
  let next = 0;
  let reused = 0;
  const headers = { 'content-type': 'application/json', ...job.headers };
  const opts: autocannon.Options = {
    url: job.url,
    connections: job.connections,
    skipAggregateResult: true,
    requests: [
      {
        method: job.method,
        path: job.path,
        headers,
        ...(job.body !== undefined ? { body: job.body } : {}),
        ...(tickets.length
          ? {
              setupRequest: (req: autocannon.Request) => {
                if (next >= tickets.length) {
                  reused++;
                  next = 0;
                }
                const t = tickets[next++]!;
                return { ...req, headers: { ...headers, authorization: `Bearer ${t}` } };
              },
            }
          : {}),
      },
    ],
  };
  if (tickets.length && !job.cycle) opts.amount = tickets.length;
  else opts.duration = job.seconds;
  if (job.overallRate) opts.overallRate = job.overallRate;
  const inst = autocannon(opts, (err, result) => {
    clearTimeout(stopper);
    if (err) process.send?.({ t: 'error', message: String(err) });
    else process.send?.({ t: 'done', result, reused: job.cycle ? 0 : reused });
  });
  const stopper = setTimeout(() => inst.stop(), job.maxSeconds * 1000);
});
process.send?.({ t: 'ready' });
process.on('disconnect', () => process.exit(0));
