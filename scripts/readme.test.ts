import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withConfigTable } from './readme-config.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('carries the configuration table generated from the schemas (run npm run docs:config)', () => {
    expect(withConfigTable(readme)).toBe(readme);
  });
  it('has the two quickstart command lines', () => {
    expect(readme).toContain('\nnpm ci && npm start\n');
    expect(readme).toContain('\nnpm test\n');
  });
});
