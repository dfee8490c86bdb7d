// Baseline: raw uWS and `ws` servers holding the same number of idle WebSockets as the gate.
// Memory per connection: slope of the servers' settled VmRSS between half and all sockets held.
import { round } from '../lib/hist.ts';
import { type Child, cpuSeconds, sleep, spawnTs } from '../lib/proc.ts';
import { usPerOp } from '../lib/redis-cpu.ts';
import { MAX_SOCKETS_PER_WORKER, startSwarm, type SwarmResult } from '../swarm/run.ts';
import { holdInTwoSteps, type TwoStepHold } from '../swarm/two-step.ts';

export interface HoldResult {
  impl: 'uws' | 'ws';
  processes: number;
  requested: number;
  held: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** Slope between the settled RSS with half and with all sockets held (see swarm/two-step.ts). */
  bytesPerConnection: number;
  memory: TwoStepHold;
  joinsPerSecond: number;
  joinP99Ms: number;
  /** CPU of the server processes per join over the join windows (accept, upgrade, one welcome): the floor of a join. */
  joinCpuUs: number | null;
  echo?: { sockets: number; seconds: number; msgsPerSecond: number; rttP50Ms: number; rttP99Ms: number };
  /**
   * uWS only: raw `publish` of a state-sized frame to every held socket, CPU per frame delivered,
   * and the floor of tick to socket (frame's `now` → receipt, over the frames that reached ≥ 99 %
   * of the sockets within 30 s; `ticksShort` did not).
   */
  publish?: {
    frames: number;
    sockets: number;
    cpuUsPerFrame: number | null;
    frameBytes: number;
    tickToSocket?: {
      p50: number;
      p99: number;
      max: number;
      deliveries: number;
      ticks: number;
      ticksShort: number;
    };
  };
  errors: Record<string, number>;
}

export async function startServers(impl: 'uws' | 'ws', processes: number): Promise<{ servers: Child[]; ports: number[] }> {
  const servers = Array.from({ length: processes }, () => spawnTs('baseline/ws-server.ts', ['--impl', impl], { execArgv: ['--expose-gc'] }));
  const ready = await Promise.all(servers.map((s) => s.next<{ port: number }>((m) => m.t === 'ready', 120_000, 'ready message')));
  return { servers, ports: ready.map((r) => r.port) };
}

/**
 * Hold `total` sockets against `impl` servers and measure RSS growth; optionally run an echo
 * ping-pong on `echoSockets` extra sockets for `echoSeconds` afterwards.
 */
export async function measureHold(o: {
  impl: 'uws' | 'ws';
  total: number;
  ratePerS: number;
  echoSockets?: number;
  echoSeconds?: number;
  joinTimeoutMs?: number;
  settleMaxMs?: number;
  maxGcRounds?: number;
  /** Publish this frame to all held sockets `count` times, one per `everyMs` (uWS only). */
  publish?: { payload: string; everyMs: number; count: number };
}): Promise<HoldResult> {
  // Each server process must stay under the 20,000-file limit.
  const processes = Math.max(1, Math.ceil(o.total / MAX_SOCKETS_PER_WORKER));
  const { servers, ports } = await startServers(o.impl, processes);
  try {
    const cpu = () => servers.reduce((sum, c) => sum + cpuSeconds(c.pid), 0);
    let joinCpu = 0;
    let mark = 0;
    const held = await holdInTwoSteps(
      {
        onJoinWindow: (edge) => {
          if (edge === 'end') joinCpu += cpu() - mark;
          mark = cpu();
        },
        targets: ports.map((port) => ({ host: '127.0.0.1', port, path: '/ws' })),
        total: o.total,
        ratePerS: o.ratePerS,
        joinTimeoutMs: o.joinTimeoutMs ?? 120_000,
        settleMaxMs: o.settleMaxMs,
        maxGcRounds: o.maxGcRounds,
      },
      () => servers.map((c) => c.pid),
      async () => {
        await Promise.all(
          servers.map((c) => {
            c.send({ t: 'gc' });
            return c.next((m) => m.t === 'gc-done', 30_000, 'gc-done');
          }),
        );
      },
    );
    let rep: SwarmResult;
    let publish: HoldResult['publish'];
    try {
      rep = await held.report();
      if (o.publish && o.impl === 'uws') {
        const publishFrom = Date.now();
        const cpu0 = servers.reduce((sum, c) => sum + cpuSeconds(c.pid), 0);
        const done = await Promise.all(
          servers.map((c) => {
            c.send({ t: 'publish', ...o.publish });
            return c.next<{ published: number; sockets: number }>(
              (m) => m.t === 'publish-done',
              // Generous: on a saturated machine one publish to 20,000 sockets can outlast a tick.
              o.publish!.count * o.publish!.everyMs + 600_000,
              'publish-done',
            );
          }),
        );
        const cpu = servers.reduce((sum, c) => sum + cpuSeconds(c.pid), 0) - cpu0;
        const frames = done.reduce((sum, d) => sum + d.published * d.sockets, 0);
        // The last frames may still be on their way to the swarm: up to 30 s for them to arrive.
        const drainFrom = Date.now();
        let after = await held.report(publishFrom);
        while (after.ticksShort > 0 && Date.now() - drainFrom < 30_000) {
          await sleep(1000);
          after = await held.report(publishFrom);
        }
        const b = after.broadcast;
        publish = {
          tickToSocket: {
            p50: b.p50,
            p99: b.p99,
            max: b.max,
            deliveries: b.count,
            ticks: after.ticks.filter((t) => t.now >= publishFrom).length,
            ticksShort: after.ticksShort,
          },
          frames,
          sockets: done.reduce((sum, d) => sum + d.sockets, 0),
          cpuUsPerFrame: usPerOp(cpu, frames),
          frameBytes: Buffer.byteLength(o.publish.payload),
        };
      }
    } finally {
      await held.close();
    }
    const m = held.memory;
    const result: HoldResult = {
      impl: o.impl,
      processes,
      requested: o.total,
      held: rep.joined - rep.closedByServer,
      rssBeforeBytes: m.rssEmptyBytes,
      rssAfterBytes: m.rssFullBytes,
      bytesPerConnection: m.bytesPerConnection,
      memory: m,
      joinsPerSecond: rep.joinsPerSecond,
      joinP99Ms: rep.join.p99,
      joinCpuUs: usPerOp(joinCpu, rep.joined),
      errors: rep.errors,
      ...(publish ? { publish } : {}),
    };
    if (o.echoSockets && o.echoSeconds) {
      const echo = await startSwarm({
        targets: ports.map((port) => ({ host: '127.0.0.1', port, path: '/ws' })),
        total: o.echoSockets,
        ratePerS: 100_000,
        echo: true,
      });
      try {
        await echo.waitJoined(o.echoSockets, 30_000);
        const r0 = await echo.report();
        await sleep(o.echoSeconds * 1000);
        const r1 = await echo.report();
        echo.send({ t: 'echo-stop' });
        result.echo = {
          sockets: r1.joined,
          seconds: o.echoSeconds,
          msgsPerSecond: Math.round((r1.echoMsgs - r0.echoMsgs) / o.echoSeconds),
          rttP50Ms: r1.echoRtt.p50,
          rttP99Ms: round(r1.echoRtt.p99),
        };
      } finally {
        await echo.close();
      }
    }
    return result;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
