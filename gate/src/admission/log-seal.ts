// Sealing the public admission log: after each tick it led, the admitter hashes the entries the
// admit script appended since the last seal (bounded chunks), signs the new head with the
// current ticket key, and stores both under its fencing token (log-seal Lua). A leader that dies
// between admit and seal leaves entries unsealed; the next leader seals them, in order.
import {
  chainHash,
  eventKeys,
  genesisHash,
  type LogHead,
  LuaCode,
  type Redis,
  runScript,
} from '@sluice/shared';

/** Most entries hashed per seal call (one tick's work stays small). */
export const SEAL_CHUNK = 500;

export type HeadSigner = (head: LogHead) => Promise<string>;

/** Seal what is unsealed, a chunk at a time; returns the sealed length, or null if deposed. */
export async function sealLog(
  redis: Redis,
  prefix: string,
  evt: string,
  leader: { id: string; fence: number },
  sign: HeadSigner,
  now: number,
): Promise<number | null> {
  const k = eventKeys(prefix, evt);
  for (let round = 0; round < 10; round++) {
    const [[e1, sealed], [e2, total]] = ((await redis.pipeline().llen(k.logHash).llen(k.log).exec()) ??
      []) as [[Error | null, number], [Error | null, number]];
    if (e1 || e2) throw e1 ?? e2;
    if (sealed >= total) return sealed;
    const end = Math.min(total, sealed + SEAL_CHUNK);
    const [lines, before] = await Promise.all([
      redis.lrange(k.log, sealed, end - 1),
      sealed === 0 ? Promise.resolve(genesisHash(evt)) : redis.lindex(k.logHash, sealed - 1),
    ]);
    if (before === null) throw new Error(`admission log of ${evt}: hash ${sealed - 1} missing`);
    let hash = before;
    const hashes: string[] = [];
    for (const line of lines) {
      hash = chainHash(hash, line);
      hashes.push(hash);
    }
    const head: LogHead = { evt, n: sealed + lines.length, hash, at: now };
    const jws = await sign(head);
    const r = Number(
      await runScript(
        redis,
        'log-seal',
        [k.leader, k.fence, k.logHash, k.logHead],
        [leader.id, leader.fence, sealed, JSON.stringify({ ...head, jws }), hashes.join('')],
      ),
    );
    if (r === LuaCode.NOT_LEADER) return null;
    if (r === LuaCode.STALE) continue; // another leader sealed meanwhile: read again
    if (r < 0) throw new Error(`admission log of ${evt}: seal refused (${r})`);
    if (end === total) return r;
  }
  return null;
}
