// The event: what is sold, when, and how fast shoppers are let in. Validation is pure and names
// the offending field so the admin API can answer a clear 400.
import { SluiceError } from '../protocol/errors.ts';
import type { EventState } from '../protocol/ws.ts';
import { isEventId } from '../keys.ts';
import { type AutopilotConfig, validateAutopilot } from './autopilot.ts';
import { type LaneConfig, type LaneMode, validateLanes } from '../lanes/model.ts';

export interface Product {
  sku: string;
  name: string;
  priceCents: number;
  /** Initial units for sale. */
  stock: number;
  /** Most units one shopper (place) may buy. */
  limitPerShopper: number;
}

export interface EventConfig {
  id: string;
  name: string;
  /** When the pre-queue opens (ms since epoch). Shoppers arriving before the start are shuffled. */
  prequeueAt: number;
  /** When the sale starts (ms since epoch). */
  startAt: number;
  /** Release rate, shoppers per second. */
  rate: number;
  /** Token-bucket burst, shoppers. */
  burst: number;
  /** Most admitted-and-unfinished shoppers at once. */
  maxActive: number;
  /** Admitted-and-unfinished shoppers allowed per remaining unit (≥ 1). */
  overbook: number;
  /** Admission ticket lifetime, seconds. */
  ticketTtlS: number;
  /** How long a disconnected shopper keeps the place, seconds. */
  graceS: number;
  /** Leading zero bits required in the join proof-of-work (0 = off). */
  powDifficulty: number;
  /** Joins per second (all addresses) above which new challenges get `powSurgeDifficulty` (0 = never). */
  powSurgeJoinsPerS: number;
  /** Difficulty while joins per second exceed `powSurgeJoinsPerS` (0 or ≤ powDifficulty = no surge). */
  powSurgeDifficulty: number;
  /** Origins whose pages may open the queue (exact `scheme://host[:port]`). */
  allowedOrigins: string[];
  /** Where the queue page sends an admitted shopper. */
  returnUrl: string;
  /** Further return URLs a queue-page link may ask for, matched exactly by origin and path (the
   * ticket travels in their fragment: never list a path that redirects elsewhere). */
  returnUrls: string[];
  /** When true nobody is released, whatever the rate (emergency brake with the queue kept). */
  queueAll: boolean;
  /** Release-rate autopilot (off unless enabled): steers `rate` from checkout health within bounds. */
  autopilot: AutopilotConfig;
  /**
   * Tickets bound to a key the shopper's browser made when joining (`cnf.jkt`); every use needs
   * a DPoP proof signed by it, so a copied ticket is refused (docs/SECURITY.md).
   */
  bindTickets: boolean;
  /**
   * Always-on room: no scheduled start (startAt may be left out: the room is open from its
   * creation). Shoppers go straight through while arrivals stay under the rate and active
   * shoppers under maxActive; past either they queue FIFO. The storefront drop-in gets a ticket
   * without a trip to the queue page while nobody waits (gate/page/src/fast-pass.ts).
   */
  alwaysOn: boolean;
  /**
   * Separate lines (e.g. `members`, `public`), some needing an access code or a signed invite
   * (shared/src/lanes). Empty: one line, as without lanes. Fixed once the queue has opened.
   */
  lanes: LaneConfig[];
  /** `shares`: each tick's release is split by the lanes' shares; `strict`: lane order. */
  laneMode: LaneMode;
  products: Product[];
}

export interface EventRecord {
  config: EventConfig;
  state: EventState;
  version: number;
  seedHash: string | null;
  seed: string | null;
}

export const EVENT_DEFAULTS = {
  rate: 50,
  burst: 50,
  maxActive: 1000,
  overbook: 1.5,
  ticketTtlS: 600,
  graceS: 60,
  // ~16k SHA-256 on average: about a second in a browser (measured, docs/SECURITY.md), once per sale.
  powDifficulty: 14,
  powSurgeJoinsPerS: 200,
  // ~65k SHA-256: about 4 × the base while a crowd (or a bot farm) is joining (docs/SECURITY.md).
  powSurgeDifficulty: 16,
  allowedOrigins: [] as string[],
  returnUrl: 'http://localhost:8081/demo-store/',
  returnUrls: [] as string[],
  queueAll: false,
  bindTickets: false,
  alwaysOn: false,
} as const;

const invalid = (field: string, message: string): SluiceError =>
  new SluiceError('INVALID_FIELD', { field, message: `${field}: ${message}` });

function num(v: unknown, field: string, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw invalid(field, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return v;
}

function text(v: unknown, field: string, max: number, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max || (pattern && !pattern.test(v))) {
    throw invalid(field, `must be a non-empty string of at most ${max} characters${pattern ? ` matching ${pattern}` : ''}`);
  }
  return v;
}

function origin(v: unknown, field: string): string {
  const s = text(v, field, 200);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw invalid(field, 'must be an origin such as https://shop.example');
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== s) {
    throw invalid(field, 'must be an origin such as https://shop.example (no path, no trailing slash)');
  }
  return s;
}

function httpUrl(v: unknown, field: string): string {
  const s = text(v, field, 2000);
  try {
    const u = new URL(s);
    if (u.protocol === 'http:' || u.protocol === 'https:') return s;
  } catch {
    // Not a URL at all: the same answer as a URL of another scheme, below.
  }
  throw invalid(field, 'must be an http(s) URL');
}

export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function product(v: unknown, i: number): Product {
  const f = `products[${i}]`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(f, 'must be an object');
  const p = v as Record<string, unknown>;
  return {
    sku: text(p.sku, `${f}.sku`, 64, SKU_PATTERN),
    name: text(p.name, `${f}.name`, 200),
    priceCents: num(p.priceCents, `${f}.priceCents`, 0, 100_000_000, true),
    stock: num(p.stock, `${f}.stock`, 0, 100_000_000, true),
    limitPerShopper: num(p.limitPerShopper ?? 1, `${f}.limitPerShopper`, 1, 1000, true),
  };
}

/**
 * Validate a full event definition (defaults filled in). Throws SluiceError INVALID_FIELD.
 * @example validateEvent({ id: 'drop1', name: 'Drop', startAt, products: [...] })
 */
export function validateEvent(input: unknown): EventConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SluiceError('INVALID_BODY');
  }
  const raw = { ...EVENT_DEFAULTS, ...(input as Record<string, unknown>) } as Record<string, unknown>;
  const id = text(raw.id, 'id', 63);
  if (!isEventId(id)) throw invalid('id', 'must be lowercase letters, digits and -, starting with a letter or digit');
  if (typeof raw.alwaysOn !== 'boolean') throw invalid('alwaysOn', 'must be true or false');
  // An always-on room has no scheduled start: open from the beginning of time unless given one.
  const startAt = num(raw.startAt ?? (raw.alwaysOn ? 0 : undefined), 'startAt', 0, 8.64e15, true);
  const prequeueAt = num(raw.prequeueAt ?? startAt, 'prequeueAt', 0, 8.64e15, true);
  if (prequeueAt > startAt) throw invalid('prequeueAt', 'must not be after startAt');
  if (!Array.isArray(raw.products) || raw.products.length === 0 || raw.products.length > 100) {
    throw invalid('products', 'must be a list of 1 to 100 products');
  }
  const products = raw.products.map(product);
  if (new Set(products.map((p) => p.sku)).size !== products.length) throw invalid('products', 'skus must be unique');
  if (!Array.isArray(raw.allowedOrigins) || raw.allowedOrigins.length > 50) {
    throw invalid('allowedOrigins', 'must be a list of at most 50 origins');
  }
  if (!Array.isArray(raw.returnUrls) || raw.returnUrls.length > 20) {
    throw invalid('returnUrls', 'must be a list of at most 20 http(s) URLs');
  }
  if (typeof raw.queueAll !== 'boolean') throw invalid('queueAll', 'must be true or false');
  if (typeof raw.bindTickets !== 'boolean') throw invalid('bindTickets', 'must be true or false');
  return {
    id,
    name: text(raw.name, 'name', 200),
    prequeueAt,
    startAt,
    rate: num(raw.rate, 'rate', 0, 1_000_000),
    burst: num(raw.burst, 'burst', 1, 1_000_000, true),
    maxActive: num(raw.maxActive, 'maxActive', 1, 100_000_000, true),
    overbook: num(raw.overbook, 'overbook', 1, 100),
    ticketTtlS: num(raw.ticketTtlS, 'ticketTtlS', 10, 86_400, true),
    graceS: num(raw.graceS, 'graceS', 1, 3600, true),
    powDifficulty: num(raw.powDifficulty, 'powDifficulty', 0, 32, true),
    powSurgeJoinsPerS: num(raw.powSurgeJoinsPerS, 'powSurgeJoinsPerS', 0, 10_000_000),
    powSurgeDifficulty: num(raw.powSurgeDifficulty, 'powSurgeDifficulty', 0, 32, true),
    allowedOrigins: raw.allowedOrigins.map((o, i) => origin(o, `allowedOrigins[${i}]`)),
    returnUrl: httpUrl(raw.returnUrl, 'returnUrl'),
    returnUrls: raw.returnUrls.map((u, i) => httpUrl(u, `returnUrls[${i}]`)),
    queueAll: raw.queueAll,
    autopilot: validateAutopilot(raw.autopilot),
    bindTickets: raw.bindTickets,
    alwaysOn: raw.alwaysOn,
    ...validateLanes(raw.lanes, raw.laneMode),
    products,
  };
}
