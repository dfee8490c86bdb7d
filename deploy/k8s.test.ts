// The Kubernetes manifests (deploy/k8s) agree with the code, checked like docker-compose.yml:
// variable names and values against the config schemas, commands against the built entry
// points, ports and probes, termination against the shutdown order, HPA and PDB, external
// stores. Every check also runs on a broken copy to show it fails.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandProblems, compiledProblems, envProblems, readText } from './checks.ts';
import {
  asCompose,
  externalStoreProblems,
  type K8sObject,
  loadManifests,
  probeProblems,
  productionRefusals,
  redisUserProblems,
  scalingProblems,
  secretKeys,
  serviceProblems,
  terminationProblems,
  workloads,
} from './k8s-checks.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifests = loadManifests(root);
const dockerfile = readText(root, 'Dockerfile');
const copy = (): K8sObject[] => structuredClone(manifests);
const container = (objs: K8sObject[], name: string) => {
  const w = workloads(objs).find((x) => x.container.name === name);
  if (!w) throw new Error(`no container ${name}`);
  return w.container;
};
const object = (objs: K8sObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};

describe('deploy/k8s', () => {
  it('runs every Sluice part from the image', () => {
    expect(Object.keys(asCompose(manifests).services).sort()).toEqual([
      'checkout',
      'dashboard',
      'gate',
      'migrate',
      'worker',
    ]);
  });

  it('sets only variables of the config schemas, with values they accept', () => {
    const problems: string[] = [];
    expect(envProblems(asCompose(manifests, problems))).toEqual([]);
    expect(problems).toEqual([]);

    const broken = copy();
    container(broken, 'gate').env.push({ name: 'GATE_PROT', value: '8080' });
    object(broken, 'ConfigMap', 'sluice-common').data!['LOG_LEVEL'] = 'loud';
    expect(envProblems(asCompose(broken))).toEqual(
      expect.arrayContaining([
        'gate: GATE_PROT is not a variable of the gate schema',
        expect.stringMatching(/^checkout: LOG_LEVEL must be one of/),
      ]),
    );
    const missing = copy();
    container(missing, 'worker').envFrom[1].secretRef.name = 'sluice-postgrez';
    const refs: string[] = [];
    asCompose(missing, refs);
    expect(refs).toEqual(['worker: envFrom Secret sluice-postgrez is not in the manifests']);
  });

  it('runs the built JavaScript with plain node', () => {
    expect(commandProblems(root, asCompose(manifests), dockerfile)).toEqual([]);
    expect(compiledProblems(asCompose(manifests), dockerfile)).toEqual([]);
    const broken = copy();
    container(broken, 'gate').command = ['node', '--import', 'tsx', 'src/main.ts'];
    container(broken, 'worker').command = ['node', 'build/worker/mian.js'];
    expect(compiledProblems(asCompose(broken), dockerfile)).toEqual([
      'gate: "node --import tsx src/main.ts" runs TypeScript; production runs the JavaScript of npm run build',
    ]);
    expect(commandProblems(root, asCompose(broken), dockerfile)).toEqual([
      'worker: checkout/build/worker/mian.js is not written by npm run build (scripts/build.ts)',
    ]);
  });

  it('exposes each config port and probes /readyz and /healthz on it', () => {
    expect(probeProblems(manifests)).toEqual([]);
    const broken = copy();
    container(broken, 'checkout').env.find((e: { name: string }) => e.name === 'CHECKOUT_PORT').value =
      '9081';
    container(broken, 'gate').readinessProbe.httpGet.path = '/healthz';
    expect(probeProblems(broken)).toEqual([
      'gate: readinessProbe does not GET /readyz on 8080',
      'checkout: listens on 9081, which is not a containerPort',
      'checkout: readinessProbe does not GET /readyz on 9081',
      'checkout: livenessProbe does not GET /healthz on 9081',
    ]);
  });

  it('routes Services to pod ports and URLs to Service ports', () => {
    expect(serviceProblems(manifests)).toEqual([]);
    const broken = copy();
    object(broken, 'Service', 'sluice-gate').spec.ports[0].targetPort = 'htpp';
    object(broken, 'Service', 'sluice-dashboard').spec.selector['app.kubernetes.io/component'] = 'dashbaord';
    container(broken, 'checkout').env.find((e: { name: string }) => e.name === 'JWKS_URL').value =
      'http://sluice-gate:8000/.well-known/jwks.json';
    expect(serviceProblems(broken)).toEqual([
      'Service sluice-gate port 8080 targets htpp, not a port of gate',
      "Service sluice-dashboard selects no Deployment's pods",
      'checkout: JWKS_URL points at sluice-gate:8000, not a port of Service sluice-gate',
    ]);
  });

  it('gives the shutdown order time: preStop pause, then the supervisor deadline', () => {
    expect(terminationProblems(manifests)).toEqual([]);
    const broken = copy();
    object(broken, 'Deployment', 'sluice-gate').spec.template.spec.terminationGracePeriodSeconds = 15;
    delete container(broken, 'checkout').lifecycle;
    expect(terminationProblems(broken)).toEqual([
      'gate: terminationGracePeriodSeconds 15 does not exceed preStop 5 s + shutdown 15 s',
      'checkout: no preStop pause: SIGTERM would race the endpoint removal',
    ]);
  });

  it('autoscales gate and checkout and lets a node drain one pod at a time', () => {
    expect(scalingProblems(manifests)).toEqual([]);
    const broken = copy();
    object(broken, 'HorizontalPodAutoscaler', 'sluice-gate').spec.scaleTargetRef.name = 'sluice-gates';
    const pdb = object(broken, 'PodDisruptionBudget', 'sluice-checkout');
    delete pdb.spec.maxUnavailable;
    pdb.spec.minAvailable = 2;
    expect(scalingProblems(broken)).toEqual([
      'gate: no HorizontalPodAutoscaler for Deployment sluice-gate',
      'checkout: PodDisruptionBudget sluice-checkout allows no disruption at 2 replicas',
    ]);
  });

  it('reaches PostgreSQL and the Redis Cluster as external services', () => {
    expect(externalStoreProblems(manifests)).toEqual([]);
    const broken = copy();
    object(broken, 'ConfigMap', 'sluice-common').data!['REDIS_CLUSTER_NODES'] =
      'sluice-redis-0:6379,redis-9:6379';
    expect(externalStoreProblems(broken)).toEqual(
      ['migrate', 'gate', 'checkout', 'worker', 'dashboard'].map(
        (n) => `${n}: REDIS_CLUSTER_NODES host redis-9 is not an ExternalName Service`,
      ),
    );
  });

  it('logs each service in to Redis as its own ACL user', () => {
    expect(redisUserProblems(manifests)).toEqual([]);
    const broken = copy();
    container(broken, 'worker').envFrom[2].secretRef.name = 'sluice-redis-checkout';
    expect(redisUserProblems(broken)).toEqual([
      'worker: REDIS_URL logs in as "checkout", not as the worker ACL user',
    ]);
  });

  it('starts in production only once the Secrets are filled in', () => {
    // As shipped: every service is refused, and only for settings held in Secrets.
    const shipped = productionRefusals(manifests);
    const inSecrets = secretKeys(manifests);
    for (const [name, problems] of Object.entries(shipped)) {
      expect(problems.length, name).toBeGreaterThan(0);
      for (const p of problems) expect(inSecrets, `${name}: ${p}`).toContain(p.split(' ')[0]);
    }
    // Filled in the way external.yaml says: nothing refused.
    const filled = copy();
    for (const secret of filled.filter((o) => o.kind === 'Secret')) {
      const data = secret.stringData ?? {};
      for (const [key, value] of Object.entries(data)) {
        if (key === 'SLUICE_KEY_ENCRYPTION_KEY') data[key] = 'ab'.repeat(32);
        else if (key === 'ADMIN_TOKEN') data[key] = 'operator-token-of-32-characters-x';
        else if (/_URL$/.test(key))
          data[key] = value.replace(/^(\w+:\/\/[^:@/]+)@/, '$1:a-long-random-password@');
      }
    }
    expect(Object.values(productionRefusals(filled)).flat()).toEqual([]);
  });
});
