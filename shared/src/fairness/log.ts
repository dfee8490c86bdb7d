// The public admission log of an event, as anyone can check it: one entry per admitter tick
// after the start (written by the admit Lua in the same atomic step as the admission), chained
// by SHA-256 and covered by a head signed with the gate's ticket keys (JWKS). `LogChecker`
// replays the entries one by one, in bounded memory, and reports every rule that does not hold:
// numbers admitted in increasing order, every skipped number recorded as gone, and each tick's
// count within the token bucket, maxActive and units × overbook in force.
import { createHash } from 'node:crypto';

/** One raw entry, as the admit script writes it. Ranges are inclusive [first, last] ticket numbers. */
export interface LogEntry {
  /** Admitter tick number (consecutive). */
  n: number;
  /** Admitter clock (ms): admission time of this tick's tickets. */
  at: number;
  /** Token-bucket clock (ms, Redis TIME). */
  t: number;
  /** Event state at this tick. */
  st: string;
  rate: number;
  /** Bucket size (max(burst, one tick)). */
  size: number;
  /** Bucket clock and tokens as the previous tick (logged or not) left them. */
  tp: number;
  tokp: number;
  /** Tokens after refill, before this tick's admissions. */
  tok0: number;
  /** Tokens left after this tick. */
  tok: number;
  /** Admitted and unfinished shoppers before this tick. */
  act: number;
  max: number;
  units: number;
  ob: number;
  adm: [number, number][];
  gone: [number, number][];
  /** Slots storefronts handed back (shopper finished or left) since the previous entry. */
  back?: number;
  /** Highest ticket number admitted so far (events with lanes: the sum of the lanes' high marks). */
  hi: number;
  /** Events with lanes: each lane's ranges in its own numbers (the top-level `adm`/`gone` stay empty). */
  lanes?: LaneEntry[];
}

/** One lane's part of an entry: ranges of the lane's own numbers, and its high mark after them. */
export interface LaneEntry {
  id: string;
  adm: [number, number][];
  gone: [number, number][];
  hi: number;
}

/** A served line: the entry's index, the chain hash before it, and the raw entry text (hashed as is). */
export interface LogLine {
  i: number;
  prev: string;
  e: string;
}

/** The head the leader signs: the number of sealed entries and the chain hash after the last. */
export interface LogHead {
  evt: string;
  n: number;
  hash: string;
  at: number;
}

export const LOG_HEAD_TYP = 'sluice-admissions+jwt';

/** Chain hash before the first entry of `evt`. */
export function genesisHash(evt: string): string {
  return createHash('sha256').update(`sluice-admissions:${evt}`).digest('hex');
}

/** Chain hash after `raw`, given the hash before it. */
export function chainHash(prev: string, raw: string): string {
  return createHash('sha256').update(`${prev}\n${raw}`).digest('hex');
}

const EPS = 1e-6;
const NUMERIC = ['n', 'at', 't', 'rate', 'size', 'tp', 'tokp', 'tok0', 'tok', 'act', 'max', 'units', 'ob', 'hi'] as const;
const count = (ranges: [number, number][]): number => ranges.reduce((a, [x, y]) => a + (y - x + 1), 0);

export interface CheckSummary {
  entries: number;
  admitted: number;
  gone: number;
  /** Slots handed back by storefronts. */
  back: number;
  /** Highest ticket number admitted (with lanes: the sum of the lanes' high marks). */
  hi: number;
  /** Events with lanes: the high mark of each lane. */
  lanes: Record<string, number>;
  problems: string[];
}

/**
 * Replays a log. Feed lines in order with `add`, then `finish(head)`.
 * @example const c = new LogChecker(evt); for (const l of lines) c.add(l); c.finish(head).problems
 */
export class LogChecker {
  private readonly evt: string;
  private hash: string;
  private next = 0;
  private prev: LogEntry | null = null;
  /** High mark per lane ('' = the single line of an event without lanes). */
  private readonly laneHi = new Map<string, number>();
  private admitted = 0;
  private gone = 0;
  private back = 0;
  private readonly problems: string[] = [];
  /** Stop collecting after this many (a broken log would otherwise fill memory). */
  private readonly maxProblems: number;

  constructor(evt: string, maxProblems = 100) {
    this.evt = evt;
    this.hash = genesisHash(evt);
    this.maxProblems = maxProblems;
  }

  private problem(msg: string): void {
    if (this.problems.length < this.maxProblems) this.problems.push(msg);
  }

  add(line: LogLine): void {
    const at = `entry ${line.i}`;
    if (line.i !== this.next) this.problem(`${at}: expected entry ${this.next} (entries missing or out of place)`);
    if (line.prev !== this.hash) this.problem(`${at}: chain broken (prev hash does not match the entries before it)`);
    this.hash = chainHash(this.hash, line.e);
    this.next = line.i + 1;
    let e: LogEntry;
    try {
      e = JSON.parse(line.e) as LogEntry;
    } catch {
      this.problem(`${at}: not JSON`);
      return;
    }
    this.checkEntry(at, e);
    this.prev = e;
  }

  /** Every field the rules read must have its documented type: a missing or non-numeric one
   * would make each comparison with it false (NaN), so a dishonest entry would pass every bound. */
  private shapeProblems(at: string, e: LogEntry): boolean {
    let bad = false;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      this.problem(`${at}: not an object`);
      return true;
    }
    for (const f of NUMERIC) {
      if (typeof e[f] !== 'number' || !Number.isFinite(e[f])) {
        this.problem(`${at}: field ${f} is not a number`);
        bad = true;
      }
    }
    if (typeof e.st !== 'string') {
      this.problem(`${at}: field st is not a string`);
      bad = true;
    }
    for (const f of ['adm', 'gone'] as const) {
      if (!Array.isArray(e[f]) || !e[f].every((r) => Array.isArray(r) && r.length === 2)) {
        this.problem(`${at}: field ${f} is not a list of ranges`);
        bad = true;
      }
    }
    if (e.lanes !== undefined) {
      const ok = (r: unknown) => Array.isArray(r) && r.every((x) => Array.isArray(x) && x.length === 2);
      if (
        !Array.isArray(e.lanes) ||
        e.lanes.length > 64 ||
        !e.lanes.every((l) => typeof l === 'object' && l !== null && typeof l.id === 'string' && l.id !== '' && ok(l.adm) && ok(l.gone) && typeof l.hi === 'number')
      ) {
        this.problem(`${at}: field lanes is not a list of lanes {id, adm, gone, hi}`);
        bad = true;
      }
    }
    if (e.back !== undefined && !(Number.isInteger(e.back) && e.back >= 0)) {
      this.problem(`${at}: field back is not a count`);
      bad = true;
    }
    return bad;
  }

  private checkEntry(at: string, e: LogEntry): void {
    if (this.shapeProblems(at, e)) return;
    const p = this.prev;
    // Each backwards step of the bucket clock would refill the bucket once more.
    if (e.t < e.tp) this.problem(`${at}: bucket clock ${e.t} before its previous ${e.tp}`);
    const eps = EPS * Math.max(1, e.size);
    if (p && !(e.n > p.n)) this.problem(`${at}: tick ${e.n} does not follow tick ${p.n}`);
    // The bucket: refilled at the logged rate since the previous tick, never above its size.
    if (p) {
      const tokp = Math.min(p.size, p.tok + (Math.max(0, e.tp - p.t) * p.rate) / 1000);
      if (e.tp < p.t || Math.abs(e.tokp - tokp) > eps) {
        this.problem(`${at}: bucket started with ${e.tokp} tokens at ${e.tp}, ${tokp} expected from entry ${this.next - 2}`);
      }
    } else if (e.tokp > e.size + eps) this.problem(`${at}: bucket started over its size`);
    const tok0 = Math.min(e.size, e.tokp + (Math.max(0, e.t - e.tp) * e.rate) / 1000);
    if (Math.abs(e.tok0 - tok0) > eps) this.problem(`${at}: bucket held ${e.tok0} tokens, ${tok0} expected from the rate`);
    const c = count(e.adm) + (e.lanes ?? []).reduce((a, l) => a + count(l.adm), 0);
    if (c > Math.floor(e.tok0 + 1e-9)) this.problem(`${at}: admitted ${c} with ${e.tok0} tokens (over the rate)`);
    if (Math.abs(e.tok - Math.max(0, e.tok0 - c)) > eps) this.problem(`${at}: bucket left ${e.tok}, ${e.tok0 - c} expected`);
    if (c > 0) {
      if (e.st !== 'open') this.problem(`${at}: admitted ${c} while ${e.st}`);
      if (c > e.max - e.act) this.problem(`${at}: admitted ${c} with ${e.act} active of maxActive ${e.max}`);
      if (c > Math.floor(e.units * e.ob + 1e-9) - e.act) {
        this.problem(`${at}: admitted ${c} with ${e.act} active for ${e.units} units × overbook ${e.ob}`);
      }
    }
    // Order: admitted and gone ranges tile the numbers right after the previous high mark, in
    // the one line of an event without lanes, or in each lane (numbers stay FIFO within a lane).
    if (e.lanes === undefined) {
      const hi = this.tile(at, '', e.adm, e.gone);
      if (e.hi !== hi) this.problem(`${at}: high mark ${e.hi}, ${hi} expected`);
    } else {
      if (e.adm.length > 0 || e.gone.length > 0) this.problem(`${at}: ranges outside the lanes of a laned event`);
      const seen = new Set<string>();
      for (const l of e.lanes) {
        if (seen.has(l.id)) this.problem(`${at}: lane ${l.id} listed twice`);
        seen.add(l.id);
        const hi = this.tile(`${at} lane ${l.id}`, l.id, l.adm, l.gone);
        if (l.hi !== hi) this.problem(`${at} lane ${l.id}: high mark ${l.hi}, ${hi} expected`);
      }
      let sum = 0;
      for (const h of this.laneHi.values()) sum += h;
      if (e.hi !== sum) this.problem(`${at}: high mark ${e.hi}, ${sum} expected (the lanes' sum)`);
    }
    this.admitted += c;
    this.gone += count(e.gone) + (e.lanes ?? []).reduce((a, l) => a + count(l.gone), 0);
    this.back += e.back ?? 0;
  }

  /** Check that `adm` and `gone` tile the numbers after lane `lane`'s high mark; returns the new mark. */
  private tile(at: string, lane: string, adm: [number, number][], gone: [number, number][]): number {
    const before = this.laneHi.get(lane) ?? 0;
    const all = [...adm.map((r) => ({ r, adm: true })), ...gone.map((r) => ({ r, adm: false }))].sort((a, b) => a.r[0] - b.r[0]);
    let cursor = before + 1;
    for (const { r, adm: admitted } of all) {
      const [a, b] = r;
      if (!(Number.isInteger(a) && Number.isInteger(b) && a <= b)) {
        this.problem(`${at}: bad range [${a}, ${b}]`);
        continue;
      }
      if (a < cursor) {
        this.problem(`${at}: ${admitted ? 'admitted' : 'gone'} [${a}, ${b}] at or below number ${cursor - 1}, already passed (out of order)`);
      } else if (a > cursor) {
        this.problem(`${at}: numbers ${cursor}..${a - 1} skipped without being recorded as gone`);
      }
      cursor = Math.max(cursor, b + 1);
    }
    if (all.length > 0 && all[all.length - 1]!.adm === false) this.problem(`${at}: gone numbers after the last admitted one`);
    const hi = Math.max(before, cursor - 1);
    this.laneHi.set(lane, hi);
    return hi;
  }

  /** Compare the replayed chain with the signed head (already verified by the caller). */
  finish(head: LogHead): CheckSummary {
    if (head.evt !== this.evt) this.problem(`head is for event ${head.evt}, not ${this.evt}`);
    if (head.n !== this.next) this.problem(`head covers ${head.n} entries, ${this.next} were read`);
    else if (head.hash !== this.hash) this.problem('head hash does not match the entries (the log was altered)');
    let hi = 0;
    for (const h of this.laneHi.values()) hi += h;
    const lanes = Object.fromEntries([...this.laneHi].filter(([id]) => id !== ''));
    return { entries: this.next, admitted: this.admitted, gone: this.gone, back: this.back, hi, lanes, problems: [...this.problems] };
  }
}
