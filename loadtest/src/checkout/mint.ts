// Pre-minting tickets for the checkout runs: `count` distinct tickets (distinct jti/sub), split
// over processes, written to files of one ticket per line.
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTs } from '../lib/proc.ts';

export interface MintJob {
  alg: 'EdDSA' | 'ES256';
  privateJwk: JsonWebKey;
  kid: string;
  evt: string;
  iss: string;
  aud: string;
  ttlS: number;
  placePrefix: string;
  from: number;
  to: number;
  file: string;
  /** Record each ticket's digest as the gate does (first-use and repeat sets; never junk). */
  record?: { redisUrl: string; prefix: string };
}

export interface MintedSet {
  files: string[];
  count: number;
  seconds: number;
  dir: string;
}

export async function mintTickets(
  o: Omit<MintJob, 'from' | 'to' | 'file'> & { count: number; processes: number; dir?: string },
): Promise<MintedSet> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'sluice-tickets-'));
  const t0 = Date.now();
  const n = Math.max(1, Math.min(o.processes, o.count));
  const kids = Array.from({ length: n }, () => spawnTs('checkout/mint-worker.ts'));
  const files: string[] = [];
  try {
    await Promise.all(kids.map((k) => k.next((m) => m.t === 'ready', 120_000, 'ready message')));
    await Promise.all(
      kids.map((k, i) => {
        const from = Math.floor((o.count * i) / n);
        const to = Math.floor((o.count * (i + 1)) / n);
        const file = join(dir, `${o.placePrefix}-${i}.txt`);
        files.push(file);
        const { count: _c, processes: _p, dir: _d, ...rest } = o;
        k.send({ ...rest, from, to, file } satisfies MintJob);
        return k.next((m) => m.t === 'done', 600_000);
      }),
    );
  } finally {
    await Promise.all(kids.map((k) => k.stop()));
  }
  return { files, count: o.count, seconds: (Date.now() - t0) / 1000, dir };
}

export function readTickets(files: readonly string[]): string[] {
  return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));
}

export function removeMinted(set: MintedSet): void {
  rmSync(set.dir, { recursive: true, force: true });
}

/** A fresh key pair as JWKs (private and public), for a test signer or a junk signer. */
export function newKeyPair(alg: 'EdDSA' | 'ES256', kid: string): { privateJwk: JsonWebKey; publicJwk: JsonWebKey & { kid: string } } {
  const kp =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicJwk = { ...kp.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { privateJwk: kp.privateKey.export({ format: 'jwk' }), publicJwk };
}
