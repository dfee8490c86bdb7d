// Static checks of the deployment files, part 1: the compose file's services, their environment
// and the config each process boots with (deploy/checks.ts re-exports every part).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allSchemas, ConfigError, loadConfig, type Schema } from '../../shared/src/config/index.ts';

export interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  working_dir?: string;
  restart?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { source?: string; target?: string })[];
  healthcheck?: { test?: string | string[] };
  deploy?: { replicas?: number };
}
export interface Compose {
  services: Record<string, Service>;
}

type SchemaName = keyof typeof allSchemas;

/** Which config schema each Sluice process reads; a new service must be added here. */
export const SERVICE_SCHEMA: Record<string, SchemaName> = {
  gate: 'gate',
  checkout: 'checkout',
  worker: 'worker',
  dashboard: 'dashboard',
  migrate: 'checkout',
};

/** The config field holding the port each process serves /metrics, /healthz and /readyz on. */
const PORT_FIELD: Record<SchemaName, string> = {
  gate: 'port',
  checkout: 'port',
  worker: 'metricsPort',
  dashboard: 'port',
};

/** Where the image puts the repository (Dockerfile WORKDIR). */
export const APP_DIR = '/app';

export const readText = (root: string, path: string): string => readFileSync(join(root, path), 'utf8');
export const parseYaml = (text: string): unknown => parse(text, { merge: true });
export const loadCompose = (root: string): Compose =>
  parseYaml(readText(root, 'docker-compose.yml')) as Compose;

/**
 * Compose interpolation against an empty environment, i.e. the value a fresh deployment gets:
 * `${A:-x}` and `${A-x}` give x, `${A}`, `$A`, `${A:?msg}` and `${A:+x}` give '', `$$` gives `$`.
 */
export function interpolate(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, _braced: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (whole === '$$') return '$';
      return op === '-' || op === ':-' ? (arg ?? '') : '';
    },
  );
}

/** A service's environment as name → value after interpolation (undefined: taken from the host). */
export function environmentOf(service: Service): Record<string, string | undefined> {
  const env = service.environment ?? {};
  const out: Record<string, string | undefined> = {};
  if (Array.isArray(env)) {
    for (const item of env) {
      const eq = item.indexOf('=');
      if (eq === -1) out[item] = undefined;
      else out[item.slice(0, eq)] = interpolate(item.slice(eq + 1));
    }
  } else {
    for (const [name, value] of Object.entries(env)) {
      out[name] = value === null ? undefined : interpolate(String(value));
    }
  }
  return out;
}

/** Services run from the Sluice image (built from the Dockerfile). */
export function sluiceServices(compose: Compose): [string, Service][] {
  return Object.entries(compose.services).filter(
    ([, s]) => s.build !== undefined || s.image?.startsWith('sluice:'),
  );
}

/** Long-running Sluice processes (not one-shot jobs such as migrate). */
export const longRunning = (compose: Compose): [string, Service][] =>
  sluiceServices(compose).filter(([, s]) => s.restart !== 'no');

/** The parsed config a service boots with, or the ConfigError it would exit with. */
function configOf(name: string, service: Service): Record<string, unknown> | ConfigError | undefined {
  const schemaName = SERVICE_SCHEMA[name];
  if (!schemaName) return undefined;
  const env = Object.fromEntries(Object.entries(environmentOf(service)).filter(([, v]) => v !== undefined));
  try {
    return loadConfig(allSchemas[schemaName] as Schema, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

/** A service's effective config (environment over schema defaults); undefined when it does not load. */
export function effectiveConfig(name: string, service: Service): Record<string, unknown> | undefined {
  const config = configOf(name, service);
  return config instanceof ConfigError ? undefined : config;
}

/** The port a Sluice service listens on, from its environment or the schema default. */
export function portOf(name: string, service: Service): number | undefined {
  const schemaName = SERVICE_SCHEMA[name];
  const config = configOf(name, service);
  if (!schemaName || !config || config instanceof ConfigError) return undefined;
  return config[PORT_FIELD[schemaName]] as number;
}

/** Every variable set on a Sluice service is in its schema and holds a value the schema accepts. */
export function envProblems(compose: Compose): string[] {
  const problems: string[] = [];
  for (const [name, service] of sluiceServices(compose)) {
    const schemaName = SERVICE_SCHEMA[name];
    if (!schemaName) {
      problems.push(`${name}: no config schema mapped to this service (SERVICE_SCHEMA in deploy/checks.ts)`);
      continue;
    }
    const known = new Set(Object.values(allSchemas[schemaName] as Schema).map((f) => f.env));
    for (const variable of Object.keys(environmentOf(service))) {
      if (!known.has(variable))
        problems.push(`${name}: ${variable} is not a variable of the ${schemaName} schema`);
    }
    const config = configOf(name, service);
    if (config instanceof ConfigError) problems.push(`${name}: ${config.message}`);
  }
  return problems;
}

/** URLs in one service's environment that name another Sluice service must use that service's port. */
export function crossReferenceProblems(compose: Compose): string[] {
  const ports = new Map(sluiceServices(compose).map(([n, s]) => [n, portOf(n, s)]));
  const problems: string[] = [];
  for (const [name, service] of sluiceServices(compose)) {
    for (const [variable, value] of Object.entries(environmentOf(service))) {
      for (const part of (value ?? '').split(',')) {
        if (!URL.canParse(part.trim())) continue;
        const url = new URL(part.trim());
        const expected = ports.get(url.hostname);
        if (expected !== undefined && Number(url.port) !== expected) {
          problems.push(
            `${name}: ${variable} points at ${url.host} but ${url.hostname} listens on ${expected}`,
          );
        }
      }
    }
  }
  return problems;
}
