// A real Prometheus (Debian's /usr/bin/prometheus) for tests: the project's scrape config
// (deploy/prometheus/prometheus.yml, job names and paths) pointed at local targets, scraping every
// second, in a temp dir; queried over its HTTP API; stopped by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { until } from './wait.ts';

export const PROMETHEUS = '/usr/bin/prometheus';
const PROJECT_CONFIG = new URL('../../deploy/prometheus/prometheus.yml', import.meta.url);

interface Job {
  job_name: string;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: unknown;
  [k: string]: unknown;
}

export interface RunningPrometheus {
  pid: number;
  base: string;
  output(): string;
  /** Instant query: one `{ labels, value }` per series. */
  query(expr: string): Promise<{ labels: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

/** The project's scrape jobs with `targets[job]` as their static targets (others dropped). */
export function localScrapeConfig(targets: Record<string, string[]>, intervalS = 1): string {
  const project = parse(readFileSync(PROJECT_CONFIG, 'utf8')) as { global?: object; scrape_configs: Job[] };
  const jobs = project.scrape_configs
    .filter((j) => targets[j.job_name])
    .map(({ dns_sd_configs: _dns, static_configs: _static, ...j }) => ({
      ...j,
      static_configs: [{ targets: targets[j.job_name] }],
    }));
  const missing = Object.keys(targets).filter((name) => !jobs.some((j) => j.job_name === name));
  if (missing.length)
    throw new Error(`no scrape job ${missing.join(', ')} in deploy/prometheus/prometheus.yml`);
  return stringify({
    global: { ...project.global, scrape_interval: `${intervalS}s`, evaluation_interval: `${intervalS}s` },
    scrape_configs: jobs,
  });
}

export async function startPrometheus(config: string, port: number): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const base = `http://127.0.0.1:${port}`;
  let out = '';
  const proc: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 100_000) out = out.slice(-50_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await until(
    async () => {
      if (proc.exitCode !== null) throw new Error(`prometheus exited at start:\n${out}`);
      return fetch(`${base}/-/ready`).then(
        (r) => r.ok,
        () => false, // not listening yet
      );
    },
    30_000,
    'prometheus ready',
    200,
  );
  return {
    pid: proc.pid!,
    base,
    output: () => out,
    async query(expr) {
      const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await r.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success' || body.data?.resultType !== 'vector')
        throw new Error(`query ${expr}: ${body.error ?? body.data?.resultType}`);
      return body.data.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const force = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(force);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
