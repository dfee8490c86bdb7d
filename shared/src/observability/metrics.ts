// prom-client registry per service with the default process metrics. No per-user labels.
import client from 'prom-client';
import { ignoredErrors } from './ignored.ts';

export { client as prom };

export function createRegistry(service: string): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
  registry.registerMetric(ignoredErrors);
  return registry;
}
