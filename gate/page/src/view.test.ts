import { estimate } from '@sluice/shared/protocol/estimate.ts';
import type { StateFrame } from '@sluice/shared/protocol/ws.ts';
import { describe, expect, it } from 'vitest';
import { initialModel, type Model, reduce } from './model.ts';
import { STRINGS } from './strings.ts';
import { announcement, formatCountdown, formatWait, render } from './view.ts';

const en = STRINGS.en!;
const nf = (n: number) => String(n);

function frame(p: Partial<StateFrame>): StateFrame {
  return {
    t: 'state',
    evt: 'e',
    st: 'open',
    served: 0,
    tail: 100,
    len: 100,
    rate: 10,
    adm: 10,
    cfg: 10,
    start: 1_000_000,
    seedHash: null,
    seed: null,
    now: 1_000_000,
    tick: 1,
    ...p,
  };
}

function waiting(score: number, f: StateFrame): Model {
  let m = reduce(initialModel, { t: 'welcome', msg: { placeId: 'p1', phase: 'queue', score } });
  m = reduce(m, { t: 'state', frame: f, localNow: f.now });
  return m;
}

describe('estimate (shared estimator, as the page uses it)', () => {
  it('shrinks steadily while the line moves at a steady rate', () => {
    let last = Number.POSITIVE_INFINITY;
    for (let served = 0; served < 500; served += 10) {
      const e = estimate(frame({ served, tail: 1000, len: 1000 - served, rate: 10 }), 600);
      expect(e.waitS!).toBeLessThan(last);
      last = e.waitS!;
    }
  });
});

describe('formatting', () => {
  it('rounds the wait up in honest steps', () => {
    expect(formatWait(null, en)).toBe(en.waitUnknown);
    expect(formatWait(30, en)).toBe(en.waitUnderMinute);
    expect(formatWait(61, en)).toBe('about 2 minutes');
    expect(formatWait(60 * 12 + 1, en)).toBe('about 15 minutes');
    expect(formatWait(3600 * 2 + 60, en)).toBe('about 2 h 5 min');
  });
  it('formats the countdown', () => {
    expect(formatCountdown(65_000)).toBe('1:05');
    expect(formatCountdown(3_725_000)).toBe('1:02:05');
    expect(formatCountdown(-5)).toBe('0:00');
  });
});

describe('model and view', () => {
  it('shows a countdown in the pre-queue, corrected by the server clock', () => {
    let m = reduce(initialModel, { t: 'welcome', msg: { placeId: 'p1', phase: 'prequeue', score: null } });
    m = reduce(m, {
      t: 'state',
      frame: frame({ st: 'prequeue', start: 2_000_000, now: 1_940_000 }),
      localNow: 1_900_000,
    });
    expect(m.screen).toBe('countdown');
    // Local clock is 40 s behind the server: 60 s to go by the server clock.
    expect(render(m, 1_900_000, en, nf).countdown).toBe('1:00');
  });

  it('moves from countdown to waiting when the shuffle assigns a number, and shows progress', () => {
    let m = reduce(initialModel, { t: 'welcome', msg: { placeId: 'p1', phase: 'prequeue', score: null } });
    m = reduce(m, { t: 'place', score: 41 });
    m = reduce(m, { t: 'state', frame: frame({ served: 1, tail: 100, len: 99 }), localNow: 1 });
    expect(m.screen).toBe('waiting');
    const v1 = render(m, 1, en, nf);
    expect(v1.progress).toBe(0);
    m = reduce(m, { t: 'state', frame: frame({ served: 21, tail: 100, len: 79 }), localNow: 2 });
    const v2 = render(m, 2, en, nf);
    expect(v2.progress).toBeCloseTo(0.5);
    expect(v2.aheadCount!).toBeLessThan(v1.aheadCount!);
    expect(v2.showLeave).toBe(true);
  });

  it('says paused, and that the wait is unknown, while the event is paused', () => {
    const m = waiting(50, frame({ st: 'paused', rate: 0 }));
    const v = render(m, 0, en, nf);
    expect(v.notice).toBe(en.paused);
    expect(v.wait).toBe(en.waitUnknown);
  });

  it('has clear final screens that late messages do not undo', () => {
    let m = waiting(50, frame({}));
    m = reduce(m, { t: 'state', frame: frame({ st: 'soldout' }), localNow: 0 });
    expect(render(m, 0, en, nf).title).toBe(en.soldoutTitle);
    expect(reduce(m, { t: 'state', frame: frame({ st: 'open' }), localNow: 0 }).screen).toBe('soldout');
    const admitted = reduce(waiting(5, frame({})), { t: 'admitted', ticket: 'x.y.z', exp: 1 });
    expect(admitted.screen).toBe('admitted');
    expect(reduce(admitted, { t: 'final', screen: 'closed' }).screen).toBe('admitted');
    const left = reduce(waiting(5, frame({})), { t: 'left' });
    expect(render(left, 0, en, nf)).toMatchObject({
      title: en.leftTitle,
      showRejoin: true,
      showLeave: false,
    });
    expect(reduce(left, { t: 'reset' }).screen).toBe('connecting');
  });

  it('shows a final error clearly and a transient one as a notice', () => {
    const fatal = reduce(initialModel, { t: 'error', key: 'errOrigin', final: true });
    expect(render(fatal, 0, en, nf)).toMatchObject({
      screen: 'error',
      title: en.errorTitle,
      body: en.errOrigin,
    });
    const transient = reduce(waiting(5, frame({})), { t: 'error', key: 'errRateLimited', final: false });
    expect(render(transient, 0, en, nf)).toMatchObject({ screen: 'waiting', notice: en.errRateLimited });
  });
});

describe('announcement', () => {
  it('announces screen changes at once and position changes at most every 30 s', () => {
    const v1 = render(waiting(500, frame({ served: 0, tail: 1000, len: 1000 })), 0, en, nf);
    const first = announcement(v1, null, 'connecting', 0, en);
    expect(first).toContain('499');
    const prev = { at: 0, text: first! };
    const v2 = render(waiting(500, frame({ served: 10, tail: 1000, len: 990 })), 0, en, nf);
    expect(announcement(v2, prev, 'waiting', 5_000, en)).toBeNull();
    expect(announcement(v2, prev, 'waiting', 31_000, en)).toContain('489');
    expect(announcement(v1, prev, 'waiting', 60_000, en)).toBeNull(); // same words: nothing new
  });
});

describe('fairness line', () => {
  it('shows the shopper their number and how far admission has reached, then the number they were admitted with', () => {
    const v = render(waiting(120, frame({ served: 80 })), 1_000_000, en, nf);
    expect(v.fairness).toBe('Your number is 120. Admitted so far: up to number 80.');
    const admitted = reduce(waiting(120, frame({ served: 80 })), { t: 'admitted', ticket: 'x.y.z', exp: 2_000_000 });
    expect(admitted.screen).toBe('admitted');
    expect(render(admitted, 1_000_000, en, nf).fairness).toBe('Your number was 120.');
  });
});

describe('lanes on the queue page', () => {
  const lanes = [
    { id: 'members', served: 90, tail: 120, len: 30, rate: 7.5, before: 0 },
    { id: 'public', served: 30, tail: 430, len: 400, rate: 2.5, before: 0 },
  ];
  it('shows the lane and counts the number within it (shares: the lane moves at its own speed)', () => {
    let m = reduce(initialModel, { t: 'welcome', msg: { placeId: 'p1', phase: 'queue', score: 130, lane: 'public' } });
    m = reduce(m, { t: 'state', frame: frame({ served: 120, tail: 550, len: 430, lanes }), localNow: 1_000_000 });
    const v = render(m, 1_000_000, en, nf);
    expect(v.lane).toBe('Your lane: public. Numbers count within it, first come first served.');
    // 99 public numbers ahead at 2.5 per second: 40 s; not the event-wide served/rate.
    expect(v.aheadCount).toBe(99);
    expect(v.waitS).toBe(40);
    expect(v.fairness).toBe('Your number is 130. Admitted so far: up to number 30.');
  });

  it('strict mode: everyone waiting in the lanes before mine is ahead of me', () => {
    const strict = [
      { ...lanes[0]!, rate: 10 },
      { ...lanes[1]!, rate: 0, before: 30 },
    ];
    let m = reduce(initialModel, { t: 'welcome', msg: { placeId: 'p1', phase: 'queue', score: 40, lane: 'public' } });
    m = reduce(m, { t: 'state', frame: frame({ served: 120, tail: 550, len: 430, adm: 10, lanes: strict }), localNow: 1_000_000 });
    const v = render(m, 1_000_000, en, nf);
    expect(v.aheadCount).toBe(39);
    expect(v.waitS).toBe(4);
  });

  it('an event without lanes shows none', () => {
    expect(render(waiting(50, frame({})), 1_000_000, en, nf).lane).toBeNull();
  });
});
