// Proof of work for the crowd, solved honestly like a browser would (every join pays for its
// own challenge) but in helper processes, so the sockets already in line keep reading their
// frames. (Forked processes rather than worker threads: tsx's loader does not reach workers.)
// One challenge per free process at a time, fetched just before it is solved: challenges expire
// (120 s), so a backlog of challenges fetched in advance would go stale in the queue.
import { type Child, spawnTs } from '../lib/proc.ts';

export interface Challenge {
  challenge: string;
  difficulty: number;
}

export interface PowPool {
  /** Wait for a free process, fetch a challenge, solve it: the challenge and its nonce. */
  solveFresh(fetchChallenge: () => Promise<Challenge>): Promise<Challenge & { nonce: string }>;
  close(): Promise<void>;
}

export function powPool(size: number): PowPool {
  const waiting = new Map<number, (nonce: string) => void>();
  const free: Child[] = [];
  const queue: ((c: Child) => void)[] = [];
  const all: Child[] = Array.from({ length: Math.max(1, size) }, () => {
    const c = spawnTs('crowd/pow-worker.ts');
    c.proc.on('message', (m: { id: number; nonce: string }) => {
      waiting.get(m.id)?.(m.nonce);
      waiting.delete(m.id);
    });
    free.push(c);
    return c;
  });
  const acquire = (): Promise<Child> => {
    const c = free.pop();
    return c ? Promise.resolve(c) : new Promise((resolve) => queue.push(resolve));
  };
  const release = (c: Child): void => {
    const next = queue.shift();
    if (next) next(c);
    else free.push(c);
  };
  let seq = 0;
  return {
    async solveFresh(fetchChallenge) {
      const proc = await acquire();
      try {
        const c = await fetchChallenge();
        const id = ++seq;
        const nonce = await new Promise<string>((resolve) => {
          waiting.set(id, resolve);
          proc.send({ id, challenge: c.challenge, difficulty: c.difficulty });
        });
        return { ...c, nonce };
      } finally {
        release(proc);
      }
    },
    async close() {
      await Promise.all(all.map((c) => c.stop(1000)));
    },
  };
}
