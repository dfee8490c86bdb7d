// A real nginx (Debian's /usr/sbin/nginx) in the foreground for tests: the project's template
// (deploy/nginx/sluice.conf.template) rendered by deploy/nginx/render.ts for local upstreams,
// inside a minimal main config in a temp dir; stopped by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalUpstreams, localValues, render, TEMPLATE } from '../../deploy/nginx/render.ts';
import { until } from './wait.ts';

export const NGINX = '/usr/sbin/nginx';

export interface RunningNginx {
  pid: number;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

const accepts = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** Start nginx with the Sluice template for `upstreams`; resolves once `listen` accepts. */
export async function startNginx(upstreams: LocalUpstreams): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-nginx-'));
  // Workers run as www-data (nginx started as root): they must reach the temp paths.
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'sluice.conf'), render(readFileSync(TEMPLATE, 'utf8'), localValues(upstreams)));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `pid ${dir}/nginx.pid;
error_log stderr warn;
worker_processes 1;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/sluice.conf;
}
`,
  );
  let out = '';
  const proc: ChildProcess = spawn(
    NGINX,
    ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const [host, port] = splitListen(upstreams.listen);
  await until(
    async () => {
      if (proc.exitCode !== null) throw new Error(`nginx exited at start:\n${out}`);
      return accepts(host, port);
    },
    15_000,
    'nginx listening',
  );
  return {
    pid: proc.pid!,
    dir,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGQUIT'); // graceful: the master waits for its workers
        const force = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(force);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function splitListen(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  return i === -1 ? ['127.0.0.1', Number(listen)] : [listen.slice(0, i), Number(listen.slice(i + 1))];
}
