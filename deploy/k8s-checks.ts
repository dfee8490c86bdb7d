// Static checks of the Kubernetes manifests (deploy/k8s, no cluster in CI), the way checks.ts
// checks docker-compose.yml: containers are turned into compose-like services so the same
// environment and command checks apply, then the Kubernetes parts are checked: ports, probes,
// termination against the shutdown order, autoscaling, disruption budgets, external stores.
// Each function returns a list of problems, empty when the manifests agree with the code.
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SERVICES as REDIS_USERS } from '../shared/src/acl/users.ts';
import { SHUTDOWN_KILL_MS } from '../shared/src/cluster/supervise.ts';
import { allSchemas, productionProblems, type Schema } from '../shared/src/config/index.ts';
import { type Compose, portOf, readText, type Service, SERVICE_SCHEMA } from './checks.ts';

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML, checked field by field
type Any = any;
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export const K8S_DIR = 'deploy/k8s';

/** Every object of the resources kustomization.yaml lists, in order. */
export function loadManifests(root: string): K8sObject[] {
  const kustomization = parseAllDocuments(readText(root, join(K8S_DIR, 'kustomization.yaml')))[0]?.toJS() as {
    resources: string[];
  };
  return kustomization.resources.flatMap((file) =>
    parseAllDocuments(readText(root, join(K8S_DIR, file)))
      .map((d) => d.toJS() as K8sObject)
      .filter(Boolean),
  );
}

const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const find = (objs: K8sObject[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name);

interface Workload {
  obj: K8sObject;
  pod: Any;
  container: Any;
}

/** Every container of every Deployment and Job. */
export function workloads(objs: K8sObject[]): Workload[] {
  return objs
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
    .flatMap((obj) =>
      (obj.spec?.template?.spec?.containers ?? []).map((container: Any) => ({
        obj,
        pod: obj.spec.template,
        container,
      })),
    );
}

/** A container's environment: envFrom ConfigMaps and Secrets, then `env` (valueFrom: unknown). */
function environment(objs: K8sObject[], container: Any, problems: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const source = find(objs, kind, ref?.name);
    if (!source) problems.push(`${container.name}: envFrom ${kind} ${ref?.name} is not in the manifests`);
    Object.assign(env, source?.data, source?.stringData);
  }
  for (const e of container.env ?? []) env[e.name] = e.value ?? '';
  return env;
}

/** The containers as compose services (name = container name), for the checks of checks.ts. */
export function asCompose(objs: K8sObject[], problems: string[] = []): Compose {
  const services: Record<string, Service> = {};
  for (const { obj, container } of workloads(objs)) {
    services[container.name] = {
      image: container.image,
      command: [...(container.command ?? []), ...(container.args ?? [])],
      working_dir: container.workingDir,
      restart: obj.kind === 'Job' ? 'no' : 'always',
      environment: environment(objs, container, problems),
    };
  }
  return { services };
}

/** A probe or port reference (number or port name) as a number. */
function portNumber(container: Any, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return (container.ports ?? []).find((p: Any) => p.name === port)?.containerPort;
}

/** Each long-running container exposes its config port and probes /readyz and /healthz on it. */
export function probeProblems(objs: K8sObject[]): string[] {
  const compose = asCompose(objs);
  const problems: string[] = [];
  for (const { obj, container } of workloads(objs)) {
    if (obj.kind !== 'Deployment') continue;
    const name = container.name;
    const service = compose.services[name];
    if (!SERVICE_SCHEMA[name] || !service) {
      problems.push(
        `${name}: no config schema mapped to this container (SERVICE_SCHEMA in deploy/checks.ts)`,
      );
      continue;
    }
    const port = portOf(name, service);
    if (!(container.ports ?? []).some((p: Any) => p.containerPort === port))
      problems.push(`${name}: listens on ${port}, which is not a containerPort`);
    for (const [probe, path] of [
      ['readinessProbe', '/readyz'],
      ['livenessProbe', '/healthz'],
    ] as const) {
      const get = container[probe]?.httpGet;
      if (get?.path !== path || portNumber(container, get?.port) !== port)
        problems.push(`${name}: ${probe} does not GET ${path} on ${port}`);
    }
  }
  return problems;
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Services reach a pod's port; URLs between services use a Service's port; selectors select. */
export function serviceProblems(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  const services = byKind(objs, 'Service').filter((s) => s.spec?.type !== 'ExternalName');
  for (const svc of services) {
    const pods = workloads(objs).filter(
      (w) => w.obj.kind === 'Deployment' && matches(svc.spec.selector, w.pod.metadata?.labels),
    );
    if (pods.length === 0) problems.push(`Service ${svc.metadata.name} selects no Deployment's pods`);
    for (const port of svc.spec.ports ?? []) {
      for (const { container } of pods) {
        if (portNumber(container, port.targetPort ?? port.port) === undefined)
          problems.push(
            `Service ${svc.metadata.name} port ${port.port} targets ${port.targetPort}, not a port of ${container.name}`,
          );
      }
    }
  }
  const compose = asCompose(objs);
  for (const [name, service] of Object.entries(compose.services)) {
    for (const [variable, value] of Object.entries(service.environment as Record<string, string>)) {
      for (const part of value.split(',')) {
        if (!URL.canParse(part.trim())) continue;
        const url = new URL(part.trim());
        const svc = services.find((s) => s.metadata.name === url.hostname);
        if (svc && !(svc.spec.ports ?? []).some((p: Any) => p.port === Number(url.port)))
          problems.push(
            `${name}: ${variable} points at ${url.host}, not a port of Service ${svc.metadata.name}`,
          );
      }
    }
  }
  return problems;
}

/** How long a preStop hook of the form `sleep N` waits (0 without one). */
function preStopSeconds(container: Any): number {
  const cmd: string[] = container.lifecycle?.preStop?.exec?.command ?? [];
  const sleep = container.lifecycle?.preStop?.sleep?.seconds;
  if (typeof sleep === 'number') return sleep;
  return cmd[0] === 'sleep' ? Number(cmd[1]) || 0 : 0;
}

/**
 * The grace period covers the shutdown order: a preStop pause while the pod leaves the Service
 * endpoints (for containers behind a Service), then the supervisor's kill deadline after SIGTERM.
 */
export function terminationProblems(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  const services = byKind(objs, 'Service').filter((s) => s.spec?.type !== 'ExternalName');
  for (const { obj, pod, container } of workloads(objs)) {
    if (obj.kind !== 'Deployment') continue;
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    const pause = preStopSeconds(container);
    const behindService = services.some((s) => matches(s.spec.selector, pod.metadata?.labels));
    if (behindService && pause < 1)
      problems.push(`${container.name}: no preStop pause: SIGTERM would race the endpoint removal`);
    const needed = pause + SHUTDOWN_KILL_MS / 1000;
    if (grace <= needed)
      problems.push(
        `${container.name}: terminationGracePeriodSeconds ${grace} does not exceed preStop ${pause} s + shutdown ${SHUTDOWN_KILL_MS / 1000} s`,
      );
  }
  return problems;
}

/** gate and checkout: an HPA on their Deployment (min ≥ 2) and a PDB that allows a disruption. */
export function scalingProblems(objs: K8sObject[], containers = ['gate', 'checkout']): string[] {
  const problems: string[] = [];
  for (const name of containers) {
    const w = workloads(objs).find((x) => x.obj.kind === 'Deployment' && x.container.name === name);
    if (!w) {
      problems.push(`${name}: no Deployment`);
      continue;
    }
    const hpa = byKind(objs, 'HorizontalPodAutoscaler').find(
      (h) =>
        h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === w.obj.metadata.name,
    );
    if (!hpa) problems.push(`${name}: no HorizontalPodAutoscaler for Deployment ${w.obj.metadata.name}`);
    else if ((hpa.spec.minReplicas ?? 1) < 2) problems.push(`${name}: HPA minReplicas below 2`);
    const pdb = byKind(objs, 'PodDisruptionBudget').find((p) =>
      matches(p.spec?.selector?.matchLabels, w.pod.metadata?.labels),
    );
    if (!pdb) problems.push(`${name}: no PodDisruptionBudget selects its pods`);
    else {
      const min = hpa?.spec?.minReplicas ?? w.obj.spec.replicas ?? 1;
      const blocks =
        pdb.spec.minAvailable !== undefined
          ? pdb.spec.minAvailable >= min
          : (pdb.spec.maxUnavailable ?? 0) < 1;
      if (blocks)
        problems.push(
          `${name}: PodDisruptionBudget ${pdb.metadata.name} allows no disruption at ${min} replicas`,
        );
    }
  }
  return problems;
}

/** PostgreSQL and Redis are external: the hosts the services use are ExternalName Services. */
export function externalStoreProblems(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  const external = new Set(
    byKind(objs, 'Service')
      .filter((s) => s.spec?.type === 'ExternalName')
      .map((s) => s.metadata.name),
  );
  for (const [name, service] of Object.entries(asCompose(objs).services)) {
    const env = service.environment as Record<string, string>;
    const hosts: [string, string][] = [];
    for (const variable of ['DATABASE_URL', 'REDIS_URL'])
      if (env[variable] && URL.canParse(env[variable]))
        hosts.push([variable, new URL(env[variable]).hostname]);
    for (const node of (env['REDIS_CLUSTER_NODES'] ?? '').split(',').filter(Boolean))
      hosts.push(['REDIS_CLUSTER_NODES', node.trim().replace(/:\d+$/, '')]);
    if (!hosts.some(([v]) => v === 'DATABASE_URL')) problems.push(`${name}: no DATABASE_URL`);
    for (const [variable, host] of hosts)
      if (!external.has(host))
        problems.push(`${name}: ${variable} host ${host} is not an ExternalName Service`);
  }
  for (const { container } of workloads(objs))
    if (/^(redis|postgres)(:|$)/.test(container.image ?? ''))
      problems.push(`${container.name}: runs ${container.image}; the stores are external`);
  return problems;
}

/** Each long-running service logs in to Redis as its own ACL user (shared/src/acl/users.ts). */
export function redisUserProblems(objs: K8sObject[]): string[] {
  const problems: string[] = [];
  const compose = asCompose(objs);
  for (const { obj, container } of workloads(objs)) {
    if (obj.kind !== 'Deployment') continue;
    const name = container.name as string;
    const env = (compose.services[name]?.environment ?? {}) as Record<string, string>;
    const url = env['REDIS_URL'];
    const user = url && URL.canParse(url) ? decodeURIComponent(new URL(url).username) : '';
    if (!(REDIS_USERS as readonly string[]).includes(name))
      problems.push(`${name}: no Redis ACL user for this service`);
    else if (user !== name)
      problems.push(`${name}: REDIS_URL logs in as "${user}", not as the ${name} ACL user`);
  }
  return problems;
}

/** What each container's production check (NODE_ENV=production, set by the image) refuses. */
export function productionRefusals(objs: K8sObject[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, service] of Object.entries(asCompose(objs).services)) {
    const schema = SERVICE_SCHEMA[name];
    if (!schema) continue;
    const env = { ...(service.environment as Record<string, string>), NODE_ENV: 'production' };
    out[name] = productionProblems(allSchemas[schema] as Schema, env);
  }
  return out;
}

/** The keys the Secrets hold (what an operator fills in). */
export const secretKeys = (objs: K8sObject[]): Set<string> =>
  new Set(byKind(objs, 'Secret').flatMap((s) => Object.keys({ ...s.data, ...s.stringData })));
