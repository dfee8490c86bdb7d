// The gate supervisor: GATE_WORKERS worker processes (0 = one per core) on the same port, run by
// the shared supervisor (restart on death; on SIGTERM/SIGINT each worker shuts down in the
// documented order: stop accepting → fail readiness → GOING_AWAY to sockets → release the
// admitter lease → close Redis).
import { availableParallelism } from 'node:os';
import { createLogger, gateSchema, loadConfigOrExit } from '@sluice/shared';
import { siblingEntry, superviseWorkers } from '@sluice/shared/cluster/supervise.ts';

const config = loadConfigOrExit(gateSchema);
superviseWorkers({
  entry: siblingEntry(import.meta.url, 'worker'),
  count: config.workers === 0 ? availableParallelism() : config.workers,
  env: process.env,
  name: 'gate',
  log: createLogger('gate-main', config.logLevel),
  details: { port: config.port },
});
