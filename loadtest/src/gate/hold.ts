// Gate hold run: N shoppers join an open event whose release is stopped (queueAll), so every
// socket stays waiting and receives every tick. Measures join rate and latency, gate RSS per
// held connection (slope between half and all held, settled readings), and per-tick broadcast
// delay while all sockets are held.
import { createEvent, eventKeys, wsPath } from '@sluice/shared';
import { round } from '../lib/hist.ts';
import { pollUntil, sleep } from '../lib/proc.ts';
import type { Stores } from '../lib/stores.ts';
import type { SwarmResult } from '../swarm/run.ts';
import { holdInTwoSteps, type TwoStepHold } from '../swarm/two-step.ts';
import { BENCH_ORIGIN, type GateCluster } from './launch.ts';

export interface GateHoldResult {
  requested: number;
  held: number;
  gateWorkers: number;
  swarmWorkers: number;
  arrivalRatePerS: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** Slope of the gate workers' settled RSS between half and all sockets held. */
  bytesPerConnection: number;
  memory: TwoStepHold;
  holdSeconds: number;
  swarm: SwarmResult;
}

export async function runGateHold(
  s: Stores,
  gate: GateCluster,
  o: { evt: string; total: number; ratePerS: number; holdSeconds: number; joinTimeoutMs: number; settleMaxMs?: number },
): Promise<GateHoldResult> {
  const now = Date.now();
  await createEvent(s.redis, s.prefix, {
    id: o.evt,
    name: 'hold bench',
    prequeueAt: now - 2000,
    startAt: now - 1000,
    rate: 0,
    queueAll: true,
    maxActive: 1,
    graceS: 600,
    // The swarm measures holding sockets, not proof-of-work (bench addresses are few and shared).
    powDifficulty: 0,
    powSurgeDifficulty: 0,
    products: [{ sku: 'SKU-1', name: 'bench', priceCents: 100, stock: 1, limitPerShopper: 1 }],
  });
  const k = eventKeys(s.prefix, o.evt);
  await pollUntil(async () => (await s.redis.hget(k.event, 'state')) === 'open', 30_000, 100);
  await sleep(1500);
  const held = await holdInTwoSteps(
    {
      targets: [{ host: '127.0.0.1', port: gate.port, path: wsPath(o.evt) }],
      total: o.total,
      ratePerS: o.ratePerS,
      origin: BENCH_ORIGIN,
      joinTimeoutMs: o.joinTimeoutMs,
      settleMaxMs: o.settleMaxMs,
    },
    () => gate.workerPids,
  );
  try {
    await sleep(o.holdSeconds * 1000);
    const rep = await held.report();
    const m = held.memory;
    return {
      requested: o.total,
      held: rep.joined - rep.closedByServer,
      gateWorkers: gate.workerPids.length,
      swarmWorkers: rep.workers,
      arrivalRatePerS: o.ratePerS,
      rssBeforeBytes: m.rssEmptyBytes,
      rssAfterBytes: m.rssFullBytes,
      bytesPerConnection: m.bytesPerConnection,
      memory: m,
      holdSeconds: round(o.holdSeconds),
      swarm: rep,
    };
  } finally {
    await held.close();
  }
}
