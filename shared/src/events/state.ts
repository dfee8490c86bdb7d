// Time-driven state changes, as a pure function of the stored state, the config and `now`.
import type { EventState } from '../protocol/ws.ts';
import type { EventConfig } from './model.ts';

/**
 * The state an event should move to at `now`, or null if it stays. Manual states (paused,
 * closed) and soldout are never left by time alone.
 */
export function timeTransition(state: EventState, cfg: Pick<EventConfig, 'prequeueAt' | 'startAt'>, now: number): EventState | null {
  if (state === 'scheduled' && now >= cfg.startAt) return 'open';
  if (state === 'scheduled' && now >= cfg.prequeueAt) return 'prequeue';
  if (state === 'prequeue' && now >= cfg.startAt) return 'open';
  return null;
}

/** Manual transitions an operator may ask for. */
const MANUAL: Record<string, readonly EventState[]> = {
  pause: ['open', 'soldout'],
  resume: ['paused'],
  close: ['scheduled', 'prequeue', 'open', 'paused', 'soldout'],
  open: ['scheduled', 'prequeue'],
};

export type ManualAction = 'pause' | 'resume' | 'close' | 'open';

/** The state after an operator action, or null if the action is not allowed from `state`. */
export function manualTransition(state: EventState, action: ManualAction): EventState | null {
  if (!MANUAL[action]?.includes(state)) return null;
  return action === 'pause' ? 'paused' : action === 'close' ? 'closed' : 'open';
}

/** Whether shoppers may join (and in which line). */
export function joinLine(state: EventState): 'prequeue' | 'queue' | null {
  if (state === 'prequeue' || state === 'scheduled') return state === 'prequeue' ? 'prequeue' : null;
  if (state === 'open' || state === 'paused') return 'queue';
  return null;
}
