import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isNodeProcess, workerChildPids } from './launch.ts';

describe('gate worker processes', () => {
  it('counts node children only (not an esbuild service or any other helper process)', async () => {
    const other = spawn('sleep', ['30']);
    const node = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(isNodeProcess(other.pid!)).toBe(false);
      expect(isNodeProcess(node.pid!)).toBe(true);
      const pids = workerChildPids(process.pid);
      expect(pids).toContain(node.pid);
      expect(pids).not.toContain(other.pid);
    } finally {
      other.kill();
      node.kill();
    }
  });
});
