// POST /v1/checkout on uWebSockets.js directly (the app under hyper-express), so a ticket is
// judged from its headers before any framework object exists: the door refuses malformed,
// expired, revoked and never-issued tickets with a prebuilt answer and reads no body; every
// other request reads its body (bounded) and runs the use case. Load shedding (429 past the
// in-flight cap), content type and size come first, as on every route.
import { STATUS_CODES } from 'node:http';
import { type Logger, SluiceError, toErrorResponse } from '@sluice/shared';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { CheckoutMetrics } from '../http/metrics.ts';
import { errorJson } from '../http/respond.ts';
import { type Door, Hold, judge } from './door.ts';
import { type Inspected, type PlaceOrderDeps, placeOrder } from './place-order.ts';

export interface UwsCheckoutDeps extends PlaceOrderDeps {
  maxBodyBytes: number;
  maxInFlight: number;
  /** Public base URL (CHECKOUT_PUBLIC_URL); empty: the request's Host header. */
  publicUrl: string;
  /** Origins allowed by CORS (answers carry access-control-allow-origin for them). */
  corsOrigins: readonly string[];
  door: Door | null;
  metrics: CheckoutMetrics;
  log: Logger;
}

const PATH = '/v1/checkout';
const JSON_TYPE = /^application\/json\s*(;.*)?$/i;
const CONTENT_TYPE = 'application/json; charset=utf-8';

const EMPTY = Buffer.alloc(0);

interface Answer {
  status: string;
  body: string;
  retry: boolean;
}

const RETRY: Record<string, string> = { 'retry-after': '1' };
const statusLine = (n: number): string => `${n} ${STATUS_CODES[n] ?? ''}`;
const answers = new Map<string, Answer>();

/** The answer to `err`, built once per plain catalog error (junk gets a prebuilt one). */
function answerOf(err: unknown): { answer: Answer; code: string; known: boolean } {
  const { status, body, known } = toErrorResponse(err);
  const code = body.error.code;
  const json = errorJson(err, body);
  let a = answers.get(code);
  if (a === undefined || a.body !== json) {
    a = { status: statusLine(status), body: json, retry: status === 503 || status === 429 };
    if (answers.size < 256) answers.set(code, a);
  }
  return { answer: a, code, known };
}

/** What the handler copies out of uWS's request before it returns (the request dies then). */
interface Exchange {
  res: HttpResponse;
  started: number;
  aborted: boolean;
  origin: string;
  authorization: string;
  idempotencyKey: string;
  dpop: string;
  url: string;
}

export function registerCheckoutRoute(app: TemplatedApp, deps: UwsCheckoutDeps): { inFlight(): number } {
  let inFlight = 0;
  const cors = new Set(deps.corsOrigins);
  const publicPath = deps.publicUrl ? deps.publicUrl.replace(/\/+$/, '') + PATH : '';
  // Label children looked up once per code: a junk flood pays no label hashing per request.
  const timers = new Map<string, { observe(v: number): void }>();
  const errors = new Map<string, { inc(): void }>();
  const observe = (x: Exchange, code: string) => {
    let t = timers.get(code);
    if (!t) {
      t = deps.metrics.checkoutSeconds.labels(code);
      timers.set(code, t);
    }
    t.observe((performance.now() - x.started) / 1000);
  };
  const countError = (code: string) => {
    let c = errors.get(code);
    if (!c) {
      c = deps.metrics.httpErrors.labels(code);
      errors.set(code, c);
    }
    c.inc();
  };

  const write = (x: Exchange, status: string, body: string, headers?: Record<string, string>) => {
    if (x.aborted) return;
    x.res.cork(() => {
      x.res.writeStatus(status);
      if (x.origin !== '') {
        x.res.writeHeader('access-control-allow-origin', x.origin);
        x.res.writeHeader('vary', 'Origin');
      }
      if (headers) for (const name in headers) x.res.writeHeader(name, headers[name]!);
      x.res.writeHeader('content-type', CONTENT_TYPE);
      x.res.end(body);
    });
  };

  // The door's refusals are a handful of constant errors: answer, code and counters looked up once
  // per error, so junk costs no error body, JSON or label hashing per request.
  const doorAnswers = new Map<SluiceError, { answer: Answer; code: string; refused: { inc(): void } }>();
  const refuse = (x: Exchange, err: SluiceError): void => {
    let d = doorAnswers.get(err);
    if (d === undefined) {
      const { answer, code } = answerOf(err);
      d = { answer, code, refused: deps.metrics.doorRefusals.labels(code) };
      if (doorAnswers.size < 64) doorAnswers.set(err, d);
    }
    d.refused.inc();
    write(x, d.answer.status, d.answer.body, d.answer.retry ? RETRY : undefined);
    countError(d.code);
    observe(x, d.code);
  };

  const fail = (x: Exchange, err: unknown): void => {
    const { answer, code, known } = answerOf(err);
    if (!known) deps.log.error({ err, method: 'POST', path: PATH }, 'unhandled error');
    else if (answer.status.startsWith('5')) {
      deps.log.warn({ code, cause: (err as Error).cause, path: PATH }, 'dependency unavailable');
    }
    write(x, answer.status, answer.body, answer.retry ? RETRY : undefined);
    countError(code);
    observe(x, code);
  };

  const run = async (x: Exchange, body: Buffer, inspected: Inspected | undefined): Promise<void> => {
    inFlight++;
    deps.metrics.inFlight.set(inFlight);
    try {
      const accepted = await placeOrder(deps, {
        body,
        authorization: x.authorization,
        idempotencyKey: x.idempotencyKey,
        dpop: x.dpop === '' ? undefined : x.dpop,
        url: x.url,
        ...(inspected ? { inspected } : {}),
      });
      write(x, '202 Accepted', JSON.stringify(accepted), { location: accepted.statusUrl });
      observe(x, 'ACCEPTED');
    } catch (err) {
      fail(x, err);
    } finally {
      inFlight--;
      deps.metrics.inFlight.set(inFlight);
    }
  };

  /** A request past the door: its body arriving, and the barrier its ticket may wait for. */
  class Held {
    pending: number;
    refused: SluiceError | null = null;
    chunks: Buffer[] = [];
    size = 0;
    body: Buffer = EMPTY;
    readonly x: Exchange;
    readonly hold: Hold | null;
    readonly inspected: Inspected | undefined;
    constructor(x: Exchange, hold: Hold | null, inspected: Inspected | undefined) {
      this.x = x;
      this.hold = hold;
      this.inspected = inspected;
      this.pending = hold ? 2 : 1;
    }

    waited(ok: boolean): void {
      if (ok && this.hold!.refuse()) this.refused = this.hold!.refusal;
      this.next();
    }

    next(): void {
      if (--this.pending > 0) return;
      if (this.refused === null) void run(this.x, this.body, this.inspected);
      else if (this.refused === this.hold?.refusal) refuse(this.x, this.refused);
      else fail(this.x, this.refused);
    }

    data(chunk: ArrayBuffer, isLast: boolean): void {
      this.size += chunk.byteLength;
      if (this.size > deps.maxBodyBytes) {
        // Once, on the chunk that crosses the limit (a refusal already decided stands).
        if (this.size - chunk.byteLength <= deps.maxBodyBytes) {
          this.refused ??= new SluiceError('PAYLOAD_TOO_LARGE');
          this.next();
        }
        return;
      }
      this.chunks.push(Buffer.from(chunk.slice(0))); // uWS reuses the chunk's memory after this call
      if (isLast) {
        this.body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
        this.next();
      }
    }
  }

  app.post(PATH, (res: HttpResponse, req: HttpRequest) => {
    const origin = cors.size > 0 ? req.getHeader('origin') : '';
    const x: Exchange = {
      res,
      started: performance.now(),
      aborted: false,
      origin: origin !== '' && cors.has(origin) ? origin : '',
      authorization: req.getHeader('authorization'),
      idempotencyKey: '',
      dpop: '',
      url: '',
    };
    if (inFlight >= deps.maxInFlight) return fail(x, new SluiceError('RATE_LIMITED'));
    if (!JSON_TYPE.test(req.getHeader('content-type')))
      return fail(x, new SluiceError('UNSUPPORTED_MEDIA_TYPE'));
    const declared = req.getHeader('content-length');
    let expected = -1;
    if (declared !== '') {
      expected = Number(declared);
      if (!Number.isSafeInteger(expected) || expected < 0) return fail(x, new SluiceError('BAD_REQUEST'));
      if (expected > deps.maxBodyBytes) return fail(x, new SluiceError('PAYLOAD_TOO_LARGE'));
    } else if (req.getHeader('transfer-encoding') !== 'chunked') {
      expected = 0;
    }
    const verdict = deps.door ? judge(deps.door, x.authorization) : null;
    if (verdict instanceof SluiceError) return refuse(x, verdict); // junk: no body read, no Redis call
    // Past the door: the rest of what the use case needs, still before the handler returns.
    x.idempotencyKey = req.getHeader('idempotency-key');
    x.dpop = req.getHeader('dpop');
    x.url = publicPath || `http://${req.getHeader('host') || 'localhost'}${PATH}`;
    const held = new Held(
      x,
      verdict instanceof Hold ? verdict : null,
      verdict instanceof Hold ? verdict.inspected : (verdict ?? undefined),
    );
    res.onAborted(() => {
      x.aborted = true;
    });
    // A ticket the door has not seen waits for the barrier (issued a moment ago, or junk) while
    // its body arrives; both must be in before it is judged again.
    if (held.hold) held.hold.wait((ok) => held.waited(ok));
    if (expected === 0) return held.next();
    res.onData((chunk, isLast) => held.data(chunk, isLast));
  });

  return { inFlight: () => inFlight };
}
