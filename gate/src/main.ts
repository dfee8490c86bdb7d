// The gate supervisor: GATE_WORKERS worker processes (0 = one per core) on the same port, run by
// the shared supervisor (restart on death; on SIGTERM/SIGINT each worker shuts down in the
// documented order: stop accepting → fail readiness → GOING_AWAY to sockets → release the
// admitter lease → close Redis).
import { availableParallelism } from 'node:os';
import { createLogger, gateSchema, loadConfigOrExit } from '@sluice/shared';
import { siblingEntry, superviseWorkers } from '@sluice/shared/cluster/supervise.ts';

const config = loadConfigOrExit(gateSchema);
const sockets = config.workers === 0 ? availableParallelism() : config.workers;
// GATE_ADMITTER=dedicated: the socket workers run no admitter and one more process (the last
// slot) runs only the admitter, listening on 127.0.0.1 at a port of its own, so no shopper's
// socket work delays its ticks. A replacement for a dead one is forked like any worker; meanwhile
// the lease lapses and admission pauses (other hosts' admitter processes may take it over).
const dedicated = config.admitter === 'dedicated';
superviseWorkers({
  entry: siblingEntry(import.meta.url, 'worker'),
  count: dedicated ? sockets + 1 : sockets,
  env: process.env,
  envOf: dedicated
    ? (slot) =>
        slot === sockets
          ? { ...process.env, GATE_ADMITTER: 'dedicated', GATE_HOST: '127.0.0.1', GATE_PORT: '0' }
          : { ...process.env, GATE_ADMITTER: 'none' }
    : undefined,
  name: 'gate',
  log: createLogger('gate-main', config.logLevel),
  details: { port: config.port },
});
