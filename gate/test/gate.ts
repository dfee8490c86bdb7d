// Start an in-process gate for a test, on port 0 with the test's key prefix.
import { gateSchema, loadConfig } from '@sluice/shared';
import { type RunningGate, type StartOptions, startGate } from '../src/app.ts';
import { quietLog } from './helpers.ts';

export async function testGate(
  prefix: string,
  env: Record<string, string> = {},
  opts: StartOptions = {},
): Promise<RunningGate & { ws: (evt: string) => string; http: string }> {
  const config = loadConfig(gateSchema, {
    SLUICE_PREFIX: prefix,
    GATE_HOST: '127.0.0.1',
    GATE_PORT: '0',
    GATE_SERVE_PAGE: 'false',
    GATE_TICK_MS: '50',
    // Every test client shares 127.0.0.1; the tests of these limits set them.
    GATE_MAX_PLACES_PER_IP: '1000000',
    GATE_MAX_SOCKETS_PER_IP: '1000000',
    ...env,
  });
  const g = await startGate(config, { log: quietLog, ...opts });
  return {
    ...g,
    ws: (evt) => `ws://127.0.0.1:${g.port}/v1/events/${evt}/ws`,
    http: `http://127.0.0.1:${g.port}`,
  };
}
