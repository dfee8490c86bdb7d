// The dashboard's one error mapping and its JSON body reader. Unknown errors are logged with
// the route and answered with a generic 500; a SluiceError keeps its code, status and field.
import { type Logger, SluiceError, toErrorResponse } from '@sluice/shared';
import type { Request, Response } from 'hyper-express';

export const MAX_BODY_BYTES = 64 * 1024;

export type Handler = (req: Request, res: Response) => Promise<void>;

export function handled(log: Logger, fn: Handler): Handler {
  return async (req, res) => {
    try {
      await fn(req, res);
    } catch (err) {
      sendError(log, req, res, err);
    }
  };
}

export function sendError(log: Logger, req: Request, res: Response, err: unknown): void {
  const { status, body, known } = toErrorResponse(err);
  if (!known) log.error({ err, method: req.method, path: req.path }, 'unhandled error');
  else if (status >= 500) log.warn({ err, path: req.path }, body.error.message);
  if (res.completed) return;
  res.status(status).header('cache-control', 'no-store').json(body);
}

/** The request body as a JSON value; INVALID_BODY / UNSUPPORTED_MEDIA_TYPE otherwise. */
export async function jsonBody(req: Request): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new SluiceError('UNSUPPORTED_MEDIA_TYPE');
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new SluiceError('PAYLOAD_TOO_LARGE');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SluiceError('INVALID_BODY', { message: 'The body is not valid JSON.', cause: err });
  }
}

export function ok(res: Response, body: unknown, status = 200): void {
  res.status(status).header('cache-control', 'no-store').json(body);
}
