// Writing answers: JSON bodies, and the one place errors become responses. A SluiceError maps
// through the catalog; anything else is logged with its context and answered with a bare 500.
import { type Logger, toErrorResponse } from '@sluice/shared';
import type { Request, Response } from 'hyper-express';

export function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.completed) return; // the client went away
  res.status(status);
  for (const [name, value] of Object.entries(headers)) res.header(name, value);
  res.header('content-type', 'application/json; charset=utf-8');
  res.send(JSON.stringify(body));
}

/** Answer `err`; returns the error code sent (for metrics). */
export function sendError(res: Response, err: unknown, log: Logger, req: Request): string {
  const { status, body, known } = toErrorResponse(err);
  if (!known) {
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
  } else if (status >= 500) {
    log.warn({ code: body.error.code, cause: (err as Error).cause, path: req.path }, 'dependency unavailable');
  }
  sendJson(res, status, body, status === 503 || status === 429 ? { 'retry-after': '1' } : {});
  return body.error.code;
}
