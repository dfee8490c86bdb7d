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

it('pins a build with a gate URL or on request, and not otherwise', async () => {
  const { isPinnedPage } = await import('./pinned.ts');
  await buildPage({ outDir: dir, gateUrl: 'https://gate.example' });
  expect(isPinnedPage(await readFile(join(dir, 'index.html'), 'utf8'))).toBe(true);
  await buildPage({
    outDir: dir,
    pinned: true,
    mode: 'cookie',
    cookieEndpoint: 'https://shop.example/admit',
  });
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  expect(isPinnedPage(html)).toBe(true);
  expect(html).toContain('data-cookie-endpoint="https://shop.example/admit"');
  await buildPage({ outDir: dir });
  expect(isPinnedPage(await readFile(join(dir, 'index.html'), 'utf8'))).toBe(false);
});

it('a production gate refuses to serve an unpinned page; the production image builds it pinned', async () => {
  const { checkServedPage } = await import('../src/http/ops.ts');
  await buildPage({ outDir: dir });
  await expect(checkServedPage(true, { NODE_ENV: 'production' }, dir)).rejects.toThrow(/pinned/);
  await expect(checkServedPage(false, { NODE_ENV: 'production' }, dir)).resolves.toBeUndefined();
  await expect(checkServedPage(true, { NODE_ENV: 'development' }, dir)).resolves.toBeUndefined();
  await buildPage({ outDir: dir, pinned: true });
  await expect(checkServedPage(true, { NODE_ENV: 'production' }, dir)).resolves.toBeUndefined();
  // The image's page build step: before, it built the page unpinned.
  const dockerfile = await readFile(join(import.meta.dirname, '../../Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^RUN SLUICE_PAGE_PINNED=1 npm run build$/m);
});
