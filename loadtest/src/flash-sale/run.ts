// End-to-end flash sale on the real services: N shoppers join the pre-queue, the sale opens
// (the pre-queue is shuffled), the admitter releases R per second, each admitted shopper buys
// with probability p through the checkout API, the order worker writes PostgreSQL. Afterwards:
// confirmed = min(stock, buyers), nothing oversold, reconcile passes; and the fairness figures.
import { createHash } from 'node:crypto';
import { createEvent, ensureKeyring, eventKeys, loadKeyring, persistEvent, updateEvent, wsPath } from '@sluice/shared';
import { reconcileEvent } from '../../../checkout/src/reconcile/check.ts';
import { BENCH_ORIGIN, type GateCluster } from '../gate/launch.ts';
import { Hist, type LatencySummary, round } from '../lib/hist.ts';
import { startCheckoutCluster } from '../checkout/launch.ts';
import { pollUntil, REPO_DIR, sleep, spawnModule } from '../lib/proc.ts';
import type { Stores } from '../lib/stores.ts';
import { startSwarm } from '../swarm/run.ts';
import type { Admission, TickSample } from '../swarm/types.ts';
import { countInversions, etaError, type LoggedTick, loggedTick, logRateError, type RateWindow, releaseRate, windowRateError } from './fairness.ts';

/** Token-bucket size of the bench's sale, in seconds of the release rate. */
export const BURST_S = 2;

export interface FlashSaleOptions {
  evt: string;
  shoppers: number;
  joinRatePerS: number;
  releaseRate: number;
  stock: number;
  buyProbability: number;
  /** Longest the sale may run after the start. */
  maxSaleSeconds: number;
  /** CHECKOUT_WORKERS of the checkout API (0 = one per core). */
  checkoutWorkers: number;
  /** The gate's GATE_TICK_MS (release lateness is measured against it). */
  tickMs: number;
  /** The gate's GATE_ADMITTER (for the report). */
  gateAdmitter?: 'every' | 'dedicated';
}

export interface FlashSaleResult {
  options: FlashSaleOptions;
  joined: number;
  joinsPerSecond: number;
  admitted: number;
  buyers: number;
  accepted: number;
  refused: Record<string, number>;
  confirmed: number;
  oversold: number;
  reconcileOk: boolean;
  confirmedMatches: boolean;
  /** Release rate over the rate-bound window (see `rateWindow`). */
  achievedReleaseRate: number;
  /** Admission-rate error over the rate-bound window, each tick timed on the bucket's clock (the admission log's `t`). */
  admissionErrorPct: number;
  /** The same window timed by the admitter's tick-start stamps (`admitted-at`), as measured before. */
  admissionErrorAdmitterClockPct: number;
  /** Gaps between consecutive releases past the tick, on the bucket's clock, over the window (ms). */
  releaseLate: { p50: number; p99: number; max: number; n: number } | null;
  /** Admitted vs rate × time over the ticks where only the rate could bind; null if too short. */
  rateWindow: (RateWindow & { endReason: string; burst: number; maxActive: number; overbook: number }) | null;
  /** (n − 1) / (last − first) over every admission before the sell-out, for comparison. */
  spanReleaseRate: number;
  fifoInversions: number;
  eta: { meanPct: number; medianPct: number; n: number };
  timeToSellOutS: number | null;
  checkoutLatency: LatencySummary;
  /** From the state frames: queue length, served, admitted rate per tick. */
  samples: TickSample[];
  /** `admitted` messages for a place already admitted (re-sent tickets), not counted again. */
  repeatedAdmitted: number;
  /** Cumulative admissions over time (s since start). */
  admittedOverTime: [number, number][];
  startAt: number;
}

/** Deterministic "does this shopper buy": hash of the place id against p. */
function buys(placeId: string, p: number): boolean {
  return createHash('sha256').update(placeId).digest().readUInt32BE(0) / 2 ** 32 < p;
}

export async function runFlashSale(s: Stores, gate: GateCluster, o: FlashSaleOptions, log: (m: string) => void): Promise<FlashSaleResult> {
  const now = Date.now();
  // So that only the rate binds while the admission error is measured: capacity above every
  // shopper, the largest overbook allowed (the stock budget is units left × overbook − active),
  // and a bucket of BURST_S seconds' worth: the token bucket lives in Redis on Redis time, so a
  // tick that runs late on this busy machine releases what accrued up to the bucket, and ticks
  // up to BURST_S late lose no rate. The price: the first tick hands out the full bucket at once
  // (excluded from the measured window; it shifts early wait estimates by up to BURST_S).
  const burst = Math.max(1, Math.ceil(o.releaseRate * BURST_S));
  const maxActive = o.shoppers * 2;
  const overbook = 100;
  await ensureKeyring(s.redis, s.prefix, now);
  const jwks = (await loadKeyring(s.redis, s.prefix, now)).jwks;
  const rec = await createEvent(s.redis, s.prefix, {
    id: o.evt,
    name: 'flash sale bench',
    prequeueAt: now - 1000,
    // Far away until everyone has joined; then moved to "now + 1 s".
    startAt: now + 3_600_000,
    rate: o.releaseRate,
    burst,
    maxActive,
    overbook,
    ticketTtlS: 600,
    graceS: 600,
    // The swarm measures the sale path, not proof-of-work.
    powDifficulty: 0,
    powSurgeDifficulty: 0,
    products: [{ sku: 'SKU-1', name: 'bench', priceCents: 100, stock: o.stock, limitPerShopper: 1 }],
  });
  await persistEvent(s.pool, rec.config);
  const k = eventKeys(s.prefix, o.evt);

  const checkout = await startCheckoutCluster(s, { workers: o.checkoutWorkers, jwks, env: { CHECKOUT_MAX_INFLIGHT: '100000' } });
  const worker = spawnModule(`${REPO_DIR}checkout/src/worker/main.ts`, [], { env: { ...s.env, WORKER_METRICS_PORT: '0' } });
  const admissions: Admission[] = [];
  const admittedIds = new Set<string>();
  let repeatedAdmitted = 0;
  const latency = new Hist();
  const refused: Record<string, number> = {};
  let buyers = 0;
  let accepted = 0;
  let inFlight = 0;
  /** When each purchase request was sent (ms): an upper bound on units reserved by then. */
  const sentAt: number[] = [];
  const pending: Admission[] = [];
  let soldOutAt: number | null = null;
  try {
    const ckPort = checkout.port;
    const buy = async (a: Admission) => {
      inFlight++;
      sentAt.push(Date.now());
      const t0 = performance.now();
      try {
        const r = await fetch(`http://127.0.0.1:${ckPort}/v1/checkout`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${a.ticket}` },
          body: '{"sku":"SKU-1","qty":1}',
          signal: AbortSignal.timeout(30_000),
        });
        await r.arrayBuffer();
        latency.record(performance.now() - t0);
        if (r.status === 202) accepted++;
        else refused[r.status] = (refused[r.status] ?? 0) + 1;
      } catch (err) {
        refused[(err as Error).name] = (refused[(err as Error).name] ?? 0) + 1;
      } finally {
        inFlight--;
        pump();
      }
    };
    const pump = () => {
      while (inFlight < 256 && pending.length) void buy(pending.shift()!);
    };
    log(`flash sale: ${o.shoppers} shoppers joining the pre-queue`);
    const swarm = await startSwarm({
      targets: [{ host: '127.0.0.1', port: gate.port, path: wsPath(o.evt) }],
      total: o.shoppers,
      ratePerS: o.joinRatePerS,
      origin: BENCH_ORIGIN,
      onAdmissions: (items) => {
        for (const a of items) {
          // A place can hear `admitted` twice (the missed-admission path re-sends it): count and
          // buy once per place.
          if (admittedIds.has(a.placeId)) {
            repeatedAdmitted++;
            continue;
          }
          admittedIds.add(a.placeId);
          admissions.push(a);
          if (buys(a.placeId, o.buyProbability)) {
            buyers++;
            pending.push(a);
          }
        }
        pump();
      },
    });
    let startAt = 0;
    let joinRep: Awaited<ReturnType<typeof swarm.report>>;
    try {
      await swarm.waitJoined(o.shoppers, Math.max(60_000, (o.shoppers / o.joinRatePerS) * 4000));
      joinRep = await swarm.report();
      startAt = Date.now() + 1000;
      await updateEvent(s.redis, s.prefix, o.evt, { startAt });
      log('flash sale: open');
      const deadline = startAt + o.maxSaleSeconds * 1000;
      while (Date.now() < deadline) {
        await sleep(100);
        if (soldOutAt === null && (await s.redis.hget(k.event, 'state')) === 'soldout') soldOutAt = Date.now();
        const everyoneIn = admissions.length >= joinRep.joined;
        if ((soldOutAt !== null || everyoneIn) && inFlight === 0 && pending.length === 0) break;
      }
      joinRep = { ...(await swarm.report()), joinsPerSecond: joinRep.joinsPerSecond, joined: joinRep.joined };
    } finally {
      await swarm.close();
    }
    log('flash sale: waiting for the order worker');
    const orderCount = async () =>
      Number(
        (await s.pool.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE event_id = $1 AND status = 'confirmed'`, [o.evt]))
          .rows[0]!.n,
      );
    await pollUntil(async () => (await orderCount()) >= accepted && (await s.redis.zcard(k.reservations)) === 0, 60_000, 200).catch(
      () => {},
    );
    const confirmed = await orderCount();
    const sold = Number(
      (await s.pool.query<{ q: string | null }>(`SELECT sum(qty) AS q FROM orders WHERE event_id = $1 AND status = 'confirmed'`, [o.evt]))
        .rows[0]!.q ?? 0,
    );
    const rc = await reconcileEvent(s.redis, s.pool, s.prefix, o.evt);

    // Server-side admission times (the admit script's clock) order the admissions.
    // Every admission the admitter made (place -> its tick's time), paged: the rate is the
    // server's, whether or not the swarm's socket for that place survived the join surge.
    const atRaw: Record<string, string> = {};
    let cursor = '0';
    do {
      const [next, flat] = await s.redis.hscan(k.admittedAt, cursor, 'COUNT', 5000);
      for (let i = 0; i + 1 < flat.length; i += 2) atRaw[flat[i]!] = flat[i + 1]!;
      cursor = next;
    } while (cursor !== '0');
    const serverAdmissions = Object.values(atRaw).map(Number);
    const scored = admissions
      .filter((a) => a.score !== null)
      .map((a) => ({ ...a, serverAt: Number(atRaw[a.placeId] ?? a.admittedAt) }));
    const serverTimes = scored.map((a) => a.serverAt).filter((t) => soldOutAt === null || t <= soldOutAt);
    const spanRate = releaseRate(serverTimes);
    // The stock budget (units left × overbook − active) could bind from the first moment when,
    // counting every purchase sent as a unit gone and every admission as active, it falls under
    // one bucket: the window ends there, at the sell-out, or when the queue runs dry (last tick).
    const stockBindAt = (() => {
      const ev = [...serverAdmissions.map((t) => [t, 0] as const), ...sentAt.map((t) => [t, 1] as const)].sort((a, b) => a[0] - b[0]);
      let adm = 0;
      let sent = 0;
      for (const [t, kind] of ev) {
        if (kind === 0) adm++;
        else sent++;
        if (Math.max(0, o.stock - sent) * overbook - adm < burst) return t;
      }
      return null;
    })();
    const endBefore = Math.min(soldOutAt ?? Number.POSITIVE_INFINITY, stockBindAt ?? Number.POSITIVE_INFINITY);
    const endReason =
      endBefore === Number.POSITIVE_INFINITY ? 'queue empty' : endBefore === soldOutAt ? 'sold out' : 'stock budget could bind';
    const win = windowRateError(serverAdmissions, o.releaseRate, endBefore);
    // The admission log: one entry per admitting tick with the bucket's clock (paged, bounded).
    const logged: LoggedTick[] = [];
    const logLen = Math.min(await s.redis.llen(k.log), 1_000_000);
    for (let i = 0; i < logLen; i += 1000) {
      for (const raw of await s.redis.lrange(k.log, i, i + 999)) {
        const x = loggedTick(raw);
        if (x) logged.push(x);
      }
    }
    const logWin = logRateError(logged, o.releaseRate, endBefore, o.tickMs);
    const lateSorted = [...(logWin?.lateMs ?? [])].sort((a, b) => a - b);
    const pick = (q: number) => lateSorted[Math.min(lateSorted.length - 1, Math.floor(q * lateSorted.length))]!;
    const releaseLate = lateSorted.length ? { p50: pick(0.5), p99: pick(0.99), max: lateSorted.at(-1)!, n: lateSorted.length } : null;
    const achieved = logWin?.achievedRate ?? Number.NaN;
    const t0 = Math.min(...scored.map((a) => a.serverAt), startAt);
    const sortedTimes = scored.map((a) => a.serverAt).sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sortedTimes.length / 200));
    const overTime: [number, number][] = [];
    for (let i = 0; i < sortedTimes.length; i += step) overTime.push([round((sortedTimes[i]! - startAt) / 1000), i + 1]);
    if (sortedTimes.length) overTime.push([round((sortedTimes[sortedTimes.length - 1]! - startAt) / 1000), sortedTimes.length]);
    void t0;
    return {
      options: o,
      joined: joinRep.joined,
      joinsPerSecond: joinRep.joinsPerSecond,
      admitted: admissions.length,
      repeatedAdmitted,
      buyers,
      accepted,
      refused,
      confirmed,
      oversold: Math.max(0, sold - o.stock),
      reconcileOk: rc.ok,
      confirmedMatches: confirmed === Math.min(o.stock, buyers),
      achievedReleaseRate: round(achieved, 1),
      admissionErrorPct: logWin ? round(logWin.errorPct, 2) : Number.NaN,
      admissionErrorAdmitterClockPct: win ? round(win.errorPct, 2) : Number.NaN,
      releaseLate,
      rateWindow: logWin ? { admitted: logWin.admitted, ticks: logWin.ticks, seconds: round(logWin.seconds, 3), expected: round(logWin.expected, 1), achievedRate: round(logWin.achievedRate, 1), errorPct: round(logWin.errorPct, 3), endReason: logWin.leftTokens ? 'a tick left tokens over: the queue, capacity or stock bound it' : endReason, burst, maxActive, overbook } : win ? { ...win, seconds: round(win.seconds, 3), expected: round(win.expected, 1), achievedRate: round(win.achievedRate, 1), errorPct: round(win.errorPct, 3), endReason, burst, maxActive, overbook } : null,
      spanReleaseRate: round(spanRate, 1),
      fifoInversions: countInversions(scored.map((a) => ({ score: a.score!, admittedAt: a.serverAt }))),
      eta: (() => {
        const e = etaError(scored.map((a) => ({ predictedMs: a.predictedWaitMs, actualMs: a.serverAt - a.scoreAt })));
        return { meanPct: round(e.meanPct, 1), medianPct: round(e.medianPct, 1), n: e.n };
      })(),
      timeToSellOutS: soldOutAt !== null ? round((soldOutAt - startAt) / 1000, 2) : null,
      checkoutLatency: latency.summary(),
      samples: joinRep.samples.filter((x) => x.now >= startAt - 2000),
      admittedOverTime: overTime,
      startAt,
    };
  } finally {
    await Promise.all([checkout.stop(), worker.stop(15_000)]);
  }
}
