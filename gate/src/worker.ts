// One gate worker process: loads the config, starts the gate on the shared port and shuts it
// down gracefully on SIGTERM/SIGINT (or a `shutdown` message from main.ts).
import { gateSchema, loadConfigOrExit } from '@sluice/shared';
import { joinFleetMetrics } from '@sluice/shared/cluster/fleet-metrics.ts';
import { startGate } from './app.ts';

const config = loadConfigOrExit(gateSchema);
const gate = await startGate(config);
joinFleetMetrics(gate.ctx.metrics.registry);
process.send?.({ type: 'listening', port: gate.port, pid: process.pid });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await gate.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('message', (m: { type?: string }) => {
  if (m?.type === 'shutdown') void stop();
});
