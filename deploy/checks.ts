// Static checks of the deployment files (there is no Docker engine in CI): each function takes the
// parsed files and returns a list of problems, empty when the files agree with the code.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allSchemas, ConfigError, loadConfig, type Schema } from '../shared/src/config/index.ts';
import { builtFrom } from '../scripts/build.ts';
import { PLACEHOLDER_PREFIX, render } from './nginx/render.ts';

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
const APP_DIR = '/app';

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

interface Pkg {
  name?: string;
  scripts?: Record<string, string>;
  workspaces?: string[];
}
const readPkg = (root: string, dir: string): Pkg =>
  JSON.parse(readText(root, join(dir, 'package.json'))) as Pkg;

/** `-w gate`, `--workspace=gate` or `--workspace @sluice/gate` → the workspace folder ('.' without). */
function workspaceDir(root: string, args: string[]): { dir: string } | { error: string } {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const value = arg.startsWith('--workspace=')
      ? arg.slice(12)
      : arg === '-w' || arg === '--workspace'
        ? args[i + 1]
        : undefined;
    if (value === undefined) continue;
    const dir = (readPkg(root, '.').workspaces ?? []).find(
      (d) => d === value || readPkg(root, d).name === value,
    );
    return dir ? { dir } : { error: `no workspace ${value}` };
  }
  return { dir: '.' };
}

/** A `node [--import tsx] <file>` command line: the file must exist (relative to `cwd`). */
function nodeEntryProblem(root: string, cwd: string, argv: string[], what: string): string | undefined {
  const args = argv.slice(1);
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--import' || arg === '--require' || arg === '-r') i++;
    else if (arg === '-e' || arg === '--eval') return undefined;
    else if (!arg.startsWith('-')) {
      files.push(arg);
      break;
    }
  }
  const file = files[0];
  if (!file) return `${what}: no entry file in "${argv.join(' ')}"`;
  const path = join(cwd, file);
  if (/(^|\/)build\//.test(path)) {
    // Written by `npm run build` (not in the repository): its source must be one the build emits.
    return builtFrom(path)
      ? undefined
      : `${what}: ${path} is not written by npm run build (scripts/build.ts)`;
  }
  return existsSync(join(root, path)) ? undefined : `${what}: ${path} does not exist`;
}

/** One command (argv) as the image would run it from `cwd` (relative to the repository). */
export function commandProblem(root: string, cwd: string, argv: string[], what: string): string | undefined {
  if (argv[0] === 'node') return nodeEntryProblem(root, cwd, argv, what);
  if (argv[0] !== 'npm' || (argv[1] !== 'run' && argv[1] !== 'run-script' && argv[1] !== 'start')) {
    return `${what}: expected "npm run <script>" or "node <file>", got "${argv.join(' ')}"`;
  }
  const script = argv[1] === 'start' ? 'start' : argv[2];
  const rest = argv.slice(argv[1] === 'start' ? 2 : 3);
  if (!script) return `${what}: no script name`;
  const ws = workspaceDir(root, rest);
  if ('error' in ws) return `${what}: ${ws.error}`;
  const { dir } = ws;
  const body = readPkg(root, dir).scripts?.[script];
  if (body === undefined) return `${what}: no script "${script}" in ${join(dir, 'package.json')}`;
  // Follow the script one level when it is a plain node command, so a moved entry file is caught.
  const words = body.trim().split(/\s+/);
  return words[0] === 'node' && !/[;&|]/.test(body)
    ? nodeEntryProblem(root, dir, words, `${what} (${script})`)
    : undefined;
}

/** A `node …` command run in a package folder must be one of that package's scripts, verbatim. */
function scriptMismatch(root: string, cwd: string, argv: string[], what: string): string | undefined {
  if (argv[0] !== 'node') return undefined;
  if (!existsSync(join(root, cwd, 'package.json'))) return `${what}: ${cwd} is not a package folder`;
  const line = argv.join(' ');
  const scripts = Object.values(readPkg(root, cwd).scripts ?? {});
  return scripts.includes(line)
    ? undefined
    : `${what}: "${line}" is not a script of ${join(cwd, 'package.json')}`;
}

const argvOf = (command: string | string[]): string[] =>
  Array.isArray(command) ? command : command.trim().split(/\s+/);

/** Every Sluice service command (or the image CMD it inherits) refers to a real script or file. */
export function commandProblems(root: string, compose: Compose, dockerfile: string): string[] {
  const cmd = dockerfileCmd(dockerfile);
  const problems: string[] = [];
  for (const [name, service] of sluiceServices(compose)) {
    const argv = service.command ? argvOf(service.command) : cmd;
    if (!argv) {
      problems.push(`${name}: no command and no CMD in the Dockerfile`);
      continue;
    }
    const wd = service.working_dir ?? APP_DIR;
    if (wd !== APP_DIR && !wd.startsWith(`${APP_DIR}/`)) {
      problems.push(`${name}: working_dir ${wd} is outside ${APP_DIR}`);
      continue;
    }
    const cwd = wd.slice(APP_DIR.length + 1) || '.';
    const problem = commandProblem(root, cwd, argv, name) ?? scriptMismatch(root, cwd, argv, name);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** A command that runs TypeScript through a loader instead of the built JavaScript. */
export function loaderProblem(argv: string[], what: string): string | undefined {
  if (argv[0] !== 'node') return undefined;
  const line = argv.join(' ');
  if (
    /--(import|loader|require)[ =]tsx\b|(^|\s)-r\s+tsx\b/.test(line) ||
    argv.some((a) => /\.[mc]?ts$/.test(a))
  )
    return `${what}: "${line}" runs TypeScript; production runs the JavaScript of npm run build`;
  return undefined;
}

/** Every Sluice service and the Dockerfile CMD run built JavaScript with plain node. */
export function compiledProblems(compose: Compose, dockerfile: string): string[] {
  const problems: string[] = [];
  for (const [name, service] of sluiceServices(compose)) {
    const argv = service.command ? argvOf(service.command) : dockerfileCmd(dockerfile);
    const p =
      argv &&
      (argv[0] === 'node' ? loaderProblem(argv, name) : `${name}: runs "${argv.join(' ')}", not node`);
    if (p) problems.push(p);
  }
  const cmd = dockerfileCmd(dockerfile);
  const p = cmd && loaderProblem(cmd, 'Dockerfile CMD');
  if (p) problems.push(p);
  return problems;
}

/** The final stage's exec-form CMD of the Dockerfile. */
export function dockerfileCmd(dockerfile: string): string[] | undefined {
  const lines = dockerfile.split('\n').filter((l) => /^CMD\s/i.test(l));
  const last = lines.at(-1);
  return last ? (JSON.parse(last.replace(/^CMD\s+/i, '')) as string[]) : undefined;
}

/** Stages build → runtime, the runtime as a non-root user, and every `npm run` in it exists. */
export function dockerfileProblems(root: string, dockerfile: string): string[] {
  const problems: string[] = [];
  const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
  if (stages.join(',') !== 'build,runtime')
    problems.push(`stages are ${stages.join(', ')}, expected build, runtime`);
  const runtime = dockerfile.slice(dockerfile.search(/^FROM\s+\S+\s+AS\s+runtime/im));
  const users = [...runtime.matchAll(/^USER\s+(\S+)/gim)].map((m) => m[1]);
  const user = users.at(-1);
  if (!user || user === 'root' || user === '0' || user.startsWith('0:')) {
    problems.push(`runtime stage runs as ${user ?? 'root (no USER)'}`);
  }
  const cmd = dockerfileCmd(dockerfile);
  const cmdProblem = cmd ? commandProblem(root, '.', cmd, 'Dockerfile CMD') : 'Dockerfile: no CMD';
  if (cmdProblem) problems.push(cmdProblem);
  for (const m of dockerfile.matchAll(/npm run (\S+)([^&\n\\]*)/g)) {
    const script = m[1] ?? '';
    const args = (m[2] ?? '').trim().split(/\s+/).filter(Boolean);
    if (args.includes('--workspaces') || args.includes('-ws')) continue; // --if-present runs what exists
    const problem = commandProblem(root, '.', ['npm', 'run', script, ...args], 'Dockerfile');
    if (problem) problems.push(problem);
  }
  return problems;
}

/** The host file mounted at `target` in a service, if any. */
export function mountedFile(service: Service, target: string): string | undefined {
  for (const v of service.volumes ?? []) {
    const [source, dest] = typeof v === 'string' ? v.split(':') : [v.source, v.target];
    if (dest === target && source?.startsWith('./')) return source.slice(2);
  }
  return undefined;
}

/** Redis settings in force: the config file named on the command line, then `--key value` overrides. */
export function redisSettings(root: string, compose: Compose): Map<string, string> {
  const redis = compose.services['redis'];
  const settings = new Map<string, string>();
  if (!redis) return settings;
  const argv = redis.command ? argvOf(redis.command) : [];
  const conf = argv.find((a) => a.endsWith('.conf'));
  const file = conf ? mountedFile(redis, conf) : undefined;
  if (file) {
    for (const line of readText(root, file).split('\n')) {
      const m = /^\s*([a-z-]+)\s+(.*?)\s*$/i.exec(line);
      if (m?.[1] && !line.trim().startsWith('#')) settings.set(m[1].toLowerCase(), m[2] ?? '');
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg.startsWith('--')) settings.set(arg.slice(2).toLowerCase(), argv[i + 1] ?? '');
  }
  return settings;
}

interface ScrapeConfig {
  job_name?: string;
  metrics_path?: string;
  static_configs?: { targets?: string[] }[];
  dns_sd_configs?: { names?: string[]; port?: number }[];
}

/** Prometheus scrapes /metrics of every long-running Sluice service on the port it listens on. */
export function prometheusProblems(
  compose: Compose,
  prometheus: { scrape_configs?: ScrapeConfig[] },
): string[] {
  const problems: string[] = [];
  const jobs = prometheus.scrape_configs ?? [];
  for (const [name, service] of longRunning(compose)) {
    const port = portOf(name, service);
    const scrapes = jobs.some(
      (job) =>
        (job.metrics_path ?? '/metrics') === '/metrics' &&
        ((job.static_configs ?? []).some((c) => (c.targets ?? []).includes(`${name}:${port}`)) ||
          (job.dns_sd_configs ?? []).some((c) => (c.names ?? []).includes(name) && c.port === port)),
    );
    if (!scrapes) problems.push(`prometheus does not scrape ${name}:${port}/metrics`);
  }
  return problems;
}

/** Each long-running Sluice service checks /healthz or /readyz on its own port. */
export function healthcheckProblems(compose: Compose): string[] {
  const problems: string[] = [];
  for (const [name, service] of longRunning(compose)) {
    const test = service.healthcheck?.test;
    const text = Array.isArray(test) ? test.join(' ') : (test ?? '');
    const port = portOf(name, service);
    if (!new RegExp(`:${port}/(healthz|readyz)\\b`).test(text)) {
      problems.push(`${name}: healthcheck does not probe :${port}/healthz or /readyz`);
    }
  }
  return problems;
}

/** Where the nginx image reads its templates (rendered into conf.d at start). */
const NGINX_TEMPLATE_TARGET = '/etc/nginx/templates/default.conf.template';

/** The nginx configuration compose's nginx service runs: the mounted template, rendered. */
export function composeNginxConf(root: string, compose: Compose): string {
  const nginx = compose.services['nginx'];
  const file = nginx ? mountedFile(nginx, NGINX_TEMPLATE_TARGET) : undefined;
  if (!nginx || !file) throw new Error(`nginx: no template mounted at ${NGINX_TEMPLATE_TARGET}`);
  return render(readText(root, file), environmentOf(nginx));
}

/** The nginx service renders the template with the same placeholders as deploy/nginx/render.ts. */
export function nginxTemplateProblems(root: string, compose: Compose): string[] {
  const nginx = compose.services['nginx'];
  const filter = nginx ? environmentOf(nginx)['NGINX_ENVSUBST_FILTER'] : undefined;
  const problems: string[] = [];
  if (filter !== PLACEHOLDER_PREFIX)
    problems.push(
      `nginx: NGINX_ENVSUBST_FILTER is ${filter}, expected ${PLACEHOLDER_PREFIX} (the placeholders of deploy/nginx/render.ts)`,
    );
  try {
    composeNginxConf(root, compose);
  } catch (err) {
    problems.push(`nginx: ${(err as Error).message}`);
  }
  return problems;
}

/** Every `server host:port` in the nginx upstreams names a compose service on its real port. */
export function nginxProblems(compose: Compose, conf: string): string[] {
  const problems: string[] = [];
  for (const m of conf.matchAll(/^\s*server\s+([a-z0-9_-]+):(\d+)/gim)) {
    const [host, port] = [m[1] ?? '', Number(m[2])];
    const service = compose.services[host];
    if (!service) problems.push(`nginx upstream ${host} is not a compose service`);
    else if (portOf(host, service) !== port)
      problems.push(`nginx sends ${host} traffic to ${port}, it listens on ${portOf(host, service)}`);
  }
  return problems;
}

/** Metric names the code defines: string literals `sluice_…` in the services' sources. */
export function metricNamesInSource(root: string, dirs: string[]): Set<string> {
  const names = new Set<string>();
  for (const dir of dirs) {
    if (!existsSync(join(root, dir))) continue;
    for (const file of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || /\.(test|itest|browser|fault)\.ts$/.test(file)) continue;
      for (const m of readText(root, join(dir, file)).matchAll(/['"`](sluice_[a-z0-9_]+)['"`]/g))
        names.add(m[1] ?? '');
    }
  }
  return names;
}

interface Panel {
  title?: string;
  datasource?: { uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}

/** Dashboard panels use a provisioned datasource and only metric names that exist. */
export function dashboardProblems(
  dashboard: { panels?: Panel[] },
  datasourceUids: Set<string>,
  known: Set<string>,
): string[] {
  const problems: string[] = [];
  const exists = (metric: string) =>
    known.has(metric) || known.has(metric.replace(/_(bucket|sum|count)$/, ''));
  const visit = (panel: Panel) => {
    for (const ds of [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)]) {
      if (ds?.uid && !datasourceUids.has(ds.uid))
        problems.push(`panel "${panel.title}": unknown datasource ${ds.uid}`);
    }
    for (const target of panel.targets ?? []) {
      for (const m of (target.expr ?? '').matchAll(/\bsluice_[a-z0-9_]+/g)) {
        if (!exists(m[0])) problems.push(`panel "${panel.title}": no metric ${m[0]} in the code`);
      }
    }
    for (const child of panel.panels ?? []) visit(child);
  };
  for (const panel of dashboard.panels ?? []) visit(panel);
  return problems;
}
