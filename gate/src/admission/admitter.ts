// The admission loop. Every tick each gate process tries to hold the lease of every event; the
// holder moves the event through time-driven states (scheduled → prequeue → open, with the
// shuffle at the start), releases the planned batch with the admit Lua (fenced), drops places
// absent past the grace period, and publishes the admitted ids and the state frame.
import {
  ignoring,
  eventKeys,
  getEvent,
  type Logger,
  LuaCode,
  pipeScript,
  publishControl,
  type Redis,
  runScript,
  type StateFrame,
  timeTransition,
} from '@sluice/shared';
import { buildFrame } from '../broadcast/frame.ts';
import { Lease } from './lease.ts';
import { type HeadSigner, sealLog } from './log-seal.ts';
import { HEARTBEAT_LAPSE_MS } from '../queue/presence.ts';
import { openSale } from './open.ts';
import { reapLapsedGates } from './reaper.ts';
import { planRelease } from './plan.ts';
import { lineSpeed } from './speed.ts';
import { readTickInputs } from './tick-inputs.ts';
import { frameLanes, laneArgs } from '../lanes/tick.ts';

export interface AdmitterOptions {
  redis: Redis;
  prefix: string;
  /** Unique id of this candidate (host:pid:random). */
  id: string;
  now: () => number;
  tickMs: number;
  leaderTtlMs: number;
  log: Logger;
  /** The events to consider each tick. */
  eventIds: () => Iterable<string>;
  /** Called after each tick this process led (metrics). */
  onTick?: (evt: string, t: TickOutcome) => void;
  /** Clock of the token bucket (ms); default Redis TIME, shared by every leader. Tests pass their fake clock. */
  bucketClock?: () => number;
  /** Signs the head of the public admission log; without it the log is written but not sealed. */
  signLogHead?: HeadSigner;
  /** Ticket numbers written per call while opening a sale (default 5,000). */
  openChunk?: number;
  /** Called after each chunk of an opening (tests). */
  onOpenChunk?: (evt: string, done: number, n: number) => void;
}

export interface TickOutcome {
  fence: number;
  admitted: string[];
  frame: StateFrame;
  ms: number;
  /** How late this tick started against its schedule (previous start + tickMs), ms. */
  lateMs: number;
}

/** Most absent places dropped per event per tick. */
const SWEEP_BATCH = 500;

export class Admitter {
  readonly lease: Lease;
  private readonly o: AdmitterOptions;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** True until start() or stop(): ticks driven by hand (tests) may open a sale too. */
  private manual = true;
  private running: Promise<void> | undefined;
  private lateMs = 0;
  /** Openings in progress in this process, by event (they outlive a tick). */
  private readonly openings = new Map<string, Promise<void>>();
  /** The computed order of an opening, kept until it is open (a retry need not recompute it). */
  private readonly openMemos = new Map<string, { key?: string; order?: string[]; digest?: string }>();

  constructor(o: AdmitterOptions) {
    this.o = o;
    this.lease = new Lease(o.redis, o.prefix, o.id, o.leaderTtlMs);
  }

  start(): void {
    this.stopped = false;
    let due = performance.now();
    this.manual = false;
    const loop = async () => {
      if (this.stopped) return;
      const t0 = performance.now();
      this.lateMs = Math.max(0, t0 - due);
      due = t0 + this.o.tickMs;
      this.running = this.tickOnce();
      await this.running;
      if (this.stopped) return;
      this.timer = setTimeout(loop, Math.max(0, this.o.tickMs - (performance.now() - t0)));
    };
    void loop();
  }

  /** Stop ticking and give up the leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.manual = false;
    clearTimeout(this.timer);
    await this.running;
    // An opening sees the stop at its next chunk; its progress stays in Redis for the successor.
    await Promise.all(this.openings.values());
    // Best effort at shutdown: an unreleased lease lapses after leaderTtlMs.
    await this.lease.resignAll().catch(ignoring('lease release at stop'));
  }

  /** One tick over every event (errors are logged per event, never thrown). */
  async tickOnce(): Promise<void> {
    await Promise.all(
      [...this.o.eventIds()].map((evt) =>
        this.tickEvent(evt).catch((err) => this.o.log.warn({ err, evt }, 'admission tick failed')),
      ),
    );
  }

  /** One tick of one event; null when this process does not lead it. */
  async tickEvent(evt: string): Promise<TickOutcome | null> {
    const t0 = performance.now();
    const { redis, prefix } = this.o;
    const fence = await this.lease.acquire(evt);
    if (!fence) return null;
    const now = this.o.now();
    const k = eventKeys(prefix, evt);
    let rec = await getEvent(redis, prefix, evt);
    if (!rec || rec.state === 'closed') return null;

    const next = timeTransition(rec.state, rec.config, now);
    if (next === 'prequeue') {
      const version = Number(await runScript(redis, 'transition', [k.event], [rec.state, 'prequeue']));
      if (version > 0) await publishControl(redis, prefix, { evt, kind: 'state', version, at: now });
    } else if (next === 'open') {
      // A big pre-queue takes seconds to number: its opening runs on in the background (this
      // tick and the next ones keep the lease and the state frames going). One that fits in a
      // single chunk opens within this tick.
      await this.startOpening(evt, rec.config.lanes?.length ?? 0);
    }
    if (next) rec = (await getEvent(redis, prefix, evt)) ?? rec;

    // Places held by gate processes that died are marked absent (the sweep below drops them
    // after the grace period unless they reconnect elsewhere).
    await reapLapsedGates(redis, prefix, evt, now, HEARTBEAT_LAPSE_MS);
    const [stats, stockVals, active, waiting] = await readTickInputs(redis, k, now);
    const cfg = rec.config;
    const plan = planRelease({
      state: rec.state,
      queueAll: cfg.queueAll,
      rate: cfg.rate,
      burst: cfg.burst,
      tickMs: this.o.tickMs,
      maxActive: cfg.maxActive,
      overbook: cfg.overbook,
      active,
      unitsLeft: stockVals.reduce((a, v) => a + (Number(v) || 0), 0),
      waiting,
    });

    const lanes = laneArgs(cfg);
    const pipe = redis.pipeline();
    pipeScript(
      pipe,
      'sweep',
      [k.event, k.queue, k.prequeue, k.ident, k.owner, k.absent, k.admittedAt, k.admitted],
      [now - cfg.graceS * 1000, SWEEP_BATCH],
    );
    pipeScript(
      pipe,
      'admit',
      [
        k.event,
        k.leader,
        k.fence,
        k.queue,
        k.admitted,
        k.admittedAt,
        k.stock,
        k.stats,
        k.absent,
        k.prequeue,
        k.seq,
        k.log,
      ],
      [
        this.o.id,
        fence,
        plan.release,
        now,
        cfg.ticketTtlS * 1000,
        cfg.maxActive,
        cfg.overbook,
        cfg.rate,
        plan.bucketSize,
        this.o.bucketClock?.() ?? '',
        lanes[0],
        lanes[1],
        lanes[2],
      ],
    );
    const results = (await pipe.exec()) ?? [];
    const [err, out] = results[1] ?? [new Error('no admit result'), null];
    if (err) throw err;
    const r = out as (number | string)[];
    if (Number(r[0]) === LuaCode.NOT_LEADER) return this.deposed(evt);
    const [count, served, len, tail, admittedTotal, tick] = r.slice(0, 6).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const laneOut = String(r[6] ?? '');
    const admitted = r.slice(7).map(String);

    const cfgRate = rec.config.queueAll ? 0 : rec.config.rate;
    // The bucket (in the Lua) limited the release when it released fewer than planned.
    const rateBound = plan.limitedBy !== 'halted' && count < plan.release;
    const sp = lineSpeed({ stats, served, tail, len, admittedTotal, cfgRate, rateBound, now });
    const update = sp.update;
    const laneStates = frameLanes(cfg, laneOut, sp.admPerS);
    const frame = buildFrame({ rec, served, tail, len, rate: sp.lineRate, adm: sp.adm, tick, now, lanes: laneStates });
    const out2 = redis.pipeline();
    if (Object.keys(update).length) out2.hset(k.stats, update);
    // seq = the event's admitted total after this batch: a gate seeing it jump knows it missed one.
    if (admitted.length) out2.spublish(k.admitChannel, JSON.stringify({ fence, at: now, ids: admitted, seq: admittedTotal }));
    out2.spublish(k.tickChannel, JSON.stringify(frame));
    await out2.exec();
    if (this.o.signLogHead) {
      // The entries are already written with the admission; sealing can wait for a later tick.
      await sealLog(redis, prefix, evt, { id: this.o.id, fence }, this.o.signLogHead, now).catch(
        (err: unknown) =>
          this.o.log.warn({ err, evt }, 'sealing the admission log failed; the next tick retries'),
      );
    }

    const outcome = { fence, admitted, frame, ms: performance.now() - t0, lateMs: this.lateMs };
    this.o.onTick?.(evt, outcome);
    return outcome;
  }

  /**
   * Start (or join) the opening of `evt` (see open.ts). Resolves when it is done, or as soon as
   * the frozen pre-queue turns out to need more than one chunk (it then runs on in the
   * background and later ticks see the event open).
   */
  private startOpening(evt: string, lanes: number): Promise<void> {
    const running = this.openings.get(evt);
    if (running) return Promise.resolve();
    const { redis, prefix, log } = this.o;
    const chunk = this.o.openChunk ?? 5000;
    let big: () => void = () => {};
    const isBig = new Promise<void>((r) => (big = r));
    const p = openSale({
      redis,
      prefix,
      evt,
      id: this.o.id,
      fence: () => (this.stopped && !this.manual ? 0 : (this.lease.held.get(evt) ?? 0)),
      renew: () => (this.stopped && !this.manual ? Promise.resolve(0) : this.lease.acquire(evt)),
      memo: this.openMemo(evt),
      chunk,
      lanes,
      log,
      onBegin: (n, done) => n - done > chunk && big(),
      onChunk: (done, n) => this.o.onOpenChunk?.(evt, done, n),
    })
      .then(async (r) => {
        if (r.kind === 'open') this.openMemos.delete(evt);
        if (r.kind === 'open')
          await publishControl(redis, prefix, { evt, kind: 'state', version: r.version, at: this.o.now() });
      })
      .catch((err) => log.warn({ err, evt }, 'opening the sale failed; the next tick resumes it'))
      .finally(() => this.openings.delete(evt));
    this.openings.set(evt, p);
    return Promise.race([p, isBig]);
  }

  private openMemo(evt: string): { key?: string; order?: string[]; digest?: string } {
    let m = this.openMemos.get(evt);
    if (!m) {
      m = {};
      this.openMemos.set(evt, m);
    }
    return m;
  }

  private deposed(evt: string): null {
    this.lease.lost(evt);
    this.o.log.warn({ evt }, 'lost the admitter lease');
    return null;
  }
}
