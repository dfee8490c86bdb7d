import { describe, expect, it } from 'vitest';
import { AUTOPILOT_DEFAULTS, type AutopilotInputs, decideRate, validateAutopilot } from './autopilot.ts';

const cfg = { ...AUTOPILOT_DEFAULTS, enabled: true, floor: 10, ceiling: 100, maxStep: 10, targetP99Ms: 200, maxErrorShare: 0.05, maxBacklog: 100 };
const healthy: AutopilotInputs = { p99Ms: 20, errorShare: 0, backlog: 0, stockLeft: 1000, active: 10, waiting: 500, buyShare: 0.5 };

describe('autopilot decisions', () => {
  it('comes down one step when checkout p99, its 429/5xx share or the order backlog is over the limit', () => {
    for (const bad of [{ p99Ms: 900 }, { errorShare: 0.2 }, { backlog: 500 }]) {
      const d = decideRate({ ...healthy, ...bad }, cfg, 50);
      expect(d).toMatchObject({ rate: 40, direction: 'down' });
    }
    expect(decideRate({ ...healthy, p99Ms: 900 }, cfg, 50).reason).toContain('checkout p99 900 ms > 200 ms');
  });

  it('goes up half a step only with headroom, shoppers waiting and stock not already spoken for', () => {
    expect(decideRate(healthy, cfg, 50)).toMatchObject({ rate: 55, direction: 'up' });
    expect(decideRate({ ...healthy, p99Ms: 150 }, cfg, 50).direction).toBe('hold'); // under target, no headroom
    expect(decideRate({ ...healthy, waiting: 0 }, cfg, 50).direction).toBe('hold');
    expect(decideRate({ ...healthy, stockLeft: 0 }, cfg, 50).direction).toBe('hold');
    expect(decideRate({ ...healthy, active: 400, buyShare: 0.5, stockLeft: 150 }, cfg, 50).reason).toContain('expected to take');
    expect(decideRate({ ...healthy, p99Ms: null, errorShare: null }, cfg, 50).direction).toBe('up'); // no traffic yet
  });

  it('never leaves [floor, ceiling] and never moves more than one step inside them', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let rate = 50;
    for (let i = 0; i < 5000; i++) {
      const inp: AutopilotInputs = {
        p99Ms: rnd() < 0.1 ? null : rnd() * 400,
        errorShare: rnd() < 0.1 ? null : rnd() * 0.1,
        backlog: Math.floor(rnd() * 200),
        stockLeft: Math.floor(rnd() * 1000),
        active: Math.floor(rnd() * 500),
        waiting: Math.floor(rnd() * 100),
        buyShare: rnd() < 0.2 ? null : rnd(),
      };
      const d = decideRate(inp, cfg, rate);
      expect(d.rate).toBeGreaterThanOrEqual(cfg.floor);
      expect(d.rate).toBeLessThanOrEqual(cfg.ceiling);
      expect(Math.abs(d.rate - rate)).toBeLessThanOrEqual(cfg.maxStep);
      rate = d.rate;
    }
  });

  it('brings a rate set outside the bounds back inside', () => {
    expect(decideRate(healthy, cfg, 500)).toMatchObject({ rate: 100, direction: 'down' });
    expect(decideRate({ ...healthy, backlog: 1000 }, cfg, 2)).toMatchObject({ rate: 10 });
    // Unhealthy below the floor: the floor still wins, and the change is labelled (audit log,
    // metric, console) as the rise it is, not as a hold (review r15: it said 'hold' while raising).
    const d = decideRate({ ...healthy, backlog: 1000 }, cfg, 2);
    expect(d.direction).toBe('up');
    expect(d.reason).toContain('raised to the floor 10');
  });
});

describe('autopilot settings', () => {
  it('fills defaults and refuses bad or unknown settings naming the field', () => {
    expect(validateAutopilot(undefined)).toEqual(AUTOPILOT_DEFAULTS);
    expect(validateAutopilot({ enabled: true }).enabled).toBe(true);
    expect(() => validateAutopilot({ floor: 50, ceiling: 10 })).toThrow(/autopilot.floor/);
    expect(() => validateAutopilot({ maxStep: 0 })).toThrow(/autopilot.maxStep/);
    expect(() => validateAutopilot({ speed: 1 })).toThrow(/autopilot.speed/);
    expect(() => validateAutopilot([])).toThrow(/autopilot/);
  });
});
