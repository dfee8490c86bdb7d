// ioredis clients and the Lua scripts. Every `.lua` file in shared/src/lua is named
// `<name>-<numberOfKeys>.lua` (`<name>-n.lua`: the caller passes any number of keys), opens with a
// KEYS/ARGV/returns header, and is registered once per client with defineCommand, so calls go by
// SHA with ioredis's NOSCRIPT fallback. A line `--@include <file>.lua as <fn>` is replaced by that
// script as a local function `<fn>(KEYS, ARGV)` returning what the script returns.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ChainableCommander, Cluster, type ClusterOptions, Redis as SingleRedis, type RedisOptions } from 'ioredis';
import { ignoring } from './observability/ignored.ts';

/**
 * A Sluice Redis client: one server (ioredis `Redis`) or a Redis Cluster (ioredis `Cluster`).
 * Commands, pipelines, MULTI and scripts read the same on both; on a cluster each pipeline,
 * MULTI and script must keep to one hash tag (see shared/src/keys.ts).
 */
export type Redis = SingleRedis | Cluster;
export { Cluster, SingleRedis };

/** Where Redis is: the services' config objects fit this shape as they are. */
export interface RedisEndpoint {
  /** The single Redis; with cluster nodes set, only its credentials and TLS (`rediss:`) are used. */
  redisUrl: string;
  /** Redis Cluster seed nodes, `host:port`; empty or absent = the single Redis at redisUrl. */
  redisClusterNodes?: readonly string[];
}

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));
interface ScriptDef {
  name: string;
  /** null: any number of keys (`<name>-n.lua`). */
  numberOfKeys: number | null;
  lua: string;
}

const INCLUDE = /^--@include ([a-z0-9-]+\.lua) as ([A-Za-z_][A-Za-z0-9_]*)$/gm;

let scriptDefs: Map<string, ScriptDef> | undefined;

/** All scripts in shared/src/lua, read once. */
export function scripts(): ReadonlyMap<string, ScriptDef> {
  if (!scriptDefs) {
    scriptDefs = new Map();
    for (const file of readdirSync(LUA_DIR)) {
      const m = /^([a-z][a-z0-9-]*)-(\d+|n)\.lua$/.exec(file);
      if (!m) continue;
      const name = m[1]!;
      const lua = readFileSync(LUA_DIR + file, 'utf8').replace(
        INCLUDE,
        (_, inc: string, fn: string) =>
          `local function ${fn}(KEYS, ARGV)\n${readFileSync(LUA_DIR + inc, 'utf8')}\nend`,
      );
      scriptDefs.set(name, { name, numberOfKeys: m[2] === 'n' ? null : Number(m[2]), lua });
    }
  }
  return scriptDefs;
}

const commandName = (name: string): string => `sluice_${name.replaceAll('-', '_')}`;

export interface ClientOptions extends RedisOptions {
  /**
   * Cluster only: one extra connection per master for SSUBSCRIBE (ioredis `shardedSubscribers`).
   * Set by `subscriberOf`; command clients leave it off.
   */
  sharded?: boolean;
}

const endpointOf = (target: string | RedisEndpoint): RedisEndpoint =>
  typeof target === 'string' ? { redisUrl: target } : target;

/** The cluster seed nodes of `target`, or null for a single Redis. */
export function clusterNodesOf(target: string | RedisEndpoint): readonly string[] | null {
  const nodes = endpointOf(target).redisClusterNodes;
  return nodes && nodes.length > 0 ? nodes : null;
}

/**
 * A Redis client with every Sluice script defined: an ioredis Cluster when `target` names
 * cluster nodes, else a single-server client. `lazyConnect` is off; commands queue while
 * connecting unless `enableOfflineQueue: false` is passed (fail-fast paths such as checkout).
 * Username/password (REDIS_URL or opts) apply to every cluster node too.
 * @example createRedis(config) // config.redisUrl + config.redisClusterNodes
 */
export function createRedis(target: string | RedisEndpoint, opts: ClientOptions = {}): Redis {
  const { sharded, ...rest } = opts;
  const ep = endpointOf(target);
  const nodes = clusterNodesOf(ep);
  const base: RedisOptions = { maxRetriesPerRequest: 2, connectTimeout: 2000, ...rest };
  const redis: Redis = nodes ? newCluster(ep.redisUrl, nodes, base, sharded === true) : new SingleRedis(ep.redisUrl, base);
  for (const def of scripts().values()) {
    redis.defineCommand(commandName(def.name), { numberOfKeys: def.numberOfKeys ?? undefined, lua: def.lua });
  }
  // Errors surface on commands and readiness; an unhandled 'error' event would crash the process.
  // The client reconnects by itself: count and log (rate-limited) the connection errors.
  redis.on('error', ignoring('redis connection'));
  return redis;
}

function newCluster(url: string, nodes: readonly string[], o: RedisOptions, sharded: boolean): Cluster {
  const u = new URL(url);
  const { enableOfflineQueue, retryStrategy, lazyConnect, enableAutoPipelining, ...nodeOpts } = o;
  const startup = nodes.map((n) => {
    const i = n.lastIndexOf(':');
    return { host: n.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(n.slice(i + 1)) };
  });
  const redisOptions: ClusterOptions['redisOptions'] = {
    ...nodeOpts,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  if (o.username) redisOptions.username = o.username;
  if (o.password) redisOptions.password = o.password;
  const cluster = new Cluster(startup, {
    redisOptions,
    enableOfflineQueue: enableOfflineQueue ?? true,
    lazyConnect: lazyConnect ?? false,
    // Reads go to masters: stock, queue and reservations must be read where they are written.
    scaleReads: 'master',
    // After a failover the slot map changes: MOVED triggers a refresh at once, this bounds the
    // staleness otherwise; a command that meets a dead node retries after retryDelayOnFailover.
    slotsRefreshInterval: 2000,
    slotsRefreshTimeout: 1000,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    // Just after a failover the nodes may disagree for a moment about who serves a slot: wait a
    // little between MOVED redirections instead of ping-ponging through all of them at once.
    retryDelayOnMoved: 50,
    maxRedirections: 64,
    clusterRetryStrategy: (times) => (retryStrategy ? (retryStrategy(times) ?? null) : Math.min(100 + times * 50, 1000)),
    shardedSubscribers: sharded,
    // Per node set of the first key's slot: each auto-pipeline stays on one node.
    enableAutoPipelining: enableAutoPipelining ?? false,
    // ioredis picks an auto-pipeline by the first argument, which for a script taking any number
    // of keys is the key count, not a key: those calls go on their own, routed by their keys.
    autoPipeliningIgnoredCommands: [
      ...(o.autoPipeliningIgnoredCommands ?? []),
      ...[...scripts().values()].filter((d) => d.numberOfKeys === null).map((d) => commandName(d.name)),
    ],
  });
  if (sharded) rebuildShardedAfterReconnect(cluster);
  return cluster;
}

interface ShardedGroup {
  stop(): void;
  clusterSlots: unknown;
}

/**
 * Works around ioredis 5.9.2: a Cluster that reconnects whole (`disconnect(true)`: after its
 * ready check failed, or when a sharded subscriber's node ended and no node answered the slot
 * refresh, which a loaded machine's 1 s timeout allows) stops every sharded subscriber and
 * empties their slot index but keeps the slot map it compares with, so the reset after the
 * reconnect sees "no topology change" and never creates them again: every SSUBSCRIBE then fails
 * with "No sharded subscriber for slot" and no sharded message arrives until the slot map
 * changes (tests/cluster/door.itest.ts, 'works again after its subscriber Cluster reconnects
 * whole'). Forgetting the compared map when the group stops makes that reset rebuild the
 * subscribers and re-send every SSUBSCRIBE (ioredis keeps the channel list across a stop for it).
 */
function rebuildShardedAfterReconnect(cluster: Cluster): void {
  const group = (cluster as unknown as { shardedSubscribers?: ShardedGroup }).shardedSubscribers;
  if (!group || typeof group.stop !== 'function') return; // another ioredis: nothing to patch
  const stop = group.stop.bind(group);
  group.stop = () => {
    stop();
    group.clusterSlots = undefined;
  };
}

/**
 * A dedicated pub/sub connection with the settings of `redis` (a subscriber cannot run commands).
 * Global channels (control) use classic SUBSCRIBE, which a cluster delivers from every node;
 * per-event channels use sharded pub/sub (SSUBSCRIBE), served by the event's shard only (on a
 * single Redis 7 the same commands work). `onMessage` receives both kinds.
 */
export class Subscriber {
  readonly client: Redis;

  constructor(client: Redis) {
    this.client = client;
  }

  onMessage(fn: (channel: string, message: string) => void): void {
    this.client.on('message', fn);
    this.client.on('smessage', fn);
  }

  /** Classic channels (global: reach every node of a cluster). */
  async subscribe(...channels: string[]): Promise<void> {
    if (channels.length) await this.client.subscribe(...channels);
  }

  /** Sharded channels; every channel of one call must share one hash tag (one event). */
  async ssubscribe(...channels: string[]): Promise<void> {
    if (channels.length) await this.client.ssubscribe(...channels);
  }

  async sunsubscribe(...channels: string[]): Promise<void> {
    if (channels.length) await this.client.sunsubscribe(...channels);
  }

  close(): void {
    this.client.disconnect();
  }
}

/**
 * The gate's subscriber connection skips ioredis's ready check. That check sends INFO once the
 * handshake's CLIENT commands are answered; a (S)SUBSCRIBE sent during the handshake (the gate
 * subscribes as soon as its subscriber exists) is answered first, so INFO meets a connection already in
 * subscriber mode: ioredis 5.9 refuses it, treats that as fatal, rejects the commands in flight
 * ("Connection in subscriber mode, only subscriber commands may be used": a gate worker died at
 * start-up) and reconnects without the subscriptions (the handshake had not finished, so none are
 * restored). It needs no ready check: (S)SUBSCRIBE are allowed while Redis loads. (ioredis's
 * sharded subscriber connections already run without it; its one classic-channel connection of a
 * cluster keeps it, but is lazy, so its first SUBSCRIBE waits for the handshake.) `subscriberOf`
 * keeps the check: checkout subscribes only on 'ready' and reads 'ready' as "Redis has loaded".
 */
const SUBSCRIBER_OPTIONS = { enableReadyCheck: false } as const;

/** A new subscriber connection to the same Redis (or cluster) as `target`. */
export function createSubscriber(target: string | RedisEndpoint, opts: ClientOptions = {}): Subscriber {
  return new Subscriber(createRedis(target, { ...opts, ...SUBSCRIBER_OPTIONS, sharded: true }));
}

/** A subscriber with the connection settings of an existing client (tests, tools). */
export function subscriberOf(redis: Redis): Subscriber {
  // Never auto-pipelined (the command client may be): subscriptions and barrier PINGs go out when issued.
  const dup =
    redis instanceof Cluster
      ? redis.duplicate([], { shardedSubscribers: true, enableAutoPipelining: false })
      : (redis as SingleRedis).duplicate({ enableAutoPipelining: false });
  if (dup instanceof Cluster) rebuildShardedAfterReconnect(dup);
  // Errors surface on subscribe calls; an unhandled 'error' would crash. Counted and logged.
  dup.on('error', ignoring('redis subscriber connection'));
  return new Subscriber(dup);
}

/**
 * Every key matching `pattern` (SCAN over each master of a cluster), passed to `each` in pages.
 * @example await scanKeys(redis, 'test1:*', (keys) => redis.del(...keys))
 */
export async function scanKeys(
  redis: Redis,
  pattern: string,
  each: (keys: string[], node: SingleRedis) => Promise<unknown>,
): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis as SingleRedis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await each(keys, node);
      cursor = next;
    } while (cursor !== '0');
  }
}

/** Delete every key under `prefix:` (test and tool cleanup; key by key, so no CROSSSLOT). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  await scanKeys(redis, `${prefix}:*`, async (keys) => {
    // Through the client, not the node: before its first slot refresh a cluster client may list a
    // replica among the masters (its keys are the master's, and a replica refuses writes).
    await Promise.all(keys.map((k) => redis.unlink(k)));
  });
}

type Arg = string | number | Buffer;

function callArgs(name: string, keys: readonly string[], args: readonly Arg[]): [string, Arg[]] {
  const def = scripts().get(name);
  if (!def) throw new Error(`no Lua script named ${name}`);
  // Any number of keys: ioredis then takes the key count as the first argument.
  if (def.numberOfKeys === null) return [commandName(name), [keys.length, ...keys, ...args]];
  if (def.numberOfKeys !== keys.length) {
    throw new Error(`script ${name} takes ${def.numberOfKeys} keys, got ${keys.length}`);
  }
  return [commandName(name), [...keys, ...args]];
}

/** Run a script by name. @example await runScript(redis, 'join', [k.event, k.queue], [placeId, now]) */
export function runScript<T = unknown>(
  redis: Redis,
  name: string,
  keys: readonly string[],
  args: readonly Arg[],
): Promise<T> {
  const [cmd, all] = callArgs(name, keys, args);
  return (redis as unknown as Record<string, (...a: Arg[]) => Promise<T>>)[cmd]!(...all);
}

/** Queue a script call on a pipeline or multi. */
export function pipeScript(
  pipe: ChainableCommander,
  name: string,
  keys: readonly string[],
  args: readonly Arg[],
): ChainableCommander {
  const [cmd, all] = callArgs(name, keys, args);
  return (pipe as unknown as Record<string, (...a: Arg[]) => ChainableCommander>)[cmd]!(...all);
}
