// Bundles the console (TypeScript + uPlot + CSS) with esbuild. The dashboard builds it in memory
// at start (a fraction of a second); `npm run build -w dashboard` writes dashboard/dist/ to look at.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { FAVICON_LINK } from '@sluice/shared/web/favicon.ts';

export interface ConsoleBundle {
  js: string;
  css: string;
}

// Spelled from the package root so the built server (dashboard/build/console/build.js, same
// depth) bundles the same browser source.
const ENTRY = fileURLToPath(new URL('../../src/console/main.ts', import.meta.url));

export async function buildConsole(minify = true): Promise<ConsoleBundle> {
  const out = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify,
    sourcemap: false,
    outdir: 'out',
    logLevel: 'silent',
  });
  const js = out.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
  const css = out.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
  return { js, css };
}

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice console</title>
${FAVICON_LINK}
<link rel="stylesheet" href="/assets/console.css">
</head>
<body>
<main id="app"><p>Loading…</p></main>
<script type="module" src="/assets/console.js"></script>
</body>
</html>
`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = fileURLToPath(new URL('../../dist/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const b = await buildConsole();
  writeFileSync(`${dir}console.js`, b.js);
  writeFileSync(`${dir}console.css`, b.css);
  writeFileSync(`${dir}index.html`, CONSOLE_HTML);
  console.log(`console written to ${dir}`);
}
