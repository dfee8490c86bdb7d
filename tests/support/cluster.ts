// Redis Cluster helpers for tests: which shard an event lands on, event ids spread over the
// shards, and the rule for the cluster runs (skip loudly on a developer machine without a local
// cluster; fail in CI, which always starts one with scripts/redis-cluster.sh).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, eventKeys, type Redis } from '@sluice/shared';
import { TEST_CLUSTER_NODES, uniqueId } from '@sluice/shared/testing/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const HAVE_CLUSTER = TEST_CLUSTER_NODES.length > 0;

/** Call at the top of a cluster test file: throws in CI without a cluster, warns loudly otherwise. */
export function requireClusterOrWarn(file: string): void {
  if (HAVE_CLUSTER) return;
  const why =
    `${file}: TEST_REDIS_CLUSTER_NODES is not set, so the Redis Cluster runs are SKIPPED. ` +
    'Start one with `scripts/redis-cluster.sh start` and export TEST_REDIS_CLUSTER_NODES=<its output>.';
  if (process.env.CI) throw new Error(`${why} CI must run them (.ci/run starts the cluster).`);
  console.warn(`\n*** ${why} ***\n`);
}

/** "host:port" of the master serving `evt`'s slot. */
export async function masterOf(redis: Redis, prefix: string, evt: string): Promise<string> {
  if (!(redis instanceof Cluster)) return 'single';
  // ioredis sends a CLUSTER command at once to any startup node, even before the client has its
  // slot map; the first map then disconnects the nodes it lists without slots, failing the command
  // with "Connection is closed." (not retried: the client is not ready yet). Wait for the map.
  if (['wait', 'connecting', 'connect', 'reconnecting'].includes(redis.status)) await new Promise((r) => redis.once('ready', r));
  const slot = Number(await redis.cluster('KEYSLOT', eventKeys(prefix, evt).event));
  const shards = (await redis.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
  for (const [from, to, [host, port]] of shards) if (slot >= from && slot <= to) return `${host}:${port}`;
  throw new Error(`no master serves slot ${slot}`);
}

/**
 * `n` fresh event ids covering as many shards as there are (round robin over the masters), so a
 * test exercises every shard and cross-shard batches. On a single Redis: `n` fresh ids.
 */
export async function idsOverShards(redis: Redis, prefix: string, n: number, tag = 'e'): Promise<string[]> {
  const masters =
    redis instanceof Cluster
      ? new Set(((await redis.cluster('SLOTS')) as unknown as [number, number, [string, number]][]).map((s) => `${s[2][0]}:${s[2][1]}`)).size
      : 1;
  const byMaster = new Map<string, string[]>();
  // Until every master has ids (12 random ids missed one of three masters in ~2% of runs).
  for (let i = 0; i < 200 && (byMaster.size < masters || [...byMaster.values()].flat().length < n * 4); i++) {
    const id = uniqueId(tag);
    const m = await masterOf(redis, prefix, id);
    byMaster.set(m, [...(byMaster.get(m) ?? []), id]);
  }
  const lists = [...byMaster.values()];
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const l = lists[i % lists.length]!;
    const id = l.shift();
    if (id) out.push(id);
  }
  return out;
}

export interface PrivateCluster {
  /** "127.0.0.1:port" of the six nodes (REDIS_CLUSTER_NODES). */
  nodes: string[];
  /** kill -9 the node on `port` (by the pid in its pid file). */
  kill9(port: number): void;
  /** Start the missing nodes again (they rejoin from their nodes.conf and AOF). */
  restart(): void;
  /** Stop every node and remove the directory. */
  stop(): void;
}

/**
 * A 3 + 3 cluster of the test's own (scripts/redis-cluster.sh on `basePort`..+5, in a temporary
 * directory), so a fault case can kill nodes without touching the cluster other tests share.
 */
export function privateCluster(basePort: number): PrivateCluster {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cluster-'));
  const env = { ...process.env, REDIS_CLUSTER_BASE_PORT: String(basePort), REDIS_CLUSTER_DIR: dir };
  const run = (cmd: string): string => execFileSync(`${ROOT}scripts/redis-cluster.sh`, [cmd], { env, encoding: 'utf8' }).trim();
  const nodes = run('start').split(',');
  return {
    nodes,
    kill9(port) {
      process.kill(Number(readFileSync(join(dir, `${port}.pid`), 'utf8').trim()), 'SIGKILL');
    },
    restart() {
      run('start');
    },
    stop() {
      run('stop');
    },
  };
}
