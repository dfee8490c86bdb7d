// The autopilot loop: once a second, for each open event whose autopilot is on, the dashboard
// process holding that event's lease reads the inputs and, when the interval has passed,
// decides (shared `decideRate`). A change is applied like an operator's (updateEvent, so every
// gate picks it up) but only if nobody changed the event since it was read, and is written to
// the audit log with its reason. Every decision, held ones too, is kept for the console.
import {
  decideRate,
  eventKeys,
  getEvent,
  listEventIds,
  type Logger,
  type Pool,
  prom,
  type Redis,
  SluiceError,
  updateEvent,
} from '@sluice/shared';
import { audited } from '../admin/audit.ts';
import type { LatencySource } from '../live/checkout-latency.ts';
import type { AutopilotRecord } from '../live/sample.ts';
import { readInputs } from './inputs.ts';

export interface AutopilotDeps {
  redis: Redis;
  pool: Pool;
  prefix: string;
  latency: LatencySource;
  log: Logger;
  /** This process's id in the lease (hostname:pid:random). */
  owner: string;
  registry?: prom.Registry;
  intervalMs?: number;
}

export interface Autopilot {
  /** One pass over every event (the timer calls it; tests may too). */
  tick(now?: number): Promise<void>;
  close(): void;
}

export function startAutopilot(d: AutopilotDeps): Autopilot {
  const changes = new prom.Counter({
    name: 'sluice_autopilot_changes_total',
    help: 'Release-rate changes made by the autopilot, by direction',
    labelNames: ['direction'] as const,
    registers: d.registry ? [d.registry] : [],
  });
  let busy = false;

  async function holdLease(evt: string, ttlMs: number): Promise<boolean> {
    const key = eventKeys(d.prefix, evt).autopilotLease;
    if ((await d.redis.set(key, d.owner, 'PX', ttlMs, 'NX')) === 'OK') return true;
    if ((await d.redis.get(key)) !== d.owner) return false;
    await d.redis.pexpire(key, ttlMs);
    return true;
  }

  async function steer(evt: string, now: number): Promise<void> {
    const rec = await getEvent(d.redis, d.prefix, evt);
    if (rec?.state !== 'open' || !rec.config.autopilot?.enabled) return;
    const cfg = rec.config.autopilot;
    if (!(await holdLease(evt, Math.max(3000, cfg.intervalS * 3000)))) return;
    const k = eventKeys(d.prefix, evt);
    const lastRaw = await d.redis.hget(k.autopilot, 'last');
    const last = lastRaw ? (JSON.parse(lastRaw) as AutopilotRecord) : null;
    if (last && now - last.at < cfg.intervalS * 1000) return;
    const inputs = await readInputs(d.redis, d.prefix, evt, d.latency.current());
    const decision = decideRate(inputs, cfg, rec.config.rate);
    const record: AutopilotRecord = { at: now, from: rec.config.rate, to: decision.rate, direction: decision.direction, reason: decision.reason };
    if (decision.rate !== rec.config.rate) {
      try {
        const intent = { rate: decision.rate, reason: decision.reason };
        await audited(d.pool, d.log, 'autopilot', 'event.autopilot', evt, intent, async () => {
          // expectVersion: an operator who changed the event meanwhile (e.g. switched us off) wins.
          const { after } = await updateEvent(d.redis, d.prefix, evt, { rate: decision.rate }, { now, expectVersion: rec.version });
          return {
            before: { rate: rec.config.rate },
            after: { rate: decision.rate, reason: decision.reason, inputs },
            result: after,
            undo: async () => {
              await updateEvent(d.redis, d.prefix, evt, { rate: rec.config.rate }, { now, expectVersion: after.version });
            },
          };
        });
      } catch (err) {
        if (err instanceof SluiceError && err.code === 'CONFLICT') return; // re-read and decide on the next pass
        throw err;
      }
      changes.inc({ direction: decision.direction });
      d.log.info({ evt, from: rec.config.rate, to: decision.rate, reason: decision.reason }, 'autopilot changed the rate');
    }
    await d.redis.hset(k.autopilot, 'last', JSON.stringify(record));
  }

  async function tick(now = Date.now()): Promise<void> {
    if (busy) return; // a slow Redis must not pile up passes
    busy = true;
    try {
      await d.latency.scrape();
      for (const evt of await listEventIds(d.redis, d.prefix)) {
        await steer(evt, now).catch((err: unknown) => d.log.warn({ err, evt }, 'autopilot pass failed; next pass retries'));
      }
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(() => {
    tick().catch((err: unknown) => d.log.warn({ err }, 'autopilot pass failed; next pass retries'));
  }, d.intervalMs ?? 1000);
  timer.unref();
  return { tick, close: () => clearInterval(timer) };
}
