// Proof of work for the crowd, solved honestly like a browser would (every join pays for its
// own challenge) but in helper processes, so the sockets already in line keep reading their
// frames. (Forked processes rather than worker threads: tsx's loader does not reach workers.)
import { type Child, spawnTs } from '../lib/proc.ts';

export interface PowPool {
  solve(challenge: string, difficulty: number): Promise<string>;
  close(): Promise<void>;
}

export function powPool(size: number): PowPool {
  const waiting = new Map<number, (nonce: string) => void>();
  const procs: Child[] = Array.from({ length: Math.max(1, size) }, () => {
    const c = spawnTs('crowd/pow-worker.ts');
    c.proc.on('message', (m: { id: number; nonce: string }) => {
      waiting.get(m.id)?.(m.nonce);
      waiting.delete(m.id);
    });
    return c;
  });
  let seq = 0;
  return {
    solve(challenge, difficulty) {
      const id = ++seq;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        procs[id % procs.length]!.send({ id, challenge, difficulty });
      });
    },
    async close() {
      await Promise.all(procs.map((c) => c.stop(1000)));
    },
  };
}
