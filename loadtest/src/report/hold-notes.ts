// Sentences of REPORT.md about held sockets that the gate and baseline paragraphs append: how
// the joins were retried, which admitter ran, the tick-to-socket floor, and how each memory
// reading was taken. A memory reading at or below zero is a failed measurement, never a figure.
import type { HoldResult } from '../baseline/hold.ts';
import type { GateHoldResult } from '../gate/hold.ts';
import type { TwoStepHold } from '../swarm/two-step.ts';

const f = (v: number | null | undefined, unit = '', digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? 'n/a'
    : `${v.toLocaleString('en-US', { maximumFractionDigits: digits })}${unit}`;

/** A memory-per-socket cell: the figure, or a failed measurement when any reading was ≤ 0. */
export function memCell(v: number | null, failed: boolean | null | undefined): string {
  if (v !== null && (failed || v <= 0))
    return `failed measurement (${f(v, ' B')} read${failed && v > 0 ? ', a reading ≤ 0' : ''})`;
  return f(v, ' B');
}

/** How a memory reading was taken (forced GC rounds until the RSS stopped falling). */
export function memoryMethod(m: TwoStepHold, withReadings = true): string {
  if (!m.forcedGc) return '';
  const rounds = m.gcRounds?.length
    ? ` (rounds for the empty, half and full readings: ${m.gcRounds.join(', ')})`
    : '';
  return ` Each reading: a full GC in every server, then the settled RSS, repeated a few seconds apart until two rounds in a row no longer fell${rounds}${withReadings ? `; the three readings with all held: ${m.perConnectionReadings.map((b) => f(b, ' B')).join(', ')} per socket` : ''}.`;
}

/** Retries, admitter, shortfall and the tick-to-socket window of the gate hold phase. */
export function gateHoldNotes(g: GateHoldResult, floor: HoldResult['publish'] | undefined): string {
  const L: string[] = [];
  if (g.admitter)
    L.push(
      g.admitter === 'dedicated'
        ? 'The admitter ran in a process of its own (GATE_ADMITTER=dedicated; not in the gate CPU figures): socket work did not delay its ticks.'
        : 'The admitter ran inside the socket workers (GATE_ADMITTER=every).',
    );
  if (g.retries !== undefined)
    L.push(
      `Handshakes retried with a new socket after a backoff: ${f(g.retries)}; shoppers held only thanks to a retry: ${f(g.joinedAfterRetry ?? null)}; given up after every attempt: ${f(g.swarm.failed)}.`,
    );
  if (g.shortfall)
    L.push(
      `Short of the sockets asked for, so the phase counts as failed and the figures above are partial: ${g.shortfall}.`,
    );
  const t = g.tickToSocket;
  if (t.ticksShort !== undefined)
    L.push(
      `Tick-to-socket window: ${f(t.ticks)} ticks stamped in the ${g.holdSeconds} s hold; ${f(t.ticksShort)} of them had not reached 99 % of the sockets ${f(t.drainS ?? null, ' s', 1)} after it and are left out of the percentiles.`,
    );
  const ft = floor?.tickToSocket;
  if (ft)
    L.push(
      `Floor of tick to socket (raw uWS publishing a ${f(floor?.frameBytes ?? null)}-byte frame stamped with its time to ${f(floor?.sockets ?? null)} sockets at the same tick, same swarm): p50 ${f(ft.p50, ' ms', 1)}, p99 ${f(ft.p99, ' ms', 1)}, max ${f(ft.max, ' ms', 1)} (${f(ft.ticks)} frames, ${f(ft.ticksShort)} short of 99 %).`,
    );
  return L.length ? ` ${L.join(' ')}` : '';
}

/**
 * What bounds tick to socket at this size, from the run's own figures: the frames per second the
 * ticks ask for (ticks per second × sockets held) times the gate's CPU per frame, against the cores.
 */
export function tickBound(
  g: GateHoldResult,
  frameGateCpuUs: number | null,
  frameFloorCpuUs: number | null,
  cores: number,
  profile: string,
): string {
  const perS = g.holdSeconds > 0 ? g.tickToSocket.ticks / g.holdSeconds : 0;
  const framesPerS = perS * g.held;
  const held =
    g.requested < 100_000
      ? ` The ${profile} profile asks for ${f(g.requested)} sockets; 100,000 is the \`hold\` profile's size (\`--profile hold\`).`
      : '';
  if (!frameGateCpuUs || !framesPerS) return held.trim();
  const cores_ = (us: number | null, fps = framesPerS) => (us ? f((fps * us) / 1e6, ' cores', 2) : 'n/a');
  const configured = g.tickMs
    ? ` At one tick every ${g.tickMs} ms (GATE_TICK_MS) that would be ${cores_(frameGateCpuUs, (1000 / g.tickMs) * g.held)} of gate CPU (raw uWS: ${cores_(frameFloorCpuUs, (1000 / g.tickMs) * g.held)}).`
    : '';
  return (
    `One tick to ${f(g.held)} sockets is ${f(g.held)} frames: ${f((g.held * frameGateCpuUs) / 1000, ' ms', 0)} of gate CPU at ${f(frameGateCpuUs, ' µs', 2)} per frame (raw uWS publish: ${f(frameFloorCpuUs === null ? null : (g.held * frameFloorCpuUs) / 1000, ' ms', 0)}).${configured} ` +
    `At the ${f(perS, '', 1)} ticks per second seen in the hold, the frames alone ask for ${cores_(frameGateCpuUs)} of gate CPU (raw uWS: ${cores_(frameFloorCpuUs)}) of the machine's ${cores}, before the swarm reads them on the same cores; a tick that finds the cores busy with the previous ones waits${g.admitter === 'every' ? ' (with the admitter in the socket workers the ticks themselves slow down to this)' : ''}.${held}`
  );
}
