// ioredis clients and the Lua scripts. Every `.lua` file in shared/src/lua is named
// `<name>-<numberOfKeys>.lua`, opens with a KEYS/ARGV/returns header, and is registered once per
// client with defineCommand, so calls go by SHA with ioredis's NOSCRIPT fallback.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis, type RedisOptions, type ChainableCommander } from 'ioredis';

export { Redis };

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));

interface ScriptDef {
  name: string;
  numberOfKeys: number;
  lua: string;
}

let scriptDefs: Map<string, ScriptDef> | undefined;

/** All scripts in shared/src/lua, read once. */
export function scripts(): ReadonlyMap<string, ScriptDef> {
  if (!scriptDefs) {
    scriptDefs = new Map();
    for (const file of readdirSync(LUA_DIR)) {
      const m = /^([a-z][a-z0-9-]*)-(\d+)\.lua$/.exec(file);
      if (!m) continue;
      const name = m[1]!;
      scriptDefs.set(name, { name, numberOfKeys: Number(m[2]), lua: readFileSync(LUA_DIR + file, 'utf8') });
    }
  }
  return scriptDefs;
}

const commandName = (name: string): string => `sluice_${name.replaceAll('-', '_')}`;

/**
 * A Redis client with every Sluice script defined. `lazyConnect` is off; commands queue while
 * connecting unless `enableOfflineQueue: false` is passed (fail-fast paths such as checkout).
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, connectTimeout: 2000, ...opts });
  for (const def of scripts().values()) {
    redis.defineCommand(commandName(def.name), { numberOfKeys: def.numberOfKeys, lua: def.lua });
  }
  // Errors surface on commands and readiness; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  return redis;
}

type Arg = string | number | Buffer;

function callArgs(name: string, keys: readonly string[], args: readonly Arg[]): [string, Arg[]] {
  const def = scripts().get(name);
  if (!def) throw new Error(`no Lua script named ${name}`);
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
