// What one join costs, beside its floor measured in the same phase (issue 11 item 4): gate CPU of
// every worker process (/proc/<pid>/stat) and Redis CPU (INFO cpu) per join, for
//  - the WebSocket join (the swarm: TCP connect, upgrade, `join`, `welcome`), floor: the same swarm
//    against raw uWS (accept, upgrade, one welcome, nothing else);
//  - the HTTP join (`POST /v1/events/:id/join`, wrk on keep-alive connections, a new place per
//    request), floor: raw uWS answering `GET /hello` on as many keep-alive connections.
// Also the gate's CPU per second with nothing joining (ticks, heartbeats, refreshes): the part of
// a per-join figure that is time, not joins, at a low join rate.
import { wsPath } from '@sluice/shared';
import { startServers } from '../baseline/hold.ts';
import { cpuSeconds, sleep } from '../lib/proc.ts';
import { redisCpuSeconds, usPerOp } from '../lib/redis-cpu.ts';
import type { Stores } from '../lib/stores.ts';
import { runWrk, type WrkResult } from '../lib/wrk.ts';
import { startSwarm } from '../swarm/run.ts';
import { openHoldEvent } from './bench-event.ts';
import { BENCH_ORIGIN, type GateCluster } from './launch.ts';

export interface JoinCostResult {
  gateWorkers: number;
  /** Gate workers' CPU while nothing joins (µs per second of wall time, summed over workers). */
  idleGateCpuUsPerS: number | null;
  ws: {
    joins: number;
    offeredPerS: number;
    seconds: number;
    gateCpuUs: number | null;
    redisCpuUs: number | null;
    /** Raw uWS, same swarm, same count and rate. */
    floorCpuUs: number | null;
    floorJoins: number;
  } | null;
  http: {
    /** 2xx answers (a new place each); non-2xx are counted apart and not divided by. */
    joins: number;
    non2xx: number;
    perSecond: number;
    gateCpuUs: number | null;
    redisCpuUs: number | null;
    wrk: WrkResult;
    /** Raw uWS `GET /hello` on as many keep-alive connections (wrk). */
    floorCpuUs: number | null;
    floorPerSecond: number;
  } | null;
}

export async function runJoinCost(
  s: Stores,
  gate: GateCluster,
  o: { evt: string; wsJoins: number; wsRatePerS: number; httpSeconds: number; connections: number },
): Promise<JoinCostResult> {
  await openHoldEvent(s, o.evt, 'join cost bench');
  const gateCpu = () => gate.workerPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const window = async <T>(f: () => Promise<T>) => {
    const g0 = gateCpu();
    const r0 = await redisCpuSeconds(s.redis);
    const t0 = Date.now();
    const out = await f();
    return {
      out,
      gate: gateCpu() - g0,
      redis: (await redisCpuSeconds(s.redis)) - r0,
      seconds: (Date.now() - t0) / 1000,
    };
  };
  const idle = await window(() => sleep(3000));
  const result: JoinCostResult = {
    gateWorkers: gate.workerPids.length,
    idleGateCpuUsPerS: Math.round((idle.gate / idle.seconds) * 1e6),
    ws: null,
    http: null,
  };

  if (o.wsJoins > 0) {
    const swarmOf = (port: number, path: string) =>
      startSwarm({
        targets: [{ host: '127.0.0.1', port, path }],
        total: o.wsJoins,
        ratePerS: o.wsRatePerS,
        origin: BENCH_ORIGIN,
        socketsPerAddress: 16,
      });
    const timeout = Math.max(60_000, (o.wsJoins / o.wsRatePerS) * 5000);
    // The window opens once the swarm's processes are up (started, not yet connecting much) and
    // closes when every join is answered, before the sockets close.
    const sw = await swarmOf(gate.port, wsPath(o.evt));
    const w = await window(async () => {
      await sw.waitJoined(o.wsJoins, timeout);
      return sw.progress().joined;
    }).finally(() => sw.close());
    // The floor: raw uWS, the same swarm.
    const { servers, ports } = await startServers('uws', 1);
    let floor = { cpu: 0, joined: 0 };
    try {
      const fs = await swarmOf(ports[0]!, '/');
      const c0 = cpuSeconds(servers[0]!.pid);
      try {
        await fs.waitJoined(o.wsJoins, timeout);
        floor = { cpu: cpuSeconds(servers[0]!.pid) - c0, joined: fs.progress().joined };
      } finally {
        await fs.close();
      }
    } finally {
      await Promise.all(servers.map((x) => x.stop()));
    }
    result.ws = {
      joins: w.out,
      offeredPerS: o.wsRatePerS,
      seconds: Math.round(w.seconds * 10) / 10,
      gateCpuUs: usPerOp(w.gate, w.out),
      redisCpuUs: usPerOp(w.redis, w.out),
      floorCpuUs: usPerOp(floor.cpu, floor.joined),
      floorJoins: floor.joined,
    };
  }

  if (o.httpSeconds > 0) {
    const url = `http://127.0.0.1:${gate.port}`;
    const req = {
      url,
      method: 'POST' as const,
      path: `/v1/events/${o.evt}/join`,
      body: '{}',
      connections: o.connections,
      threads: 2,
    };
    await runWrk({ ...req, seconds: 1 }); // warm-up (JIT, connections)
    const h = await window(() => runWrk({ ...req, seconds: o.httpSeconds }));
    const ok = h.out.requests - h.out.non2xx;
    const { servers, ports } = await startServers('uws', 1);
    let floor: { cpu: number; w: WrkResult | null } = { cpu: 0, w: null };
    try {
      const hello = {
        url: `http://127.0.0.1:${ports[0]}`,
        method: 'GET' as const,
        path: '/hello',
        connections: o.connections,
        threads: 2,
      };
      await runWrk({ ...hello, seconds: 1 });
      const c0 = cpuSeconds(servers[0]!.pid);
      const fw = await runWrk({ ...hello, seconds: o.httpSeconds });
      floor = { cpu: cpuSeconds(servers[0]!.pid) - c0, w: fw };
    } finally {
      await Promise.all(servers.map((x) => x.stop()));
    }
    result.http = {
      joins: ok,
      non2xx: h.out.non2xx,
      perSecond: h.out.perSecond,
      gateCpuUs: usPerOp(h.gate, ok),
      redisCpuUs: usPerOp(h.redis, ok),
      wrk: h.out,
      floorCpuUs: floor.w ? usPerOp(floor.cpu, floor.w.requests) : null,
      floorPerSecond: floor.w?.perSecond ?? 0,
    };
  }
  return result;
}
