import { describe, expect, it } from 'vitest';
import { readiness } from './health.ts';

describe('readiness', () => {
  it('answers ok / failed / timeout per check, never the raw error (it names hosts and ports)', async () => {
    const r = await readiness(
      {
        redis: async () => {
          throw new Error('connect ECONNREFUSED 10.1.2.3:6379 (user sluice-gate)');
        },
        postgres: () => new Promise(() => {}),
        ok: async () => 1,
      },
      50,
    );
    expect(r.ready).toBe(false);
    // Before: checks.redis was the raw message, answered by every public /readyz.
    expect(r.checks).toEqual({ redis: 'failed', postgres: 'timeout', ok: 'ok' });
    expect(JSON.stringify(r.checks)).not.toContain('10.1.2.3');
    expect(r.detail.redis).toContain('ECONNREFUSED');
  });
});
