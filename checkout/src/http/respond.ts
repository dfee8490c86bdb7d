// Writing answers: JSON bodies, and the one place errors become responses. A SluiceError maps
// through the catalog; anything else is logged with its context and answered with a bare 500.
import { ErrorCatalog, type ErrorBody, type Logger, SluiceError, toErrorResponse } from '@sluice/shared';
import type { Request, Response } from 'hyper-express';

export function sendJson(
  res: Response,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendRaw(res, status, JSON.stringify(body), headers);
}

function sendRaw(res: Response, status: number, json: string, headers: Record<string, string>): void {
  if (res.completed) return; // the client went away
  res.status(status);
  for (const [name, value] of Object.entries(headers)) res.header(name, value);
  res.header('content-type', 'application/json; charset=utf-8');
  res.send(json);
}

/** Refusal bodies serialised once per code (junk is answered without building JSON each time). */
const prebuilt = new Map<string, string>();
const NO_HEADERS: Record<string, string> = {};
const RETRY_HEADERS: Record<string, string> = { 'retry-after': '1' };

export function errorJson(err: unknown, body: ErrorBody): string {
  const plain =
    err instanceof SluiceError && err.field === undefined && err.message === ErrorCatalog[err.code].message;
  if (!plain) return JSON.stringify(body);
  let json = prebuilt.get(body.error.code);
  if (json === undefined) {
    json = JSON.stringify(body);
    prebuilt.set(body.error.code, json);
  }
  return json;
}

/** Answer `err`; returns the error code sent (for metrics). */
export function sendError(res: Response, err: unknown, log: Logger, req: Request): string {
  const { status, body, known } = toErrorResponse(err);
  if (!known) {
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
  } else if (status >= 500) {
    log.warn(
      { code: body.error.code, cause: (err as Error).cause, path: req.path },
      'dependency unavailable',
    );
  }
  sendRaw(res, status, errorJson(err, body), status === 503 || status === 429 ? RETRY_HEADERS : NO_HEADERS);
  return body.error.code;
}
