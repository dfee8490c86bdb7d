// Operational endpoints: liveness, readiness (503 while Redis or PostgreSQL does not answer, or
// while draining) and Prometheus metrics.
import { type Check, type prom, readiness } from '@sluice/shared';
import type { Server } from 'hyper-express';
import { sendJson } from './respond.ts';
import { metricsText } from '@sluice/shared/cluster/fleet-metrics.ts';

export interface OpsDeps {
  checks: Record<string, Check>;
  registry: prom.Registry;
  draining: () => boolean;
}

export function registerOps(server: Server, deps: OpsDeps): void {
  server.get('/healthz', (_req, res) => sendJson(res, 200, { ok: true }));
  server.get('/readyz', async (_req, res) => {
    const r = await readiness(deps.checks, 1000);
    const ready = r.ready && !deps.draining();
    sendJson(res, ready ? 200 : 503, { ready, draining: deps.draining(), checks: r.checks });
  });
  server.get('/metrics', async (_req, res) => {
    // Every API worker process of this checkout (shared/src/cluster/fleet-metrics.ts).
    const m = await metricsText(deps.registry);
    if (res.completed) return;
    res.header('content-type', m.contentType).send(m.text);
  });
}
