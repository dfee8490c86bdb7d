// What a crowd run is asked to do and what it reports: the options, the summary (every count a
// person watching the console would want), and the summary as a few lines of text.

export interface CrowdOptions {
  gateUrl: string;
  checkoutUrl: string;
  event: string;
  shoppers: number;
  /** New shoppers per second. */
  joinRatePerS: number;
  /** Share of admitted shoppers who buy (the others keep their admission until the ticket expires). */
  buyShare: number;
  /** Share of waiting shoppers who give up and leave the line before their turn. */
  leaveShare: number;
  /** Hard stop, seconds after the first join. */
  maxSeconds: number;
  /** Shoppers per loopback source address (keep under the gate's per-address limits). */
  shoppersPerAddress: number;
  /** Helper processes solving proof of work. */
  powProcs: number;
  /** Called every few seconds with a progress line. */
  progress?: (line: string) => void;
}

export interface CrowdSummary {
  event: string;
  shoppers: number;
  addresses: number;
  powDifficulty: number;
  /** Highest difficulty a challenge asked for (the gate raises it during a surge of joins). */
  powMaxDifficulty: number;
  joined: number;
  joinFailed: Record<string, number>;
  /** Never got to join before the crowd stopped (still solving proof of work or connecting). */
  stillJoining: number;
  /** Arrived after the sale sold out or closed: the gate turned them away at the door. */
  turnedAway: number;
  leftEarly: number;
  /** Connections lost while waiting and resumed with the place token. */
  reconnects: number;
  admitted: number;
  /** Joined, stayed, and were never admitted (sold out, closed or out of time). */
  notAdmitted: number;
  buyers: number;
  ordersAccepted: number;
  unitsBought: number;
  /** Refusals by checkout error code (SOLD_OUT, …). */
  refused: Record<string, number>;
  orders: { confirmed: number; failed: number; pending: number };
  /** Seconds after the first join when the crowd first saw the event sold out; null if it did not. */
  soldOutAtS: number | null;
  durationS: number;
  stoppedBy: 'done' | 'sold out' | 'time';
  /** Order ids accepted, for checks against PostgreSQL. */
  orderIds: string[];
}

/** A summary with every count at zero, before the first shopper arrives. */
export function newSummary(o: CrowdOptions, powDifficulty: number): CrowdSummary {
  return {
    event: o.event,
    shoppers: o.shoppers,
    addresses: Math.ceil(o.shoppers / o.shoppersPerAddress),
    powDifficulty,
    powMaxDifficulty: 0,
    joined: 0,
    joinFailed: {},
    stillJoining: 0,
    turnedAway: 0,
    leftEarly: 0,
    reconnects: 0,
    admitted: 0,
    notAdmitted: 0,
    buyers: 0,
    ordersAccepted: 0,
    unitsBought: 0,
    refused: {},
    orders: { confirmed: 0, failed: 0, pending: 0 },
    soldOutAtS: null,
    durationS: 0,
    stoppedBy: 'done',
    orderIds: [],
  };
}

/** The summary as a few lines for a person. */
export function describeCrowd(s: CrowdSummary): string {
  const codes = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    `crowd on "${s.event}": ${s.shoppers} shoppers from ${s.addresses} loopback addresses, proof of work ${s.powDifficulty} bits (up to ${s.powMaxDifficulty} asked)`,
    `joined       ${s.joined} (turned away, sold out: ${s.turnedAway}; failed: ${codes(s.joinFailed)}; never got to join: ${s.stillJoining})`,
    `left early   ${s.leftEarly} (connections lost and resumed while waiting: ${s.reconnects})`,
    `admitted     ${s.admitted} (still in line at the end: ${s.notAdmitted})`,
    `bought       ${s.ordersAccepted} orders, ${s.unitsBought} units, by ${s.buyers} buyers (refused: ${codes(s.refused)})`,
    `orders       ${s.orders.confirmed} confirmed, ${s.orders.failed} failed, ${s.orders.pending} still pending`,
    `sold out at  ${s.soldOutAtS === null ? 'not sold out' : `${s.soldOutAtS} s`}`,
    `stopped      ${s.stoppedBy} after ${s.durationS} s`,
  ].join('\n');
}
