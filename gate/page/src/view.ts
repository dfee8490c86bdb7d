// What the page shows for a Model at a moment: pure, so every state and every string choice is
// unit-tested without a DOM.
import { estimateInLane } from '@sluice/shared/protocol/estimate.ts';
import { type Model, servedFor } from './model.ts';
import { fmt, type Strings } from './strings.ts';

export interface View {
  screen: Model['screen'];
  title: string;
  body: string | null;
  /** Pre-queue countdown, `h:mm:ss` or `m:ss`. */
  countdown: string | null;
  ahead: string | null;
  aheadCount: number | null;
  wait: string | null;
  /** The unrounded estimate behind `wait`, seconds. */
  waitS: number | null;
  /** 0..1, or null when there is nothing to measure yet. */
  progress: number | null;
  /** Paused / reconnecting / polling / transient error line. */
  notice: string | null;
  showLeave: boolean;
  showRejoin: boolean;
  continueHref: string | null;
  /** The shopper's ticket number and how far admission has reached (checkable in the public log). */
  fairness: string | null;
  /** Events with lanes: which lane the shopper waits in. */
  lane: string | null;
}

/** Wait in words, rounded up to honest steps (never promise less than the line says). */
export function formatWait(waitS: number | null, s: Strings): string {
  if (waitS === null || !Number.isFinite(waitS)) return s.waitUnknown;
  if (waitS < 60) return s.waitUnderMinute;
  const minutes = Math.ceil(waitS / 60);
  if (minutes === 1) return s.waitOneMinute;
  if (minutes < 60) {
    // Above 10 minutes, steps of 5: the estimate is not more precise than that.
    const shown = minutes <= 10 ? minutes : Math.ceil(minutes / 5) * 5;
    return fmt(s.waitMinutes, { n: shown });
  }
  const rounded = Math.ceil(minutes / 5) * 5;
  return fmt(s.waitHours, { h: Math.floor(rounded / 60), m: rounded % 60 });
}

export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function render(m: Model, localNow: number, s: Strings, numberFormat: (n: number) => string): View {
  const v: View = {
    screen: m.screen,
    title: s.connecting,
    body: null,
    countdown: null,
    ahead: null,
    aheadCount: null,
    wait: null,
    waitS: null,
    progress: null,
    notice: null,
    showLeave: false,
    showRejoin: false,
    continueHref: null,
    fairness: null,
    lane: m.lane === null ? null : fmt(s.laneLine, { lane: m.lane }),
  };
  const linkNotice = m.link === 'reconnecting' ? s.reconnecting : m.link === 'polling' ? s.polling : null;
  const errorNotice = m.error && !m.errorFinal ? s[m.error] : null;
  switch (m.screen) {
    case 'connecting':
      v.notice = errorNotice ?? linkNotice;
      return v;
    case 'countdown': {
      v.title = s.countdownTitle;
      v.body = s.countdownNote;
      if (m.startAt !== null) v.countdown = formatCountdown(m.startAt - (localNow + m.clockOffsetMs));
      v.showLeave = true;
      v.notice = errorNotice ?? linkNotice;
      return v;
    }
    case 'waiting': {
      v.title = s.waitingTitle;
      v.showLeave = true;
      if (m.frame && m.score !== null) {
        const e = estimateInLane(m.frame, m.lane ?? undefined, m.score);
        const served = servedFor(m);
        v.aheadCount = e.ahead;
        v.ahead = numberFormat(e.ahead);
        v.waitS = m.event === 'paused' ? null : e.waitS;
        v.wait = formatWait(v.waitS, s);
        if (m.baseline !== null) {
          const left = Math.max(0, m.score - served);
          v.progress = Math.min(1, Math.max(0, 1 - left / m.baseline));
        }
        v.fairness = fmt(s.fairnessWaiting, { n: numberFormat(m.score), served: numberFormat(served) });
      }
      v.body = s.waitNote;
      v.notice = m.event === 'paused' ? s.paused : (errorNotice ?? linkNotice);
      return v;
    }
    case 'admitted':
      v.title = s.admittedTitle;
      v.body = s.admittedBody;
      v.progress = 1;
      if (m.score !== null) v.fairness = fmt(s.fairnessAdmitted, { n: numberFormat(m.score) });
      return v;
    case 'soldout':
      v.title = s.soldoutTitle;
      v.body = s.soldoutBody;
      return v;
    case 'closed':
      v.title = s.closedTitle;
      v.body = s.closedBody;
      return v;
    case 'left':
      v.title = s.leftTitle;
      v.body = s.leftBody;
      v.showRejoin = true;
      return v;
    case 'error':
      v.title = s.errorTitle;
      v.body = m.error ? s[m.error] : s.errGeneric;
      return v;
  }
}

export interface Announced {
  at: number;
  text: string;
}

/**
 * What the aria-live region should say now, or null. Screen changes are said at once; position
 * updates at most every `gapMs` and only when the words changed, so a screen reader is not
 * flooded on every tick.
 */
export function announcement(
  v: View,
  prev: Announced | null,
  prevScreen: View['screen'] | null,
  now: number,
  s: Strings,
  gapMs = 30_000,
): string | null {
  if (v.screen !== prevScreen) {
    if (v.screen === 'waiting' && v.aheadCount !== null) return positionText(v, s);
    return [v.title, v.body].filter(Boolean).join('. ');
  }
  if (v.screen !== 'waiting' || v.aheadCount === null) return null;
  const text = positionText(v, s);
  if (prev && (text === prev.text || now - prev.at < gapMs)) return null;
  return text;
}

function positionText(v: View, s: Strings): string {
  if (v.aheadCount === 0) return s.announceNoneAhead;
  if (v.aheadCount === 1) return s.announceOneAhead;
  return fmt(s.announceAhead, { n: v.ahead ?? String(v.aheadCount), wait: v.wait ?? s.waitUnknown });
}
