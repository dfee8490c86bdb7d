// Shared by the admission-log tests: run the outsider's verifier against a gate, and forge a log
// the way an insider with write access to Redis could (re-chained, head re-signed).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chainHash, eventKeys, genesisHash, loadKeyring, type Redis, signLogHead } from '@sluice/shared';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Run `verify-admissions` as its own process (asynchronously: the gate serving it lives in this one). */
export function verifyAdmissions(evt: string, gateHttp: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'gate/scripts/verify-admissions.ts', '--event', evt, '--gate', gateHttp],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** Replace the event's whole log with `lines`, re-chained and with a head signed by the gate's key. */
export async function rewriteLog(redis: Redis, prefix: string, evt: string, lines: string[]): Promise<void> {
  const k = eventKeys(prefix, evt);
  let h = genesisHash(evt);
  const hashes = lines.map((l) => {
    h = chainHash(h, l);
    return h;
  });
  const head = { evt, n: lines.length, hash: h, at: Date.now() };
  const jws = await signLogHead((await loadKeyring(redis, prefix)).current, head);
  // bounded: a test's log of a few dozen entries (the tests admit 60 shoppers)
  await redis.multi().del(k.log, k.logHash).rpush(k.log, ...lines).rpush(k.logHash, ...hashes).set(k.logHead, JSON.stringify({ ...head, jws })).exec();
}
