// Nothing unbounded is spread into a Redis command or a script's argument list anywhere in the
// sources (see bounded-spread.ts); and the scanner itself catches the shapes it is meant to.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findUnboundedSpreads } from './bounded-spread.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIRS = ['shared', 'gate', 'checkout', 'dashboard', 'loadtest', 'scripts'];
/** Tests and their fixtures spread small, known replies; the guard is for code that runs in production. */
const TEST_CODE = /\.(test|itest|browser|fault)\.ts$|\/testing\//;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = `${dir}/${name}`;
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !TEST_CODE.test(p)) out.push(p);
  }
  return out;
}

describe('bounded spreads into Redis calls', () => {
  it('flags a Redis reply or a whole list spread into a command or script call', () => {
    const bad = [
      `const ids = await redis.zrange(k, 0, -1);\nawait redis.zrem(k, ...ids);`,
      `await runScript(redis, 'open', [k.event], [this.o.id, fence, ...order]);`,
      `pipeScript(pipe, 'x', keys, [a, ...members.map((m) => m)]);`,
      `pipe.zadd(absent, ...args);`,
    ];
    for (const src of bad) expect(findUnboundedSpreads(src), src).toHaveLength(1);
  });

  it('accepts slices, the fixed key set of an event, marked lines and non-Redis calls', () => {
    const good = [
      `for (let i = 0; i < a.length; i += 1000) pipe.zadd(absent, ...a.slice(i, i + 1000));`,
      `const ids = order.slice(done, done + chunk);\nawait runScript(r, 'c', ks, [id, ...ids]);`,
      `await redis.del(...Object.values(eventKeys(prefix, id)));`,
      `// bounded: one SCAN page\nawait redis.unlink(...keys);`,
      `const o = { ...opts, a: 1 }; f(...xs); [...a, ...b].join(',');`,
      `const c = s.slice(i, i + 500);\nconst ids = c.map((w) => w.id);\nawait r.hmget(k, ...ids);`,
      `async subscribe(...channels: string[]) { await this.client.subscribe(...channels); }`,
      `const s = 'redis.zadd(k, ...ids)'; // redis.del(...all)`,
    ];
    for (const src of good) expect(findUnboundedSpreads(src), src).toEqual([]);
  });

  it('finds none in the project sources', () => {
    const findings: string[] = [];
    for (const d of DIRS) {
      for (const file of sources(`${ROOT}${d}`)) {
        for (const f of findUnboundedSpreads(readFileSync(file, 'utf8')))
          findings.push(`${file.slice(ROOT.length)}:${f.line}: ...${f.operand} into ${f.callee}`);
      }
    }
    expect(findings).toEqual([]);
  });
});
