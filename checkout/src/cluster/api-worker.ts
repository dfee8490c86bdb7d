// Entry of a checkout API worker forked by the supervisor (main.ts with CHECKOUT_WORKERS ≠ 1).
import { checkoutSchema, createLogger, loadConfigOrExit } from '@sluice/shared';
import { serveOne } from './serve-one.ts';

const config = loadConfigOrExit(checkoutSchema);
await serveOne(config, createLogger('checkout', config.logLevel).child({ worker: process.pid }), true);
