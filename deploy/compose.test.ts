// The deployment files agree with the code: variable names and values, commands, ports, Redis
// durability, Prometheus targets, Grafana provisioning. Pure file checks (no Docker engine here);
// each check is also run on a broken copy to show it fails.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../shared/src/observability/metrics.ts';
import {
  type Compose,
  commandProblems,
  compiledProblems,
  composeNginxConf,
  crossReferenceProblems,
  dashboardProblems,
  dockerfileProblems,
  effectiveConfig,
  envProblems,
  healthcheckProblems,
  loadCompose,
  longRunning,
  metricNamesInSource,
  mountedFile,
  nginxProblems,
  nginxTemplateProblems,
  parseYaml,
  prometheusProblems,
  readText,
  redisSettings,
  sluiceServices,
} from './checks.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compose = loadCompose(root);
const dockerfile = readText(root, 'Dockerfile');
const copy = (): Compose => structuredClone(compose);
const service = (c: Compose, name: string) => {
  const s = c.services[name];
  if (!s) throw new Error(`no service ${name} in docker-compose.yml`);
  return s;
};
const envMap = (c: Compose, name: string) => service(c, name).environment as Record<string, string>;

describe('docker-compose.yml', () => {
  it('runs every Sluice part from the one image', () => {
    expect(
      sluiceServices(compose)
        .map(([n]) => n)
        .sort(),
    ).toEqual(['checkout', 'dashboard', 'gate', 'migrate', 'worker']);
    expect(longRunning(compose).map(([n]) => n)).not.toContain('migrate');
  });

  it('sets only variables of the config schemas, with values they accept', () => {
    expect(envProblems(compose)).toEqual([]);

    const misspelt = copy();
    envMap(misspelt, 'gate')['GATE_PROT'] = '8080';
    expect(envProblems(misspelt)).toEqual(['gate: GATE_PROT is not a variable of the gate schema']);

    const wrongService = copy();
    envMap(wrongService, 'gate')['JWKS_URL'] = 'http://gate:8080/.well-known/jwks.json';
    expect(envProblems(wrongService)).toEqual(['gate: JWKS_URL is not a variable of the gate schema']);

    const badValue = copy();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation, not a template
    envMap(badValue, 'checkout')['CHECKOUT_PORT'] = '${CHECKOUT_PORT:-80a}';
    expect(envProblems(badValue)).toEqual([
      expect.stringMatching(/^checkout: CHECKOUT_PORT must be an integer/),
    ]);
  });

  it('points URLs between services at the ports they listen on', () => {
    expect(crossReferenceProblems(compose)).toEqual([]);
    const moved = copy();
    envMap(moved, 'gate')['GATE_PORT'] = '9000';
    expect(crossReferenceProblems(moved)).toContain(
      'checkout: JWKS_URL points at gate:8080 but gate listens on 9000',
    );
  });

  it('runs commands that exist in the package scripts and files', () => {
    expect(commandProblems(root, compose, dockerfile)).toEqual([]);
    const typo = copy();
    service(typo, 'worker').command = ['npm', 'run', 'wroker', '-w', 'checkout'];
    service(typo, 'gate').command = 'node --import tsx src/no-such-file.ts';
    service(typo, 'dashboard').command = ['node', 'src/main.ts'];
    expect(commandProblems(root, typo, dockerfile)).toEqual([
      'gate: gate/src/no-such-file.ts does not exist',
      'worker: no script "wroker" in checkout/package.json',
      'dashboard: "node src/main.ts" is not a script of dashboard/package.json',
    ]);
  });

  it('runs the JavaScript of npm run build with plain node', () => {
    expect(compiledProblems(compose, dockerfile)).toEqual([]);
    const loader = copy();
    service(loader, 'gate').command = ['node', '--import', 'tsx', 'src/main.ts'];
    expect(compiledProblems(loader, dockerfile)).toEqual([
      'gate: "node --import tsx src/main.ts" runs TypeScript; production runs the JavaScript of npm run build',
    ]);
    expect(
      compiledProblems(
        compose,
        dockerfile.replace(/^CMD .*$/m, 'CMD ["node", "--import", "tsx", "gate/src/main.ts"]'),
      ),
    ).toEqual([
      'Dockerfile CMD: "node --import tsx gate/src/main.ts" runs TypeScript; production runs the JavaScript of npm run build',
    ]);

    const unbuilt = copy();
    service(unbuilt, 'worker').command = ['node', 'build/worker/mian.js'];
    service(unbuilt, 'dashboard').command = ['node', 'build/main.test.js'];
    expect(commandProblems(root, unbuilt, dockerfile)).toEqual([
      'worker: checkout/build/worker/mian.js is not written by npm run build (scripts/build.ts)',
      'dashboard: dashboard/build/main.test.js is not written by npm run build (scripts/build.ts)',
    ]);
  });

  it('runs gate as two replicas', () => {
    expect(service(compose, 'gate').deploy?.replicas).toBe(2);
  });

  it('checks health on /healthz or /readyz of each service port', () => {
    expect(healthcheckProblems(compose)).toEqual([]);
    const wrong = copy();
    envMap(wrong, 'dashboard')['DASHBOARD_PORT'] = '9999';
    expect(healthcheckProblems(wrong)).toEqual([
      'dashboard: healthcheck does not probe :9999/healthz or /readyz',
    ]);
  });

  it('runs Redis with AOF everysec and noeviction', () => {
    const settings = redisSettings(root, compose);
    expect(settings.get('appendonly')).toBe('yes');
    expect(settings.get('appendfsync')).toBe('everysec');
    expect(settings.get('maxmemory-policy')).toBe('noeviction');

    const overridden = copy();
    service(overridden, 'redis').command = [
      'redis-server',
      '/usr/local/etc/redis/redis.conf',
      '--appendfsync',
      'always',
    ];
    expect(redisSettings(root, overridden).get('appendfsync')).toBe('always');
  });
});

describe('Dockerfile', () => {
  it('builds in two stages and runs as a non-root user', () => {
    expect(dockerfileProblems(root, dockerfile)).toEqual([]);
    expect(dockerfileProblems(root, dockerfile.replace(/^USER .*$/m, 'USER root'))).toEqual([
      'runtime stage runs as root',
    ]);
  });
});

describe('nginx', () => {
  it('renders the one template with a value for every placeholder', () => {
    expect(nginxTemplateProblems(root, compose)).toEqual([]);
    const missing = copy();
    delete envMap(missing, 'nginx')['SLUICE_NGINX_RESOLVER'];
    expect(nginxTemplateProblems(root, missing)).toEqual([
      'nginx: nginx template: no value for SLUICE_NGINX_RESOLVER',
    ]);
    const filtered = copy();
    envMap(filtered, 'nginx')['NGINX_ENVSUBST_FILTER'] = 'NGINX_';
    expect(nginxTemplateProblems(root, filtered)).toEqual([
      'nginx: NGINX_ENVSUBST_FILTER is NGINX_, expected SLUICE_NGINX_ (the placeholders of deploy/nginx/render.ts)',
    ]);
  });

  it('proxies to the services on their ports', () => {
    const conf = composeNginxConf(root, compose);
    expect(nginxProblems(compose, conf)).toEqual([]);
    expect(conf).toMatch(/upstream sluice_gate[^}]*server gate:/);
    expect(nginxProblems(compose, conf.replace('checkout:8081', 'checkout:8088'))).toEqual([
      'nginx sends checkout traffic to 8088, it listens on 8081',
    ]);
  });
});

describe('prometheus', () => {
  const file = mountedFile(service(compose, 'prometheus'), '/etc/prometheus/prometheus.yml');
  const config = parseYaml(readText(root, file ?? 'missing')) as Parameters<typeof prometheusProblems>[1];

  it('scrapes every Sluice service', () => {
    expect(prometheusProblems(compose, config)).toEqual([]);
    const withoutWorker = { scrape_configs: config.scrape_configs?.filter((j) => j.job_name !== 'worker') };
    expect(prometheusProblems(compose, withoutWorker)).toEqual([
      'prometheus does not scrape worker:8083/metrics',
    ]);
  });
});

describe('grafana provisioning', () => {
  const grafana = service(compose, 'grafana');
  const provisioning = mountedFile(grafana, '/etc/grafana/provisioning') ?? 'missing';
  const known = new Set<string>();

  beforeAll(async () => {
    const registry = createRegistry('compose-test');
    for (const m of await registry.getMetricsAsJSON()) known.add(m.name);
    for (const n of metricNamesInSource(root, ['gate/src', 'checkout/src', 'dashboard/src'])) known.add(n);
  });

  it('provisions datasources and dashboards that parse and agree', () => {
    const datasources = parseYaml(readText(root, join(provisioning, 'datasources/prometheus.yml'))) as {
      datasources: { uid: string; url: string }[];
    };
    expect(datasources.datasources.map((d) => d.url)).toContain('http://prometheus:9090');
    const uids = new Set(datasources.datasources.map((d) => d.uid));

    const providers = parseYaml(readText(root, join(provisioning, 'dashboards/sluice.yml'))) as {
      providers: { options: { path: string } }[];
    };
    const files = providers.providers.flatMap((p) => {
      const dir = mountedFile(grafana, p.options.path);
      expect(dir, `${p.options.path} is mounted`).toBeDefined();
      return readdirSync(join(root, dir ?? ''))
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(dir ?? '', f));
    });
    expect(files.length).toBeGreaterThan(0);

    for (const f of files) {
      const dashboard = JSON.parse(readText(root, f)) as Parameters<typeof dashboardProblems>[0];
      expect(dashboard.panels?.length, f).toBeGreaterThan(0);
      expect(dashboardProblems(dashboard, uids, known), f).toEqual([]);
    }
  });

  it('points the console latency chart at a metric checkout exports', () => {
    const config = effectiveConfig('dashboard', service(compose, 'dashboard'));
    expect(config?.['checkoutMetricsUrls']).not.toEqual([]);
    expect(known).toContain(config?.['checkoutLatencyMetric']);
  });

  it('catches a misspelt metric or datasource in a panel', () => {
    const panel = {
      title: 'p',
      datasource: { uid: 'nope' },
      targets: [
        { expr: 'rate(sluice_process_cpu_second_total[1m])' },
        { expr: 'sluice_nodejs_gc_duration_seconds_sum' },
      ],
    };
    expect(dashboardProblems({ panels: [panel] }, new Set(['sluice-prometheus']), known)).toEqual([
      'panel "p": unknown datasource nope',
      'panel "p": no metric sluice_process_cpu_second_total in the code',
    ]);
  });
});
