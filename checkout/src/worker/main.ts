// Order worker process: config from the environment; SIGTERM/SIGINT stop it in order (sweeper,
// active jobs, last batch, connections).
import { createLogger, loadConfigOrExit, workerSchema } from '@sluice/shared';
import { startWorker } from './worker.ts';

const config = loadConfigOrExit(workerSchema);
const log = createLogger('worker', config.logLevel);
const worker = await startWorker(config, { log });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await worker.close();
    process.exit(0);
  });
}
