import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { uniqueId } from '@sluice/shared/testing/index.ts';
import { killLaunchedWith, pidsWithEnv } from './orphans.ts';

describe('orphans of a launch', () => {
  it('finds and kills exactly the processes started with its SLUICE_PREFIX, in their own groups', async () => {
    const prefix = uniqueId('orphan');
    const other = uniqueId('other');
    const start = (p: string) =>
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
        env: { ...process.env, SLUICE_PREFIX: p },
        detached: true, // like the launcher's services: not in the test's process group
        stdio: 'ignore',
      });
    const mine = [start(prefix), start(prefix)];
    const theirs = start(other);
    try {
      const found = pidsWithEnv('SLUICE_PREFIX', prefix).sort();
      expect(found).toEqual(mine.map((c) => c.pid).sort());
      const exits = mine.map((c) => new Promise((r) => c.once('exit', (_code, signal) => r(signal))));
      expect(killLaunchedWith(prefix)).toBe(2);
      expect(await Promise.all(exits)).toEqual(['SIGKILL', 'SIGKILL']);
      expect(theirs.exitCode).toBeNull();
      expect(pidsWithEnv('SLUICE_PREFIX', other)).toEqual([theirs.pid]);
    } finally {
      for (const c of [...mine, theirs]) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  });
});
