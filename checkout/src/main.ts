// Checkout API entry: config from the environment, then either one process serving the API
// (CHECKOUT_WORKERS=1, the default) or a supervisor forking that many API workers on one port
// (0 = one per core). Each API process shuts down in order on SIGTERM/SIGINT (stop accepting
// and fail readiness, drain requests, close Redis, PostgreSQL).
import { availableParallelism } from 'node:os';
import { checkoutSchema, createLogger, loadConfigOrExit } from '@sluice/shared';
import { serveOne } from './cluster/serve-one.ts';
import { supervise } from './cluster/supervisor.ts';

const config = loadConfigOrExit(checkoutSchema);
const log = createLogger('checkout', config.logLevel);
const count = config.workers === 0 ? availableParallelism() : config.workers;
if (count === 1) await serveOne(config, log);
else await supervise(count, config, log);
