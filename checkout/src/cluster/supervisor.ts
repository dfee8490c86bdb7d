// The checkout supervisor: `count` API worker processes on one port (hyper-express runs on
// uWebSockets.js, which reuses the port), run by the shared supervisor.
import net from 'node:net';
import type { Logger } from '@sluice/shared';
import type { CheckoutConfig } from '../app.ts';
import { siblingEntry, superviseWorkers } from '@sluice/shared/cluster/supervise.ts';

const ENTRY = siblingEntry(import.meta.url, 'api-worker');

/** A free port on `host`: workers sharing port 0 would each get a different one. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export async function supervise(count: number, config: CheckoutConfig, log: Logger): Promise<void> {
  const port = config.port === 0 ? await freePort(config.host) : config.port;
  superviseWorkers({
    entry: ENTRY,
    count,
    env: { ...process.env, CHECKOUT_PORT: String(port), CHECKOUT_WORKERS: '1' },
    name: 'checkout',
    log,
    details: { port },
  });
}
