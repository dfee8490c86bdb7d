// Renders deploy/nginx/sluice.conf.template: the substitution the nginx image's entrypoint makes
// (envsubst over the variables matching NGINX_ENVSUBST_FILTER, here `SLUICE_NGINX_`), for hosts
// without Docker and for deploy/nginx/nginx.itest.ts. A placeholder without a value is an error
// here (envsubst would leave it and nginx would refuse the file with a vaguer message).
//
//   SLUICE_NGINX_LISTEN=80 SLUICE_NGINX_GATE_SERVERS='server 10.0.0.5:8080; server 10.0.0.6:8080;' … \
//     node --import tsx deploy/nginx/render.ts > /etc/nginx/conf.d/sluice.conf
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TEMPLATE = fileURLToPath(new URL('./sluice.conf.template', import.meta.url));
export const PLACEHOLDER_PREFIX = 'SLUICE_NGINX_';

const PLACEHOLDER = /\$\{(SLUICE_NGINX_[A-Za-z0-9_]+)\}|\$(SLUICE_NGINX_[A-Za-z0-9_]+)/g;

/** The placeholder names a template uses. */
export function placeholders(template: string): Set<string> {
  return new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? m[2] ?? ''));
}

/** `template` with every `${SLUICE_NGINX_X}` / `$SLUICE_NGINX_X` replaced by `values[X]`. */
export function render(template: string, values: Record<string, string | undefined>): string {
  const missing = [...placeholders(template)].filter((name) => values[name] === undefined);
  if (missing.length > 0) throw new Error(`nginx template: no value for ${missing.join(', ')}`);
  return template.replace(
    PLACEHOLDER,
    (_whole, braced?: string, bare?: string) => values[braced ?? bare ?? ''] ?? '',
  );
}

/** Upstream `server` lines for a list of `host:port`. */
export const servers = (targets: readonly string[]): string => targets.map((t) => `server ${t};`).join(' ');

export interface LocalUpstreams {
  listen: string;
  dashboardListen: string;
  gates: readonly string[];
  checkouts: readonly string[];
  dashboards: readonly string[];
  /** Per-address limits (default: the production values of docker-compose.yml). */
  limits?: Partial<NginxLimits>;
}

/** The per-address limits of the template (nginx syntax: `10r/s`, counts). */
export interface NginxLimits {
  joinRate: string;
  joinBurst: string;
  readRate: string;
  readBurst: string;
  connPerIp: string;
}

export const DEFAULT_LIMITS: NginxLimits = {
  joinRate: '2r/s',
  joinBurst: '20',
  readRate: '10r/s',
  readBurst: '50',
  connPerIp: '64',
};

/** Values for upstreams at fixed addresses (no DNS): hosts without Docker, tests. */
export function localValues(u: LocalUpstreams): Record<string, string> {
  return {
    SLUICE_NGINX_LISTEN: u.listen,
    SLUICE_NGINX_DASHBOARD_LISTEN: u.dashboardListen,
    SLUICE_NGINX_RESOLVER: '',
    SLUICE_NGINX_GATE_SERVERS: servers(u.gates),
    SLUICE_NGINX_CHECKOUT_SERVERS: servers(u.checkouts),
    SLUICE_NGINX_DASHBOARD_SERVERS: servers(u.dashboards),
    ...limitValues({ ...DEFAULT_LIMITS, ...u.limits }),
  };
}

export function limitValues(l: NginxLimits): Record<string, string> {
  return {
    SLUICE_NGINX_JOIN_RATE: l.joinRate,
    SLUICE_NGINX_JOIN_BURST: l.joinBurst,
    SLUICE_NGINX_READ_RATE: l.readRate,
    SLUICE_NGINX_READ_BURST: l.readBurst,
    SLUICE_NGINX_CONN_PER_IP: l.connPerIp,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(render(readFileSync(TEMPLATE, 'utf8'), process.env));
}
