// Builds the queue page into gate/page/dist: hashed, minified assets that can be cached for a
// year, an index.html and an unhashed sluice.js that must be revalidated, and CDN notes with
// the exact file names. `npm run build:page`; set SLUICE_GATE_URL / SLUICE_EVENT to pin them in
// the HTML. A build with SLUICE_GATE_URL or SLUICE_PAGE_PINNED=1 is pinned: the page then takes
// the gate, the hand-over mode (SLUICE_PAGE_MODE) and the cookie endpoint
// (SLUICE_COOKIE_ENDPOINT) from its HTML only, never from a link (production images build it so).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { FAVICON_SVG } from '@sluice/shared/web/favicon.ts';
import { isPinnedPage } from './pinned.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface PageBuild {
  outDir: string;
  /** Asset name → file name in outDir. */
  files: { html: string; script: string; styles: string; sluice: string; sluiceHashed: string; favicon: string };
}

/** Cache-Control per file, as documented in CDN.md. */
export const CACHE_HEADERS = {
  hashed: 'public, max-age=31536000, immutable',
  html: 'public, max-age=60, must-revalidate',
  sluice: 'public, max-age=300, must-revalidate',
} as const;

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function hashed(name: string, ext: string, body: Uint8Array | string): string {
  return `${name}-${createHash('sha256').update(body).digest('base64url').slice(0, 10)}.${ext}`;
}

export async function buildPage(
  opts: {
    outDir?: string;
    gateUrl?: string;
    event?: string;
    /** Default: pinned when a gate URL is given. */
    pinned?: boolean;
    mode?: 'fragment' | 'cookie';
    cookieEndpoint?: string;
  } = {},
): Promise<PageBuild> {
  const outDir = opts.outDir ?? join(here, 'dist');
  const result = await build({
    entryPoints: {
      queue: join(here, 'src/main.ts'),
      sluice: join(here, 'src/sluice.ts'),
      styles: join(here, 'src/styles.css'),
    },
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    write: false,
    outdir: 'out',
    legalComments: 'none',
    logLevel: 'warning',
  });
  const out = (name: string) => {
    const f = result.outputFiles.find((o) => o.path.endsWith(`/${name}`));
    if (!f) throw new Error(`esbuild produced no ${name}`);
    return f.contents;
  };
  const queueJs = out('queue.js');
  const sluiceJs = out('sluice.js');
  const css = out('styles.css');
  const files = {
    html: 'index.html',
    script: hashed('queue', 'js', queueJs),
    styles: hashed('styles', 'css', css),
    sluice: 'sluice.js',
    sluiceHashed: hashed('sluice', 'js', sluiceJs),
    favicon: 'favicon.svg',
  };
  const html = (await readFile(join(here, 'src/index.html'), 'utf8'))
    .replace('%FAVICON%', files.favicon)
    .replace('%STYLES%', files.styles)
    .replace('%SCRIPT%', files.script)
    .replace('%PINNED%', (opts.pinned ?? Boolean(opts.gateUrl)) ? 'true' : 'false')
    .replace('%GATE_URL%', escapeAttr(opts.gateUrl ?? ''))
    .replace('%EVENT%', escapeAttr(opts.event ?? ''))
    .replace('%MODE%', escapeAttr(opts.mode ?? ''))
    .replace('%COOKIE_ENDPOINT%', escapeAttr(opts.cookieEndpoint ?? ''));

  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await Promise.all([
    writeFile(join(outDir, files.html), html),
    writeFile(join(outDir, files.script), queueJs),
    writeFile(join(outDir, files.styles), css),
    writeFile(join(outDir, files.sluice), sluiceJs),
    writeFile(join(outDir, files.sluiceHashed), sluiceJs),
    // Next to the page (same origin, so any `img-src 'self'` allows it): no 404 for an icon.
    writeFile(join(outDir, files.favicon), FAVICON_SVG),
    writeFile(
      join(outDir, 'manifest.json'),
      `${JSON.stringify({ files, cacheControl: CACHE_HEADERS }, null, 2)}\n`,
    ),
    writeFile(join(outDir, '_headers'), headersFile(files)),
    writeFile(join(outDir, 'CDN.md'), cdnNotes(files)),
  ]);
  return { outDir, files };
}

/** Netlify / Cloudflare Pages style `_headers`; other CDNs: set the same values by path. */
function headersFile(f: PageBuild['files']): string {
  return [
    `/${f.script}`,
    `  Cache-Control: ${CACHE_HEADERS.hashed}`,
    `/${f.styles}`,
    `  Cache-Control: ${CACHE_HEADERS.hashed}`,
    `/${f.sluiceHashed}`,
    `  Cache-Control: ${CACHE_HEADERS.hashed}`,
    `  Access-Control-Allow-Origin: *`,
    `/${f.sluice}`,
    `  Cache-Control: ${CACHE_HEADERS.sluice}`,
    `  Access-Control-Allow-Origin: *`,
    `/`,
    `  Cache-Control: ${CACHE_HEADERS.html}`,
    `/${f.html}`,
    `  Cache-Control: ${CACHE_HEADERS.html}`,
    '',
  ].join('\n');
}

function cdnNotes(f: PageBuild['files']): string {
  return `# Cache headers for this build

Upload every file in this folder to the same path on your CDN (any origin; it need not be the
gate's). Then set:

| file | Cache-Control | why |
|---|---|---|
| \`${f.script}\`, \`${f.styles}\`, \`${f.sluiceHashed}\` | \`${CACHE_HEADERS.hashed}\` | the name changes with the content |
| \`${f.html}\` | \`${CACHE_HEADERS.html}\` | names the current assets; a new build is picked up within a minute |
| \`${f.sluice}\` | \`${CACHE_HEADERS.sluice}\` | stable name for storefronts that include it; or include \`${f.sluiceHashed}\` and update the tag on release |

\`_headers\` holds the same rules in the Netlify / Cloudflare Pages format. Upload the hashed
assets before \`${f.html}\`, and keep the previous build's assets for at least a day so pages
already open keep loading. See gate/page/CDN.md for the whole setup (allowed origins, pinning
the gate URL, return URL, ticket hand-over).
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const env = process.env;
  if (env.SLUICE_PAGE_MODE && env.SLUICE_PAGE_MODE !== 'fragment' && env.SLUICE_PAGE_MODE !== 'cookie')
    throw new Error('SLUICE_PAGE_MODE must be fragment or cookie');
  const b = await buildPage({
    ...(env.SLUICE_GATE_URL ? { gateUrl: env.SLUICE_GATE_URL } : {}),
    ...(env.SLUICE_EVENT ? { event: env.SLUICE_EVENT } : {}),
    ...(env.SLUICE_PAGE_PINNED === '1' ? { pinned: true } : {}),
    ...(env.SLUICE_PAGE_MODE ? { mode: env.SLUICE_PAGE_MODE as 'fragment' | 'cookie' } : {}),
    ...(env.SLUICE_COOKIE_ENDPOINT ? { cookieEndpoint: env.SLUICE_COOKIE_ENDPOINT } : {}),
  });
  const pinned = isPinnedPage(await readFile(join(b.outDir, b.files.html), 'utf8'));
  console.log(
    `queue page built in ${b.outDir} (${pinned ? 'pinned' : 'NOT pinned: development only'}): ${Object.values(b.files).join(', ')}`,
  );
}
