// Static checks of the deployment files, part 2: the commands each service and the image run
// refer to real scripts and files, compiled output in production, and the Dockerfile's stages.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtFrom } from '../../scripts/build.ts';
import { APP_DIR, type Compose, readText, sluiceServices } from './compose.ts';

interface Pkg {
  name?: string;
  scripts?: Record<string, string>;
  workspaces?: string[];
}
const readPkg = (root: string, dir: string): Pkg =>
  JSON.parse(readText(root, join(dir, 'package.json'))) as Pkg;

/** `-w gate`, `--workspace=gate` or `--workspace @sluice/gate` → the workspace folder ('.' without). */
function workspaceDir(root: string, args: string[]): { dir: string } | { error: string } {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const value = arg.startsWith('--workspace=')
      ? arg.slice(12)
      : arg === '-w' || arg === '--workspace'
        ? args[i + 1]
        : undefined;
    if (value === undefined) continue;
    const dir = (readPkg(root, '.').workspaces ?? []).find(
      (d) => d === value || readPkg(root, d).name === value,
    );
    return dir ? { dir } : { error: `no workspace ${value}` };
  }
  return { dir: '.' };
}

/** A `node [--import tsx] <file>` command line: the file must exist (relative to `cwd`). */
function nodeEntryProblem(root: string, cwd: string, argv: string[], what: string): string | undefined {
  const args = argv.slice(1);
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--import' || arg === '--require' || arg === '-r') i++;
    else if (arg === '-e' || arg === '--eval') return undefined;
    else if (!arg.startsWith('-')) {
      files.push(arg);
      break;
    }
  }
  const file = files[0];
  if (!file) return `${what}: no entry file in "${argv.join(' ')}"`;
  const path = join(cwd, file);
  if (/(^|\/)build\//.test(path)) {
    // Written by `npm run build` (not in the repository): its source must be one the build emits.
    return builtFrom(path)
      ? undefined
      : `${what}: ${path} is not written by npm run build (scripts/build.ts)`;
  }
  return existsSync(join(root, path)) ? undefined : `${what}: ${path} does not exist`;
}

/** One command (argv) as the image would run it from `cwd` (relative to the repository). */
export function commandProblem(root: string, cwd: string, argv: string[], what: string): string | undefined {
  if (argv[0] === 'node') return nodeEntryProblem(root, cwd, argv, what);
  if (argv[0] !== 'npm' || (argv[1] !== 'run' && argv[1] !== 'run-script' && argv[1] !== 'start')) {
    return `${what}: expected "npm run <script>" or "node <file>", got "${argv.join(' ')}"`;
  }
  const script = argv[1] === 'start' ? 'start' : argv[2];
  const rest = argv.slice(argv[1] === 'start' ? 2 : 3);
  if (!script) return `${what}: no script name`;
  const ws = workspaceDir(root, rest);
  if ('error' in ws) return `${what}: ${ws.error}`;
  const { dir } = ws;
  const body = readPkg(root, dir).scripts?.[script];
  if (body === undefined) return `${what}: no script "${script}" in ${join(dir, 'package.json')}`;
  // Follow the script one level when it is a plain node command, so a moved entry file is caught.
  const words = body.trim().split(/\s+/);
  return words[0] === 'node' && !/[;&|]/.test(body)
    ? nodeEntryProblem(root, dir, words, `${what} (${script})`)
    : undefined;
}

/** A `node …` command run in a package folder must be one of that package's scripts, verbatim. */
function scriptMismatch(root: string, cwd: string, argv: string[], what: string): string | undefined {
  if (argv[0] !== 'node') return undefined;
  if (!existsSync(join(root, cwd, 'package.json'))) return `${what}: ${cwd} is not a package folder`;
  const line = argv.join(' ');
  const scripts = Object.values(readPkg(root, cwd).scripts ?? {});
  return scripts.includes(line)
    ? undefined
    : `${what}: "${line}" is not a script of ${join(cwd, 'package.json')}`;
}

export const argvOf = (command: string | string[]): string[] =>
  Array.isArray(command) ? command : command.trim().split(/\s+/);

/** Every Sluice service command (or the image CMD it inherits) refers to a real script or file. */
export function commandProblems(root: string, compose: Compose, dockerfile: string): string[] {
  const cmd = dockerfileCmd(dockerfile);
  const problems: string[] = [];
  for (const [name, service] of sluiceServices(compose)) {
    const argv = service.command ? argvOf(service.command) : cmd;
    if (!argv) {
      problems.push(`${name}: no command and no CMD in the Dockerfile`);
      continue;
    }
    const wd = service.working_dir ?? APP_DIR;
    if (wd !== APP_DIR && !wd.startsWith(`${APP_DIR}/`)) {
      problems.push(`${name}: working_dir ${wd} is outside ${APP_DIR}`);
      continue;
    }
    const cwd = wd.slice(APP_DIR.length + 1) || '.';
    const problem = commandProblem(root, cwd, argv, name) ?? scriptMismatch(root, cwd, argv, name);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** A command that runs TypeScript through a loader instead of the built JavaScript. */
export function loaderProblem(argv: string[], what: string): string | undefined {
  if (argv[0] !== 'node') return undefined;
  const line = argv.join(' ');
  if (
    /--(import|loader|require)[ =]tsx\b|(^|\s)-r\s+tsx\b/.test(line) ||
    argv.some((a) => /\.[mc]?ts$/.test(a))
  )
    return `${what}: "${line}" runs TypeScript; production runs the JavaScript of npm run build`;
  return undefined;
}

/** Every Sluice service and the Dockerfile CMD run built JavaScript with plain node. */
export function compiledProblems(compose: Compose, dockerfile: string): string[] {
  const problems: string[] = [];
  for (const [name, service] of sluiceServices(compose)) {
    const argv = service.command ? argvOf(service.command) : dockerfileCmd(dockerfile);
    const p =
      argv &&
      (argv[0] === 'node' ? loaderProblem(argv, name) : `${name}: runs "${argv.join(' ')}", not node`);
    if (p) problems.push(p);
  }
  const cmd = dockerfileCmd(dockerfile);
  const p = cmd && loaderProblem(cmd, 'Dockerfile CMD');
  if (p) problems.push(p);
  return problems;
}

/** The final stage's exec-form CMD of the Dockerfile. */
export function dockerfileCmd(dockerfile: string): string[] | undefined {
  const lines = dockerfile.split('\n').filter((l) => /^CMD\s/i.test(l));
  const last = lines.at(-1);
  return last ? (JSON.parse(last.replace(/^CMD\s+/i, '')) as string[]) : undefined;
}

/** Stages build → runtime, the runtime as a non-root user, and every `npm run` in it exists. */
export function dockerfileProblems(root: string, dockerfile: string): string[] {
  const problems: string[] = [];
  const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
  if (stages.join(',') !== 'build,runtime')
    problems.push(`stages are ${stages.join(', ')}, expected build, runtime`);
  const runtime = dockerfile.slice(dockerfile.search(/^FROM\s+\S+\s+AS\s+runtime/im));
  const users = [...runtime.matchAll(/^USER\s+(\S+)/gim)].map((m) => m[1]);
  const user = users.at(-1);
  if (!user || user === 'root' || user === '0' || user.startsWith('0:')) {
    problems.push(`runtime stage runs as ${user ?? 'root (no USER)'}`);
  }
  const cmd = dockerfileCmd(dockerfile);
  const cmdProblem = cmd ? commandProblem(root, '.', cmd, 'Dockerfile CMD') : 'Dockerfile: no CMD';
  if (cmdProblem) problems.push(cmdProblem);
  for (const m of dockerfile.matchAll(/npm run (\S+)([^&\n\\]*)/g)) {
    const script = m[1] ?? '';
    const args = (m[2] ?? '').trim().split(/\s+/).filter(Boolean);
    if (args.includes('--workspaces') || args.includes('-ws')) continue; // --if-present runs what exists
    const problem = commandProblem(root, '.', ['npm', 'run', script, ...args], 'Dockerfile');
    if (problem) problems.push(problem);
  }
  return problems;
}

/** The host file mounted at `target` in a service, if any. */
