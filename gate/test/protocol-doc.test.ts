// PROTOCOL.md must describe every close code, message type and HTTP path defined in shared.
import { readFileSync } from 'node:fs';
import { ClientMsg, CloseCode, GatePaths, ServerMsg } from '@sluice/shared';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8');
const openapi = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');

describe('gate/PROTOCOL.md', () => {
  it.each(Object.entries(CloseCode))('documents close code %s', (name, code) => {
    expect(doc).toMatch(new RegExp(`\\| ${code} \\| \`${name}\` \\|`));
  });
  it.each([...Object.values(ClientMsg), ...Object.values(ServerMsg)])('documents message type %s', (t) => {
    expect(doc).toMatch(new RegExp(`\\| \`${t}\` \\|`));
  });
  it('documents every HTTP path, in PROTOCOL.md and openapi.yaml', () => {
    for (const p of [
      GatePaths.JWKS,
      ...['event', 'status', 'challenge', 'prequeue', 'join', 'place', 'leave', 'admissions', 'admissionsHead'].map((k) =>
        GatePaths[k as 'event'](':id'),
      ),
      GatePaths.admissionNumber(':id', ':n'),
    ]) {
      const path = decodeURIComponent(p);
      expect(doc).toContain(path);
      expect(openapi).toContain(`${path.replace(':id', '{id}').replace(':n', '{n}')}:`);
    }
  });
});
