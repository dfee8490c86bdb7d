// Static checks of the deployment files, part 3: Redis, Prometheus, health checks, nginx and the
// dashboards agree with the code.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PLACEHOLDER_PREFIX, render } from '../nginx/render.ts';
import { argvOf } from './commands.ts';
import { type Compose, environmentOf, longRunning, portOf, readText, type Service } from './compose.ts';

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
