// The worker's own small HTTP server (node:http): /healthz, /readyz, /metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Check, type prom, readiness } from '@sluice/shared';

export async function startOpsServer(
  port: number,
  host: string,
  deps: { checks: Record<string, Check>; registry: prom.Registry; draining: () => boolean },
): Promise<{ port: number; server: Server }> {
  const server = createServer(async (req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'GET') return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed.' } });
      if (req.url === '/healthz') return json(200, { ok: true });
      if (req.url === '/readyz') {
        const r = await readiness(deps.checks, 1000);
        const ready = r.ready && !deps.draining();
        return json(ready ? 200 : 503, { ready, draining: deps.draining(), checks: r.checks });
      }
      if (req.url === '/metrics') {
        const text = await deps.registry.metrics();
        res.writeHead(200, { 'content-type': deps.registry.contentType }).end(text);
        return;
      }
      json(404, { error: { code: 'NOT_FOUND', message: 'Not found.' } });
    } catch {
      json(500, { error: { code: 'INTERNAL', message: 'Internal error.' } });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { port: (server.address() as AddressInfo).port, server };
}
