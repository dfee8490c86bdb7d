// Reads one event's live numbers from Redis in one pipeline: the event hash, the admitter's and
// worker's `stats`, line sizes, active shoppers, stock, and each gate's applied version.
import {
  eventKeys,
  type EventConfig,
  type EventState,
  globalKeys,
  joinsPerSecond,
  powDifficultyAt,
  type Redis,
} from '@sluice/shared';
import { type AutopilotRecord, type Counters, type GateView, type LiveSample, perSecond } from './sample.ts';

/** A gate that has not reported for this long is shown as stale and not counted. */
export const GATE_FRESH_MS = 5000;

interface GateReport {
  versions?: Record<string, number>;
  sockets?: number;
  at?: number;
}

export function parseGates(h: Record<string, string>, evt: string, now: number): GateView[] {
  const out: GateView[] = [];
  for (const [id, raw] of Object.entries(h)) {
    let r: GateReport;
    try {
      r = JSON.parse(raw) as GateReport;
    } catch {
      continue;
    }
    const at = Number(r.at ?? 0);
    out.push({
      id,
      sockets: Number(r.sockets ?? 0),
      applied: typeof r.versions?.[evt] === 'number' ? r.versions[evt] : null,
      keys: typeof r.versions?.['*'] === 'number' ? r.versions['*'] : null,
      at,
      fresh: now - at <= GATE_FRESH_MS,
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

const n = (v: string | undefined): number => (v === undefined || v === '' ? 0 : Number(v));

/** Sample `evt` at `now`; `prev` gives the per-second rates. Returns null if the event is gone. */
export async function sampleEvent(
  redis: Redis,
  prefix: string,
  evt: string,
  now: number,
  prev: Counters | undefined,
): Promise<{ sample: LiveSample; counters: Counters } | null> {
  const k = eventKeys(prefix, evt);
  const g = globalKeys(prefix);
  // The event's keys in one pipeline (one slot); the global hashes beside it, in parallel: on a
  // cluster they live on other slots, and a pipeline must keep to one.
  const [res, gatesRaw, keysRaw] = await Promise.all([
    redis
      .pipeline()
      .hgetall(k.event)
      .hgetall(k.stats)
      .hgetall(k.stock)
      .zcard(k.queue)
      .zcard(k.prequeue)
      .zcard(k.admitted)
      .get(k.seq)
      .hget(k.autopilot, 'last')
      .get(k.logHead)
      .hmget(k.joinsByIp, 'w', 'n', 'pn')
      .exec(),
    redis.hgetall(g.gates),
    redis.hgetall(g.keys),
  ]);
  if (!res) return null;
  for (const [err] of res) if (err) throw err;
  const own = res.map(([, r]) => r);
  // Same positions as one pipeline would give: the event's 7 reads, gates, keys, autopilot.
  const v = [...own.slice(0, 7), gatesRaw, keysRaw, own[7]];
  const ev = v[0] as Record<string, string>;
  if (!ev.config) return null;
  const stats = v[1] as Record<string, string>;
  const stockRaw = v[2] as Record<string, string>;
  const config = JSON.parse(ev.config) as EventConfig;
  const version = n(ev.version);
  const gates = parseGates(v[7] as Record<string, string>, evt, now);
  const fresh = gates.filter((x) => x.fresh);
  const keysAt = keyringStamp(v[8] as Record<string, string>);
  const counters: Counters = {
    t: now,
    tail: Math.max(n(stats.tail), n((v[6] as string | null) ?? undefined)),
    prequeue: v[4] as number,
    joins: stats.joins === undefined ? null : n(stats.joins),
    admittedTotal: n(stats.admittedTotal),
    ordersConfirmed: n(stats.ordersConfirmed),
    ordersFailed: n(stats.ordersFailed),
  };
  const stock: Record<string, number> = {};
  for (const [sku, left] of Object.entries(stockRaw)) stock[sku] = Number(left);
  const sample: LiveSample = {
    t: now,
    evt,
    name: config.name,
    state: ev.state as EventState,
    version,
    cfg: {
      rate: config.rate,
      burst: config.burst,
      maxActive: config.maxActive,
      overbook: config.overbook,
      queueAll: config.queueAll,
      startAt: config.startAt,
      prequeueAt: config.prequeueAt,
      ticketTtlS: config.ticketTtlS,
      powDifficulty: config.powDifficulty,
      powSurgeJoinsPerS: config.powSurgeJoinsPerS ?? 0,
      powSurgeDifficulty: config.powSurgeDifficulty ?? 0,
    },
    pow: powNow(config, own[9] as (string | null)[], now),
    seedHash: ev.seedHash || null,
    seed: ev.seed || null,
    queue: v[3] as number,
    prequeue: counters.prequeue,
    tail: counters.tail,
    served: n(stats.served),
    active: v[5] as number,
    admittedTotal: counters.admittedTotal,
    stock,
    initial: Object.fromEntries(config.products.map((p) => [p.sku, p.stock])),
    ordersConfirmed: counters.ordersConfirmed,
    ordersFailed: counters.ordersFailed,
    ...perSecond(prev, counters),
    latency: null,
    log: parseHead(own[8] as string | null),
    autopilot: {
      enabled: config.autopilot?.enabled ?? false,
      floor: config.autopilot?.floor ?? 0,
      ceiling: config.autopilot?.ceiling ?? 0,
      maxStep: config.autopilot?.maxStep ?? 0,
      last: parseLast(v[9] as string | null),
    },
    gates,
    appliedAll: fresh.length > 0 && fresh.every((x) => x.applied !== null && x.applied >= version),
    keysAt,
  };
  return { sample, counters };
}

/** The createdAt of the current signing key: what a gate reports under `versions['*']` once it has loaded it. */
function keyringStamp(h: Record<string, string>): number | null {
  const kid = h.current;
  const raw = kid ? h[kid] : undefined;
  if (!raw) return null;
  try {
    return Number((JSON.parse(raw) as { createdAt: number }).createdAt);
  } catch {
    return null;
  }
}

function parseLast(raw: string | null): AutopilotRecord | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as AutopilotRecord;
  } catch {
    return null; // written only by the autopilot; a bad value just shows no last decision
  }
}

function parseHead(raw: string | null): LiveSample['log'] {
  if (!raw) return null;
  try {
    const h = JSON.parse(raw) as { n: number; hash: string; at: number };
    return { n: h.n, hash: h.hash, at: h.at };
  } catch {
    return null; // written only by the admitter; a bad value shows as "no log yet"
  }
}

/** The event's proof-of-work level from the join Lua's window counts (`joins-by-ip` w, n, pn). */
function powNow(config: EventConfig, raw: (string | null)[] | undefined, now: number): LiveSample['pow'] {
  const [w, jn, pn] = (raw ?? []).map((x) => Number(x ?? 0));
  const joinsPerS = w ? joinsPerSecond({ w, n: jn ?? 0, pn: pn ?? 0 }, now) : 0;
  const fields = {
    powDifficulty: config.powDifficulty,
    powSurgeJoinsPerS: config.powSurgeJoinsPerS ?? 0,
    powSurgeDifficulty: config.powSurgeDifficulty ?? 0,
  };
  const difficulty = powDifficultyAt(fields, joinsPerS);
  return { joinsPerS, difficulty, surging: difficulty !== config.powDifficulty };
}
