// Smoke test: every load tool at tiny size (50 sockets, ~1 s of checkout load, a 100-shopper
// sale) against the real services, Redis and PostgreSQL. It checks that the tools produce
// well-formed results, never how fast anything was.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROFILES, runBench, writeResults } from './bench.ts';
import type { BenchResult } from './report/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIELDS = [
  'heldConnections', 'gateBytesPerConnection', 'baselineWsBytesPerConnection', 'joinsPerSecond', 'joinP99Ms',
  'broadcastP99Ms', 'checkoutPerSecond', 'checkoutP99Ms', 'verifyCeilingPerSecond', 'baselineCheckoutPerSecond',
  'rejectsPerSecond', 'baselineRejectsPerSecond', 'ordersPerSecond', 'admissionErrorPct', 'fifoInversions',
  'oversold', 'etaErrorPct', 'checkoutCpuUs', 'verifyCpuUs', 'checkoutRedisCpuUs', 'rejectCpuUs', 'orderRedisCpuUs',
  'orderWorkerCpuUs', 'baselineCheckoutCpuUs', 'baselineRejectCpuUs',
] as const;

describe('bench smoke (tiny profile)', () => {
  it('runs every tool and writes latest.json, the report and the charts', { timeout: 600_000 }, async () => {
    const r = await runBench(PROFILES.smoke!, () => {});
    expect(r.errors).toEqual({});
    // Every socket asked for was held, by the gate and by both baselines.
    expect(r.heldConnections).toBe(PROFILES.smoke!.held);
    expect(r.details.uwsHold?.held).toBe(PROFILES.smoke!.held);
    expect(r.details.wsHold?.held).toBe(PROFILES.smoke!.held);
    for (const f of FIELDS) expect(typeof r[f], f).toBe('number');
    // First use: every ticket distinct and accepted, the junk all refused with 401.
    const ck = r.details.checkout!;
    expect(ck.firstUse.reused).toBe(0);
    expect(ck.firstUse.statusCodes['202']).toBe(ck.firstUse.requests);
    expect(Object.keys(ck.junk.statusCodes)).toEqual(['401']);
    // The same ticket, sku and qty again while its reservation is open: the first order, replayed.
    expect(Object.keys(ck.repeat.statusCodes)).toEqual(['202']);
    // The sale sold exactly its stock, never more, and PostgreSQL agrees with Redis.
    const sale = r.details.flashSale!;
    expect(sale.oversold).toBe(0);
    expect(sale.reconcileOk).toBe(true);
    expect(sale.confirmedMatches).toBe(true);
    expect(sale.fifoInversions).toBe(0);
    expect(sale.admitted).toBeGreaterThan(0);

    const w = writeResults(r, dir);
    const latest = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as BenchResult;
    expect(latest.machine.cores).toBeGreaterThan(0);
    expect(latest.checkoutPerSecond).toBe(r.checkoutPerSecond);
    const md = readFileSync(w.report, 'utf8');
    expect(md).toContain('## Targets');
    for (const c of ['queue.svg', 'latency.svg', 'memory.svg', 'throughput.svg', 'broadcast.svg']) {
      expect(w.charts).toContain(c);
      expect(readFileSync(join(dir, c), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    }
    expect(existsSync(w.json)).toBe(true);
  });
});
