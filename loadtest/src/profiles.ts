// The bench's profiles (`--profile`) and `--set k=v` overrides.

export interface Profile {
  name: string;
  held: number;
  arrivalRate: number;
  holdSeconds: number;
  echoSockets: number;
  echoSeconds: number;
  helloSeconds: number;
  redisRequests: number;
  firstUseTickets: number;
  checkoutMaxSeconds: number;
  fixedRateSeconds: number;
  shortRunSeconds: number;
  drainSeconds: number;
  verifySeconds: number;
  sale: { shoppers: number; joinRate: number; releaseRate: number; stock: number; p: number; maxSaleSeconds: number };
  tickMs: number;
  /** CHECKOUT_WORKERS for the checkout API (0 = one per core); the baseline and the verify ceiling use as many processes. */
  checkoutWorkers: number;
  /** Longest wait for a server's RSS to settle before a memory reading. */
  settleMaxMs: number;
  /** Shoppers in the pre-queue of the opening phase. */
  prequeue: number;
  /** Only these phases (names as logged) unless --only says otherwise; all when absent. */
  phases?: readonly string[];
  /** Gate worker processes of the hold phase (default: one per 16,000 sockets). */
  gateWorkers?: number;
  /** Arrival rate of the gate hold phase's joins, when lower than `arrivalRate` (the baselines'). */
  gateArrivalRate?: number;
  /** Swarm sockets per source address in the gate hold phase (default 1,000). */
  gateSocketsPerAddress?: number;
  /** Sockets of the `ws` baseline when fewer than `held` (its memory per socket is a slope). */
  wsHeld?: number;
  /** Swarm processes per half of the gate hold phase (default: one per 16,000 sockets). */
  gateSwarmWorkers?: number;
  /** Attempts per shopper in the gate hold phase before it counts as failed (default 3). */
  gateMaxAttempts?: number;
  /** GC rounds at most per memory reading, until the RSS stops falling (default 6; 1 = one GC). */
  maxGcRounds?: number;
  /**
   * GATE_ADMITTER of the gate hold phase. 'every' (default): the admitter runs in the socket
   * workers, where a busy worker ticks late, so the ticks slow to what the fan-out takes.
   * 'dedicated': a process of its own ticks every tickMs whatever the workers do; on this 2-core
   * machine that asks for more than the cores from ~20,000 held sockets (4 ticks/s × 20,000 frames
   * × ~13 µs in the gate, ~8 µs more in the swarm that reads them, besides the joins): at 20,000
   * (load 24) the swarm fell minutes behind and the phase failed, where 'every' held all of them.
   */
  gateAdmitter?: 'dedicated' | 'every';
}

export const PROFILES: Record<string, Profile> = {
  smoke: {
    name: 'smoke', held: 50, arrivalRate: 500, holdSeconds: 1, echoSockets: 10, echoSeconds: 1, helloSeconds: 1,
    redisRequests: 2000, firstUseTickets: 400, checkoutMaxSeconds: 2, fixedRateSeconds: 1, shortRunSeconds: 1,
    drainSeconds: 5, verifySeconds: 0.5, tickMs: 250, checkoutWorkers: 0, settleMaxMs: 1000, prequeue: 1000, maxGcRounds: 1,
    // Stock for more than the first tick's burst (2 s of the rate), so some shoppers wait over a
    // second and the wait estimate has something to be measured against (etaErrorPct).
    sale: { shoppers: 100, joinRate: 500, releaseRate: 20, stock: 60, p: 0.5, maxSaleSeconds: 30 },
  },
  // The hold phases at a size this shared 2-core machine takes: 20,000 sockets (the gate's 50,000
  // at 20,000/s never finished here: handshake timeouts, retries, the phase failed after 180 s and
  // the report had no gate figures), the gate's joined at 1,000/s, a failed handshake retried in
  // the phase (20,000 at 500/s, load 24: all held, 638 retries, p99 tick to socket 5.9 s).
  quick: {
    name: 'quick', held: 20_000, arrivalRate: 20_000, gateArrivalRate: 1000, gateMaxAttempts: 6, holdSeconds: 5, echoSockets: 200, echoSeconds: 3, helloSeconds: 4,
    redisRequests: 100_000, firstUseTickets: 60_000, checkoutMaxSeconds: 15, fixedRateSeconds: 8, shortRunSeconds: 4,
    drainSeconds: 8, verifySeconds: 3, tickMs: 250, checkoutWorkers: 0, settleMaxMs: 8000, prequeue: 100_000,
    sale: { shoppers: 20_000, joinRate: 10_000, releaseRate: 2000, stock: 5000, p: 0.5, maxSaleSeconds: 60 },
  },
  // What a shopper costs the gate at an arrival rate this shared 2-core machine sustains (the
  // full profile's 20,000/s surge timed out most handshakes here at load 7-17).
  costs: {
    name: 'costs', held: 40_000, arrivalRate: 4000, holdSeconds: 10, echoSockets: 100, echoSeconds: 2, helloSeconds: 2,
    redisRequests: 50_000, firstUseTickets: 20_000, checkoutMaxSeconds: 10, fixedRateSeconds: 5, shortRunSeconds: 3,
    drainSeconds: 8, verifySeconds: 2, tickMs: 250, checkoutWorkers: 0, settleMaxMs: 8000, prequeue: 100_000,
    sale: { shoppers: 10_000, joinRate: 4000, releaseRate: 1000, stock: 2000, p: 0.5, maxSaleSeconds: 60 },
  },
  // The join path's costs at an arrival rate this shared machine sustains even at load 30-40
  // (the raw uWS floor took 700 joins/s of the costs profile's 4,000/s there): `--only hold`.
  joins: {
    name: 'joins', held: 10_000, arrivalRate: 1000, holdSeconds: 5, echoSockets: 100, echoSeconds: 2, helloSeconds: 2,
    redisRequests: 50_000, firstUseTickets: 20_000, checkoutMaxSeconds: 10, fixedRateSeconds: 5, shortRunSeconds: 3,
    drainSeconds: 8, verifySeconds: 2, tickMs: 250, checkoutWorkers: 0, settleMaxMs: 8000, prequeue: 100_000,
    sale: { shoppers: 10_000, joinRate: 1000, releaseRate: 1000, stock: 2000, p: 0.5, maxSaleSeconds: 60 },
  },
  // 100,000 held WebSockets and what each costs (issue 11 item 4) on this 2-core machine: raw uWS
  // holding as many (memory, and the publish floor of a state frame to the same number of
  // sockets), ws holding 30,000 (memory per socket is a slope; ws joins are the slowest here),
  // then the gate (6 processes, ~16,700 sockets each, under the 20,000 open files a process may
  // have). Its joins are offered at 800/s with at most 3 s of them in flight, and a handshake that
  // fails or stalls (30 s) is retried after a backoff, up to 8 attempts: the 03:35 run at 400/s
  // (load 10-27) held 99,839, its last 161 given up after 3 attempts. The admitter runs in the
  // socket workers (Profile.gateAdmitter): a dedicated one would ask for 100,000 × 4 frames a
  // second, over 5 cores of gate CPU at 12.8 µs each.
  hold: {
    name: 'hold', held: 100_000, wsHeld: 30_000, arrivalRate: 2000, gateArrivalRate: 800, gateMaxAttempts: 8, gateAdmitter: 'every', gateWorkers: 6, gateSocketsPerAddress: 16, holdSeconds: 20, echoSockets: 0, echoSeconds: 0,
    helloSeconds: 0, redisRequests: 0, firstUseTickets: 0, checkoutMaxSeconds: 0, fixedRateSeconds: 0, shortRunSeconds: 0,
    drainSeconds: 0, verifySeconds: 0, tickMs: 250, checkoutWorkers: 0, settleMaxMs: 8000, prequeue: 0,
    sale: { shoppers: 0, joinRate: 0, releaseRate: 0, stock: 0, p: 0, maxSaleSeconds: 0 },
    phases: ['baseline uws hold', 'baseline ws hold', 'gate hold'],
  },
  // The same phases sized for a machine shared with other heavy work (load average 30-48 here at
  // 03:00): 'hold' collapsed there (handshakes and joins slower than the swarm's 20 s and the
  // gate's 10 s join timeouts, then retries). 2 gate processes at 18,000 sockets each, fed slowly.
  'hold-shared': {
    name: 'hold-shared', held: 36_000, wsHeld: 30_000, arrivalRate: 1500, gateArrivalRate: 150, gateMaxAttempts: 8, gateWorkers: 2, gateSocketsPerAddress: 16, holdSeconds: 20, echoSockets: 0, echoSeconds: 0,
    helloSeconds: 0, redisRequests: 0, firstUseTickets: 0, checkoutMaxSeconds: 0, fixedRateSeconds: 0, shortRunSeconds: 0,
    drainSeconds: 0, verifySeconds: 0, tickMs: 250, checkoutWorkers: 0, settleMaxMs: 8000, prequeue: 0,
    sale: { shoppers: 0, joinRate: 0, releaseRate: 0, stock: 0, p: 0, maxSaleSeconds: 0 },
    phases: ['baseline uws hold', 'baseline ws hold', 'gate hold'],
  },
  full: {
    name: 'full', held: 100_000, arrivalRate: 20_000, holdSeconds: 20, echoSockets: 500, echoSeconds: 5, helloSeconds: 10,
    redisRequests: 300_000, firstUseTickets: 400_000, checkoutMaxSeconds: 60, fixedRateSeconds: 30, shortRunSeconds: 10,
    drainSeconds: 40, verifySeconds: 5, tickMs: 250, checkoutWorkers: 0, settleMaxMs: 15_000, prequeue: 1_000_000,
    sale: { shoppers: 100_000, joinRate: 10_000, releaseRate: 5000, stock: 20_000, p: 0.5, maxSaleSeconds: 120 },
  },
};

const OPTIONAL_NUMERIC: readonly (keyof Profile)[] = [
  'gateWorkers',
  'gateArrivalRate',
  'gateSocketsPerAddress',
  'wsHeld',
  'gateSwarmWorkers',
  'gateMaxAttempts',
  'maxGcRounds',
];

/** A copy of `p` with numeric top-level fields set from `k=v,k=v`; the name says it was changed. */
export function withOverrides(p: Profile, spec: string): Profile {
  const out: Record<string, unknown> = { ...p };
  const set: string[] = [];
  for (const kv of spec.split(',').filter(Boolean)) {
    const [k = '', v] = kv.split('=');
    if (k === 'gateAdmitter' && (v === 'dedicated' || v === 'every')) {
      out[k] = v;
      set.push(`${k}=${v}`);
      continue;
    }
    const numeric =
      typeof out[k] === 'number' || (out[k] === undefined && OPTIONAL_NUMERIC.includes(k as keyof Profile));
    if (!numeric || !Number.isFinite(Number(v)))
      throw new Error(`--set: ${kv} is not a numeric profile field`);
    out[k] = Number(v);
    set.push(`${k}=${v}`);
  }
  return set.length ? ({ ...out, name: `${p.name} (${set.join(', ')})` } as unknown as Profile) : p;
}
