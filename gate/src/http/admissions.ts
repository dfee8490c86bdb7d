// The public admission log of an event (see shared/src/fairness): its signed head, the sealed
// entries as NDJSON pages, and the entry that admitted (or skipped) one ticket number, so a
// shopper can check their own number. Public and the same for everyone: any origin may read it,
// full pages never change (cacheable for a year), an unknown event costs no Redis call, and each
// address may read at most GATE_PUBLIC_RATE_PER_IP times per 10 s (then 429 without Redis work).
import { decodeUnverified, eventKeys, genesisHash, isEventId, LANE_ID_PATTERN, type LogEntry, type LogHead } from '@sluice/shared';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { GateContext } from '../context.ts';
import { remoteIp } from '../queue/ws.ts';
import { handleAsync, type Headers, sendError } from './respond.ts';

export const LOG_PAGE_MAX = 1000;
const LOG_PAGE_DEFAULT = 500;
/** Number look-ups in flight per process (each is ~log2(entries) Redis reads). */
const MAX_SEARCHES = 16;

const PUBLIC: Headers = { 'access-control-allow-origin': '*', vary: 'Origin' };
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The event of a known id, within the per-address limit of public reads; null when answered. */
function eventOf(g: GateContext, res: HttpResponse, req: HttpRequest): string | null {
  const evt = req.getParameter(0) ?? '';
  if (!isEventId(evt) || !g.events.get(evt)) {
    sendError(res, 'UNKNOWN_EVENT', PUBLIC);
    return null;
  }
  // Like /place, /prequeue and /challenge: any `from` is a new cacheable URL, so without this
  // one address could make Redis read two pages of 1,000 entries per request, or hold every
  // number search of the process.
  if (!g.publicLimiter.take(remoteIp(g, res, req), g.now())) {
    sendError(res, 'RATE_LIMITED', { ...PUBLIC, 'retry-after': '10' });
    return null;
  }
  return evt;
}

/** A non-negative integer query parameter, or `dflt` when absent; null when malformed. */
function intParam(q: string, name: string, dflt: number): number | null {
  const v = new URLSearchParams(q).get(name);
  if (v === null) return dflt;
  return /^\d{1,15}$/.test(v) ? Number(v) : null;
}

export function admissionLogRoutes(g: GateContext, app: TemplatedApp): void {
  const base = '/v1/events/:id/admissions';
  let searches = 0;
  const resigned: Resigned = new Map();

  app.get(`${base}/head`, (res, req) => {
    const evt = eventOf(g, res, req);
    if (!evt) return;
    handleAsync(
      res,
      g.log,
      async (reply) => {
        const head = await g.redis.get(eventKeys(g.prefix, evt).logHead);
        const body = head ? await currentHead(g, resigned, evt, head) : JSON.stringify({ evt, n: 0, hash: genesisHash(evt), at: null, jws: null });
        reply(200, body, {
          ...PUBLIC,
          'content-type': 'application/json',
          'cache-control': 'public, max-age=1',
        });
      },
      PUBLIC,
    );
  });

  app.get(base, (res, req) => {
    const evt = eventOf(g, res, req);
    if (!evt) return;
    const q = req.getQuery() ?? '';
    const from = intParam(q, 'from', 0);
    const limit = intParam(q, 'limit', LOG_PAGE_DEFAULT);
    if (from === null || limit === null || limit < 1 || limit > LOG_PAGE_MAX) {
      sendError(res, 'BAD_REQUEST', PUBLIC, `from must be an entry index and limit 1 to ${LOG_PAGE_MAX}`);
      return;
    }
    handleAsync(
      res,
      g.log,
      async (reply) => {
        const k = eventKeys(g.prefix, evt);
        const sealed = await g.redis.llen(k.logHash);
        const end = Math.min(from + limit, sealed);
        let body = '';
        if (end > from) {
          const [lines, hashes] = await Promise.all([
            g.redis.lrange(k.log, from, end - 1),
            from === 0 ? g.redis.lrange(k.logHash, 0, end - 2) : g.redis.lrange(k.logHash, from - 1, end - 2),
          ]);
          const prevs = from === 0 ? [genesisHash(evt), ...hashes] : hashes;
          body = lines.map((e, j) => `${JSON.stringify({ i: from + j, prev: prevs[j], e })}\n`).join('');
        }
        reply(200, body, {
          ...PUBLIC,
          'content-type': 'application/x-ndjson',
          'cache-control': end - from === limit ? IMMUTABLE : 'public, max-age=1',
        });
      },
      PUBLIC,
    );
  });

  app.get(`${base}/number/:n`, (res, req) => {
    const evt = eventOf(g, res, req);
    if (!evt) return;
    const raw = req.getParameter(1) ?? '';
    // Events with lanes: numbers count within a lane (`?lane=members`).
    const lane = req.getQuery('lane') ?? '';
    if (lane !== '' && !LANE_ID_PATTERN.test(lane)) {
      sendError(res, 'BAD_REQUEST', PUBLIC, 'lane must be a lane id');
      return;
    }
    // Ticket numbers start at 1: 0 would find the first entry and be answered, for a year,
    // as 'unaccounted' (which the log never has for a real number).
    if (!/^[1-9]\d{0,14}$/.test(raw)) {
      sendError(res, 'BAD_REQUEST', PUBLIC, 'n must be a ticket number (1 or more)');
      return;
    }
    if (searches >= MAX_SEARCHES) {
      sendError(res, 'RATE_LIMITED', { ...PUBLIC, 'retry-after': '1' });
      return;
    }
    searches++;
    handleAsync(
      res,
      g.log,
      async (reply) => {
        try {
          const found = await findNumber(g, evt, Number(raw), lane);
          const headers = { ...PUBLIC, 'content-type': 'application/json' };
          if (!found)
            reply(200, JSON.stringify({ n: Number(raw), status: 'not-reached' }), {
              ...headers,
              'cache-control': 'public, max-age=1',
            });
          else reply(200, JSON.stringify(found), { ...headers, 'cache-control': IMMUTABLE });
        } finally {
          searches--;
        }
      },
      PUBLIC,
    );
  });
}

/** Heads re-signed with the current key, per known event: the stored head they replace and the key. */
type Resigned = Map<string, { stored: string; kid: string; body: string }>;

/**
 * The stored head, or the same claims signed with the current key when another key signed it:
 * a sale whose log no longer grows is never sealed again, and once its key is retired or
 * withdrawn from the JWKS its head would not verify any more. The claims (evt, n, hash) are the
 * sealed log's; only the signature is renewed.
 */
async function currentHead(g: GateContext, resigned: Resigned, evt: string, stored: string): Promise<string> {
  const kid = g.issuer.currentKid();
  const head = JSON.parse(stored) as LogHead & { jws: string };
  if (!kid || decodeUnverified(head.jws)?.header.kid === kid) return stored;
  const hit = resigned.get(evt);
  if (hit && hit.stored === stored && hit.kid === kid) return hit.body;
  const claims: LogHead = { evt: head.evt, n: head.n, hash: head.hash, at: head.at };
  const body = JSON.stringify({ ...claims, jws: await g.issuer.signLogHead(claims) });
  if (resigned.size > g.events.events.size + 16) resigned.clear(); // bounded by the events this process knows
  resigned.set(evt, { stored, kid, body });
  return body;
}

/**
 * Binary search of the sealed entries by high mark: the first entry whose `hi` reaches `n` (of
 * lane `lane` for an event with lanes: each lane's high mark only grows too).
 */
async function findNumber(g: GateContext, evt: string, n: number, lane: string) {
  const k = eventKeys(g.prefix, evt);
  const at = async (i: number): Promise<LogEntry> =>
    JSON.parse((await g.redis.lindex(k.log, i)) ?? 'null') as LogEntry;
  const part = (e: LogEntry) => (lane === '' ? e : (e.lanes?.find((l) => l.id === lane) ?? { hi: 0, adm: [], gone: [] }));
  let lo = 0;
  let hi = (await g.redis.llen(k.logHash)) - 1;
  if (hi < 0 || part(await at(hi)).hi < n) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (part(await at(mid)).hi >= n) hi = mid;
    else lo = mid + 1;
  }
  const e = await at(lo);
  const p = part(e);
  const inRange = (rs: [number, number][]) => rs.some(([a, b]) => a <= n && n <= b);
  const status = inRange(p.adm) ? 'admitted' : inRange(p.gone) ? 'gone' : 'unaccounted';
  return { n, ...(lane ? { lane } : {}), status, index: lo, tick: e.n, at: e.at };
}
