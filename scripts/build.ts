// `npm run build`: the JavaScript production runs with plain `node` (no TypeScript loader).
// Every service source file `<ws>/src/**/*.ts` becomes `<ws>/build/**/*.js` at the same depth, so
// the paths a module finds at run time relative to itself still hold (shared/migrations,
// gate/page/dist); the Lua scripts are copied beside the code that loads them
// (shared/build/lua). Each file is transpiled alone (esbuild, no bundling): relative imports
// `./x.ts` become `./x.js`, and `@sluice/shared[/path.ts]` becomes a relative import of
// shared/build, so nothing at run time resolves to a .ts file. Tests, browser code bundled
// elsewhere (the queue page, the console) and dev scripts are left out.
//
//   npm run build          # browser bundles (gate page, console), then this
//   node gate/build/main.js
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Workspaces that run on the server, in dependency order. */
export const SERVICE_WORKSPACES = ['shared', 'gate', 'checkout', 'dashboard'] as const;
export const OUT = 'build';

const SKIP = /\.(test|itest|browser|fault)\.ts$|\.d\.ts$/;
/** Test helpers (they import development packages the production image does not have). */
const TEST_SUPPORT = /(^|\/)(testing|test-[a-z-]+)(\/|\.ts$)/;
/** Browser code the dashboard bundles from source at start (console/build.ts is the server side). */
const BROWSER_ONLY = /^dashboard\/src\/console\/(?!build\.ts$)/;

/** The service sources of one workspace (relative to the repository). */
export function sourcesOf(ws: string): string[] {
  const src = join(ROOT, ws, 'src');
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !SKIP.test(f) && !TEST_SUPPORT.test(f.split(sep).join('/')))
    .map((f) => join(ws, 'src', f))
    .filter((f) => !BROWSER_ONLY.test(f.split(sep).join('/')));
}

/** `<ws>/src/a/b.ts` → `<ws>/build/a/b.js` (absolute). */
export function outputOf(sourceAbs: string): string {
  const rel = relative(ROOT, sourceAbs).split(sep);
  if (rel[1] !== 'src') throw new Error(`not a service source: ${sourceAbs}`);
  return join(ROOT, rel[0] ?? '', OUT, ...rel.slice(2)).replace(/\.ts$/, '.js');
}

/**
 * The source a built file comes from (`gate/build/main.js` → `gate/src/main.ts`, repository-relative),
 * or undefined when the build does not write that file.
 */
export function builtFrom(path: string): string | undefined {
  const m = /^([a-z]+)\/build\/(.+)\.js$/.exec(path.split(sep).join('/'));
  if (!m || !(SERVICE_WORKSPACES as readonly string[]).includes(m[1] ?? '')) return undefined;
  const source = join(m[1] ?? '', 'src', `${m[2]}.ts`);
  return existsSync(join(ROOT, source)) && sourcesOf(m[1] ?? '').includes(source) ? source : undefined;
}

const relativeImport = (fromFile: string, toFile: string): string => {
  const r = relative(dirname(fromFile), toFile).split(sep).join('/');
  return r.startsWith('.') ? r : `./${r}`;
};

/** Rewrites imports as described above and keeps every import external (one file in, one out). */
const rewriteImports: Plugin = {
  name: 'sluice-rewrite-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const shared = /^@sluice\/shared(?:\/(.+))?$/.exec(args.path);
      if (shared) {
        const target = join(ROOT, 'shared', 'src', shared[1] ?? 'index.ts');
        return { path: relativeImport(outputOf(args.importer), outputOf(target)), external: true };
      }
      if (args.path.startsWith('.') && args.path.endsWith('.ts')) {
        // A helper outside the importer's src/ (gate/page/pinned.ts) is inlined into the importer.
        const src = join(relative(ROOT, args.importer).split(sep)[0] ?? '', 'src') + sep;
        if (!relative(ROOT, join(args.resolveDir, args.path)).startsWith(src)) return undefined;
        return { path: args.path.replace(/\.ts$/, '.js'), external: true };
      }
      if (args.path.startsWith('.'))
        throw new Error(`${args.importer}: relative import without .ts: ${args.path}`);
      return { path: args.path, external: true }; // packages and node: builtins
    });
  },
};

export async function buildServices(): Promise<string[]> {
  const written: string[] = [];
  for (const ws of SERVICE_WORKSPACES) {
    rmSync(join(ROOT, ws, OUT), { recursive: true, force: true });
    const entries = sourcesOf(ws).map((f) => join(ROOT, f));
    await build({
      entryPoints: entries,
      outbase: join(ROOT, ws, 'src'),
      outdir: join(ROOT, ws, OUT),
      bundle: true, // only so the plugin sees every import; all of them are external
      plugins: [rewriteImports],
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
    });
    written.push(...entries.map(outputOf));
  }
  const lua = join(ROOT, 'shared', 'src', 'lua');
  const luaOut = join(ROOT, 'shared', OUT, 'lua');
  mkdirSync(luaOut, { recursive: true });
  for (const f of readdirSync(lua).filter((n) => n.endsWith('.lua')))
    copyFileSync(join(lua, f), join(luaOut, f));
  for (const f of written) if (!existsSync(f)) throw new Error(`build did not write ${f}`);
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await buildServices();
  console.log(`built ${files.length} files into ${SERVICE_WORKSPACES.map((w) => `${w}/${OUT}`).join(', ')}`);
}
