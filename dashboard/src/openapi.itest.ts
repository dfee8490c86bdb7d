// dashboard/openapi.yaml documents exactly the routes the service serves.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Rig, startRig } from './test-support.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.close();
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

it('lists every served route in openapi.yaml, and nothing else', () => {
  const spec = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const documented = Object.entries(spec.paths)
    .flatMap(([path, ops]) => Object.keys(ops).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
  const served = rig.dash.routes();
  expect(served.length).toBeGreaterThan(20);
  expect(served).toEqual(documented);
});
