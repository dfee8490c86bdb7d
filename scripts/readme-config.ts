// Rewrites the generated parts of README.md (`npm run docs:config`): the configuration table
// from the schemas, the CDN hosting section from gate/page/CDN.md, and the load-test figures
// from loadtest/results/latest.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { benchSummary } from './bench-summary.ts';
import { configTable } from './config-table.ts';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

function between(doc: string, start: string, end: string, content: string): string {
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} … ${end} markers`);
  return `${doc.slice(0, a + start.length)}\n${content.trim()}\n${doc.slice(b)}`;
}

export function withConfigTable(readme: string): string {
  const cdn = readFileSync(new URL('../gate/page/CDN.md', import.meta.url), 'utf8');
  const withTable = between(readme, START, END, configTable());
  const withCdn = between(withTable, '<!-- cdn:start -->', '<!-- cdn:end -->', cdn);
  return between(withCdn, '<!-- bench:start -->', '<!-- bench:end -->', benchSummary());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = new URL('../README.md', import.meta.url);
  writeFileSync(path, withConfigTable(readFileSync(path, 'utf8')));
}
