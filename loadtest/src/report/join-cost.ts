// The report's lines for the join-cost phase (gate/join-cost.ts): each join beside its floor.
import type { BenchResult } from './types.ts';

const f = (v: number | null | undefined, unit = '', digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? 'n/a'
    : `${v.toLocaleString('en-US', { maximumFractionDigits: digits })}${unit}`;
const times = (a: number | null | undefined, b: number | null | undefined) =>
  a != null && b != null && b > 0 ? `${(a / b).toFixed(1)}×` : 'n/a';

/** Rows of the "CPU per operation" table. */
export function joinCostRows(r: BenchResult): string[] {
  const c = r.details.joinCost;
  if (!c) return [];
  const us = (v: number | null | undefined) => f(v, ' µs', 1);
  const rows: string[] = [];
  if (c.ws)
    rows.push(
      `| WebSocket join (connect, upgrade, join, welcome), gate processes, join-cost phase | ${us(c.ws.gateCpuUs)} | ${us(c.ws.floorCpuUs)}: raw uWS, same swarm (accept, upgrade, one welcome) | ${times(c.ws.gateCpuUs, c.ws.floorCpuUs)} |`,
      `| WebSocket join, Redis | ${us(c.ws.redisCpuUs)} | | |`,
    );
  if (c.http)
    rows.push(
      `| HTTP join on keep-alive connections, gate processes (\`joinHttpGateCpuUs\`, target ≤ 50) | ${us(c.http.gateCpuUs)} | ${us(c.http.floorCpuUs)}: raw uWS hello, same connections (\`joinHttpFloorCpuUs\`) | ${times(c.http.gateCpuUs, c.http.floorCpuUs)} |`,
      `| HTTP join, Redis (\`joinHttpRedisCpuUs\`, target ≤ 20) | ${us(c.http.redisCpuUs)} | | |`,
    );
  return rows;
}

/** A paragraph for "What a shopper costs the gate". */
export function joinCostSection(r: BenchResult): string[] {
  const c = r.details.joinCost;
  if (!c) return [];
  const idlePerJoin = (rate: number) =>
    c.idleGateCpuUsPerS !== null && rate > 0 ? c.idleGateCpuUsPerS / rate : null;
  const parts: string[] = [
    `Join cost phase (${c.gateWorkers} gate processes, proof of work off, a fresh event): with nothing joining the gate processes used ${f(c.idleGateCpuUsPerS, ' µs')} of CPU per second (ticks, heartbeats, refreshes); every per-join figure below includes that share (nothing is subtracted).`,
  ];
  if (c.ws)
    parts.push(
      `WebSocket joins: ${f(c.ws.joins)} at ${f(c.ws.offeredPerS)}/s offered, in ${c.ws.seconds} s: gate ${f(c.ws.gateCpuUs, ' µs', 1)} and Redis ${f(c.ws.redisCpuUs, ' µs', 1)} of CPU per join (targets ≤ 50 and ≤ 20), against ${f(c.ws.floorCpuUs, ' µs', 1)} for raw uWS with the same swarm (${f(c.ws.floorJoins)} joins)${c.ws.floorCpuUs != null && c.ws.floorCpuUs > 50 ? ': the connection alone costs more than the 50 µs target here, so no WebSocket join can meet it on this machine' : ''}. Idle share at this rate: ${f(idlePerJoin(c.ws.joins / Math.max(c.ws.seconds, 1e-9)), ' µs', 1)} per join.`,
    );
  if (c.http)
    parts.push(
      `HTTP joins (\`POST /v1/events/:id/join\`, wrk, ${c.http.wrk.connections} keep-alive connections, a new place each): ${f(c.http.joins)} in ${c.http.wrk.seconds} s (${f(c.http.perSecond)}/s, ${f(c.http.non2xx)} not 2xx and not counted), p99 ${f(c.http.wrk.latencyMs.p99, ' ms', 1)}: gate ${f(c.http.gateCpuUs, ' µs', 1)} and Redis ${f(c.http.redisCpuUs, ' µs', 1)} of CPU per join (targets ≤ 50 and ≤ 20), against ${f(c.http.floorCpuUs, ' µs', 1)} for a raw uWS hello on as many connections (${f(c.http.floorPerSecond)}/s). Idle share at this rate: ${f(idlePerJoin(c.http.perSecond), ' µs', 1)} per join.`,
    );
  return [parts.join(' '), ''];
}
