// A process of the crowd's proof-of-work pool: solves challenges with the gate's own solver
// (gate/src/abuse/pow.ts), off the process that holds the shoppers' sockets.
import { solvePow } from '../../../gate/src/abuse/pow.ts';

process.on('message', (m: { id: number; challenge: string; difficulty: number }) => {
  process.send?.({ id: m.id, nonce: solvePow(m.challenge, m.difficulty) });
});
process.on('disconnect', () => process.exit(0));
