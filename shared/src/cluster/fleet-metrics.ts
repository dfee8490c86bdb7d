// One scrape, every worker: a service running several worker processes on one port answers
// /metrics on whichever worker the kernel picks, so that worker asks its supervisor, which
// collects every worker's registry over IPC, labels each series with the worker's slot
// (`worker="0"`, `"1"`, … stable across restarts) and merges them with prom-client's
// AggregatorRegistry. Prometheus sees one target per supervisor with per-worker series:
// `sum(sluice_gate_sockets)` is the service's total, `by (worker)` the per-process view.
// A process not run by a supervisor answers its own registry, unlabelled.
import type { ChildProcess } from 'node:child_process';
import client, { type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

const REQUEST = 'fleet-metrics:request'; // worker → supervisor: a scrape arrived
const COLLECT = 'fleet-metrics:collect'; // supervisor → every worker: send your registry
const PART = 'fleet-metrics:part'; // worker → supervisor: one registry as JSON
const FLEET = 'fleet-metrics:fleet'; // supervisor → asking worker: the merged exposition

/** How long a scrape waits for the workers; a slower one is left out of that scrape. */
const COLLECT_TIMEOUT_MS = 2000;

type Json = MetricObjectWithValues<MetricValue<string>>[];
interface Msg {
  type?: string;
  id?: number;
  metrics?: Json;
  text?: string;
  error?: string;
}

let fleetRegistry: Registry | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();

/**
 * In a worker forked by `superviseWorkers`: answer the supervisor's collection requests from
 * `registry`, and make `metricsText` return the whole fleet's metrics.
 */
export function joinFleetMetrics(registry: Registry): void {
  if (!process.send || fleetRegistry) return;
  fleetRegistry = registry;
  process.on('message', (m: Msg) => {
    if (m?.type === COLLECT) {
      registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: PART, id: m.id, metrics }),
        (err: Error) => process.send?.({ type: PART, id: m.id, error: err.message }),
      );
    } else if (m?.type === FLEET && m.id !== undefined) {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.text ?? '');
    }
  });
}

/** The exposition to answer /metrics with: the fleet's when supervised, else `registry`'s own. */
export async function metricsText(registry: Registry): Promise<{ contentType: string; text: string }> {
  if (!fleetRegistry || !process.send)
    return { contentType: registry.contentType, text: await registry.metrics() };
  const id = ++nextId;
  const text = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error('the supervisor did not answer the metrics request'));
    }, COLLECT_TIMEOUT_MS * 2);
    waiting.set(id, {
      resolve: (t) => {
        clearTimeout(timer);
        resolve(t);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
    process.send?.({ type: REQUEST, id });
  });
  return { contentType: registry.contentType, text };
}

/** Every series of `metrics` with `worker="<slot>"` added. */
function labelled(metrics: Json, slot: number): Json {
  return metrics.map((m) => ({
    ...m,
    // Each series now has its own label set, so no aggregator merges two workers' values; 'sum'
    // also keeps the ones prom-client would drop ('omit') or pick one of ('first').
    aggregator: 'sum',
    values: m.values.map((v) => ({ ...v, labels: { ...v.labels, worker: String(slot) } })),
  }));
}

/** Supervisor side: answers workers' REQUESTs by collecting from every live worker. */
export class FleetMetricsHub {
  private readonly parts = new Map<
    number,
    { got: Json[]; slots: Map<ChildProcess, number>; left: number; done(): void }
  >();
  private nextId = 0;

  private readonly workers: () => Iterable<[ChildProcess, number]>;

  constructor(workers: () => Iterable<[ChildProcess, number]>) {
    this.workers = workers;
  }

  /** Feed every message a worker sends; returns true when it was a fleet-metrics message. */
  handle(from: ChildProcess, m: Msg): boolean {
    if (m?.type === REQUEST && m.id !== undefined) {
      const id = m.id;
      this.collect().then(
        (text) => from.send?.({ type: FLEET, id, text }),
        (err: Error) => from.send?.({ type: FLEET, id, error: err.message }),
      );
      return true;
    }
    if (m?.type === PART && m.id !== undefined) {
      const p = this.parts.get(m.id);
      const slot = p?.slots.get(from);
      if (p && slot !== undefined) {
        p.slots.delete(from); // one answer per worker and scrape
        if (m.metrics) p.got.push(labelled(m.metrics, slot));
        if (--p.left === 0) p.done();
      }
      return true;
    }
    return false;
  }

  private async collect(): Promise<string> {
    const id = ++this.nextId;
    const got: Json[] = [];
    const live = [...this.workers()].filter(([child]) => child.connected);
    const slots = new Map(live);
    await new Promise<void>((resolve) => {
      // A worker that is starting, stopping or stuck is left out of this scrape (its series go
      // stale in Prometheus) rather than failing the whole service's scrape.
      const timer = setTimeout(resolve, COLLECT_TIMEOUT_MS);
      this.parts.set(id, {
        got,
        slots,
        left: live.length,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      if (live.length === 0) resolve();
      for (const [child] of live) {
        // A failed send counts as an empty answer, so the scrape does not wait for the timeout.
        child.send({ type: COLLECT, id }, (err) => {
          if (err) this.handle(child, { type: PART, id });
        });
      }
    });
    this.parts.delete(id);
    return client.AggregatorRegistry.aggregate(got).metrics();
  }
}
