// Dashboard process: load config, start, print the operator token on one line when it was
// generated (the launcher shows it), shut down on SIGTERM/SIGINT.
import { createLogger, dashboardSchema, loadConfigOrExit } from '@sluice/shared';
import { startDashboard } from './app.ts';
import { adminTokenLine } from './auth/tokens.ts';

const config = loadConfigOrExit(dashboardSchema);
const log = createLogger('dashboard', config.logLevel);
const dash = await startDashboard(config, { logger: log });
if (dash.tokens.generated) process.stdout.write(`${adminTokenLine(dash.tokens)}\n`);

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, 'shutting down');
    void dash.close().then(() => process.exit(0));
  });
}
