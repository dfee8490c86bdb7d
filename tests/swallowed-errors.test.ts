// Issue 16 item 7, kept true: no error is dropped without a word in code that ships or runs the
// suite (the before-stop hook's patterns, over every tracked .ts file but unit and integration
// tests). Log it (shared/src/observability/ignored.ts counts and rate-limits), or say in a comment
// why ignoring it is safe.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PATTERN = String.raw`catch \{\s*\}|catch \(\w*\) \{\s*\}|\.catch\(\(\) => \{\}\)|on\(.error., \(\) => \{\}\)`;

it('finds no swallowed error in tracked .ts files outside unit and integration tests', () => {
  let out = '';
  try {
    out = execFileSync('git', ['grep', '-nE', PATTERN, '--', '*.ts'], { cwd: ROOT, encoding: 'utf8' });
  } catch (err) {
    if ((err as { status?: number }).status !== 1) throw err; // 1 = no match
  }
  const hits = out.split('\n').filter((l) => l && !/\.(test|itest)\.ts:/.test(l));
  expect(hits).toEqual([]);
});
