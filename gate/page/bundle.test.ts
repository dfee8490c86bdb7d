// The built page stays small (the budget: under 50 KB gzipped, everything the page
// loads) and its HTML points at hashed assets that exist.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { buildPage } from './build.ts';

const dir = await mkdtemp(join(tmpdir(), 'sluice-page-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

it('builds hashed assets under 50 KB gzipped, referenced by index.html', async () => {
  const b = await buildPage({ outDir: dir, gateUrl: 'https://gate.example', event: 'drop1' });
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  expect(b.files.script).toMatch(/^queue-[\w-]{10}\.js$/);
  expect(b.files.styles).toMatch(/^styles-[\w-]{10}\.css$/);
  expect(html).toContain(`src="${b.files.script}"`);
  expect(html).toContain(`href="${b.files.styles}"`);
  expect(html).toContain('data-gate-url="https://gate.example"');
  const names = await readdir(dir);
  for (const f of Object.values(b.files)) expect(names).toContain(f);
  expect(names).toContain('CDN.md');

  let gz = 0;
  for (const f of [b.files.html, b.files.script, b.files.styles])
    gz += gzipSync(await readFile(join(dir, f))).length;
  console.log(`queue page: ${gz} bytes gzipped (html + js + css)`);
  expect(gz).toBeLessThan(50 * 1024);
});
