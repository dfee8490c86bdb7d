// Check an event's public admission log from the outside, with nothing but the gate's public
// HTTP endpoints (no Redis): the signed head against the JWKS, the hash chain over every entry,
// that ticket numbers were admitted in increasing order with every skipped number recorded as
// gone, and that each tick's count kept to the rate, burst and caps in force.
//
//   npm run verify:admissions -- --event drop1 --gate https://gate.example
//
// Exit code 0 when every rule holds, 1 with the problems listed otherwise, 2 on bad usage.
import type { JSONWebKeySet } from 'jose';
import { type LogHead, type LogLine, LogChecker, type PublicEventInfo, verifyLogHead } from '@sluice/shared';

const PAGE = 1000;

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** GET `url`, waiting out 429s (the gate limits public reads per address) a bounded number of times. */
async function get(url: string): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (res.status !== 429 || attempt >= 30) {
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return res;
    }
    await res.arrayBuffer(); // drain the refusal before waiting
    const wait = Math.min(30, Math.max(1, Number(res.headers.get('retry-after')) || 1));
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
}

async function getJson<T>(url: string): Promise<T> {
  return (await (await get(url)).json()) as T;
}

export async function verifyAdmissions(gate: string, evt: string, out: (s: string) => void): Promise<boolean> {
  const base = `${gate.replace(/\/$/, '')}/v1/events/${encodeURIComponent(evt)}/admissions`;
  const jwks = await getJson<JSONWebKeySet>(`${gate.replace(/\/$/, '')}/.well-known/jwks.json`);
  const signed = await getJson<{ jws: string | null; n: number }>(`${base}/head`);
  if (!signed.jws) {
    // The admitter's first tick in these states always logs an entry (the state changed), sealed
    // at once: such a sale without a head is a log withheld, not an empty one. (A sale closed
    // before it started may honestly have none.)
    const info = await getJson<PublicEventInfo>(`${gate.replace(/\/$/, '')}/v1/events/${encodeURIComponent(evt)}`);
    if (['open', 'paused', 'soldout'].includes(info.state)) {
      out(`${evt}: the sale is ${info.state} but the gate serves no admission log (if it started a moment ago, run again)`);
      return false;
    }
    out(`${evt}: no admission log yet (the sale has not started)`);
    return signed.n === 0;
  }
  let head: LogHead;
  try {
    head = await verifyLogHead(signed.jws, jwks);
  } catch (err) {
    out(`${evt}: the log head's signature does not verify against the gate's JWKS (${(err as Error).message})`);
    return false;
  }
  const checker = new LogChecker(evt);
  for (let from = 0; from < head.n; from += PAGE) {
    const res = await get(`${base}?from=${from}&limit=${PAGE}`);
    for (const line of (await res.text()).split('\n')) {
      if (line === '') continue;
      const l = JSON.parse(line) as LogLine;
      if (l.i >= head.n) break; // sealed after the head we verified: the next run checks it
      checker.add(l);
    }
  }
  const s = checker.finish(head);
  out(
    `${evt}: ${s.entries} ticks, ${s.admitted} admitted, ${s.gone} left the line, numbers up to ${s.hi}, ${s.back} slots handed back; head signed at ${new Date(head.at).toISOString()}`,
  );
  const lanes = Object.entries(s.lanes);
  // Events with lanes: numbers count within each lane, each checked in order on its own.
  if (lanes.length) out(`  lanes: ${lanes.map(([id, hi]) => `${id} up to ${hi}`).join(', ')}`);
  for (const p of s.problems) out(`  PROBLEM ${p}`);
  out(s.problems.length === 0 ? 'OK: the log is intact and every rule holds' : `FAILED: ${s.problems.length} problem(s)`);
  return s.problems.length === 0;
}

async function main(argv: string[]): Promise<number> {
  const evt = arg(argv, 'event');
  const gate = arg(argv, 'gate');
  if (!evt || !gate) {
    process.stderr.write('usage: verify-admissions --event <id> --gate <base url>\n');
    return 2;
  }
  return (await verifyAdmissions(gate, evt, (s) => process.stdout.write(`${s}\n`))) ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
