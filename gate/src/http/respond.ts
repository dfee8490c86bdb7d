// Small uWS HTTP helpers: status lines, JSON answers in the error-catalog shape, bodies read
// with a size limit, and a guard that makes every write after an await corked and safe against
// an aborted request.
import { STATUS_CODES } from 'node:http';
import { ErrorCatalog, type ErrorCode, SluiceError } from '@sluice/shared';
import type { HttpResponse } from 'uWebSockets.js';

export type Headers = Record<string, string>;

const statusLine = (status: number): string => `${status} ${STATUS_CODES[status] ?? ''}`;

/** Write a whole response now (inside the handler, or inside a cork). */
export function write(res: HttpResponse, status: number, body: string | Buffer, headers: Headers = {}): void {
  res.writeStatus(statusLine(status));
  for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
  res.end(body);
}

export function sendJson(res: HttpResponse, status: number, body: unknown, headers: Headers = {}): void {
  write(res, status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
}

export function sendError(res: HttpResponse, code: ErrorCode, headers: Headers = {}, message?: string): void {
  const e = ErrorCatalog[code];
  sendJson(
    res,
    e.status,
    { error: { code, message: message ?? e.message } },
    { 'cache-control': 'no-store', ...headers },
  );
}

/**
 * Run an async handler: registers onAborted first, answers through a corked writer that does
 * nothing once the client went away, and maps thrown SluiceErrors (anything else is a 500).
 */
export function handleAsync(
  res: HttpResponse,
  log: { error: (o: object, m: string) => void },
  fn: (
    reply: (status: number, body: string | Buffer, headers?: Headers) => void,
    aborted: () => boolean,
  ) => Promise<void>,
  errorHeaders: Headers = {},
): void {
  let aborted = false;
  let done = false;
  res.onAborted(() => {
    aborted = true;
  });
  const reply = (status: number, body: string | Buffer, headers: Headers = {}) => {
    if (aborted || done) return;
    done = true;
    res.cork(() => write(res, status, body, headers));
  };
  fn(reply, () => aborted).catch((err) => {
    if (aborted || done) return;
    done = true;
    if (!(err instanceof SluiceError)) log.error({ err }, 'unhandled error in an HTTP handler');
    const code: ErrorCode = err instanceof SluiceError ? err.code : 'INTERNAL';
    res.cork(() => sendError(res, code, errorHeaders, err instanceof SluiceError ? err.message : undefined));
  });
}

/** Read a request body of at most `limit` bytes (rejects PAYLOAD_TOO_LARGE). Call synchronously. */
export function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    res.onData((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > limit) {
        failed = true;
        return reject(new SluiceError('PAYLOAD_TOO_LARGE'));
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) resolve(Buffer.concat(chunks));
    });
  });
}

export function parseJsonObject(buf: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (cause) {
    throw new SluiceError('INVALID_BODY', { cause });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SluiceError('INVALID_BODY');
  return v as Record<string, unknown>;
}
