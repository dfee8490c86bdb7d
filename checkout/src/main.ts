// Checkout API process: config from the environment, then the app; SIGTERM/SIGINT shut it down
// in order (stop accepting and fail readiness, drain requests, close BullMQ, Redis, PostgreSQL).
import { checkoutSchema, createLogger, loadConfigOrExit } from '@sluice/shared';
import { startCheckout } from './app.ts';

const config = loadConfigOrExit(checkoutSchema);
const log = createLogger('checkout', config.logLevel);
const app = await startCheckout(config, { log });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  });
}
