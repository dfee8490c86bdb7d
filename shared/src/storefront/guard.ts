// The storefront's admission check as a pure decision plus one answer shape, shared by the
// Express-style and hyper-express middlewares and by the edge examples' verify endpoint.
import { ErrorCatalog, SluiceError, type ErrorBody } from '../protocol/errors.ts';
import type { TicketClaims } from '../tickets/claims.ts';
import { type AdmissionOptions, verifyAdmission } from '../tickets/admission.ts';
import { queuePageUrl, ticketFromHeaders } from './constants.ts';

export interface GuardOptions extends AdmissionOptions {
  /**
   * Queue page for browsers without a valid ticket. With `publicOrigin` set, a GET/HEAD that
   * accepts HTML is redirected (303) there; everything else gets 401 JSON.
   */
  queuePage?: { url: string; gate?: string };
  /** The storefront's public origin (`https://shop.example`), to build the return URL. */
  publicOrigin?: string;
}

export interface GuardRequest {
  method: string;
  /** Path and query as received, e.g. `/checkout?sku=1`. */
  url: string;
  headers: {
    authorization?: string | undefined;
    cookie?: string | undefined;
    accept?: string | undefined;
    /** Proof of possession for bound tickets (events with bindTickets). */
    dpop?: string | undefined;
    host?: string | undefined;
  };
}

export interface Rejection {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type GuardResult =
  | { ok: true; claims: TicketClaims }
  | { ok: false; error: SluiceError; rejection: Rejection };

/** Check one request: the ticket it carries must verify for the configured event. */
export async function checkAdmission(req: GuardRequest, opts: GuardOptions): Promise<GuardResult> {
  const token = ticketFromHeaders(req.headers);
  let error: SluiceError;
  if (!token) {
    error = new SluiceError('TICKET_MISSING');
  } else {
    try {
      const origin = opts.publicOrigin ?? `http://${req.headers.host ?? 'localhost'}`;
      const proof = { dpop: req.headers.dpop, method: req.method, url: new URL(req.url, origin).toString() };
      return { ok: true, claims: await verifyAdmission(token, opts, proof) };
    } catch (err) {
      error = err instanceof SluiceError ? err : new SluiceError('TICKET_MALFORMED', { cause: err });
    }
  }
  return { ok: false, error, rejection: rejectionFor(error, req, opts) };
}

/** The answer to a request without a valid ticket: a redirect to the queue for pages, else 401. */
export function rejectionFor(error: SluiceError, req: GuardRequest, opts: GuardOptions): Rejection {
  const wantsPage =
    (req.method === 'GET' || req.method === 'HEAD') && (req.headers.accept ?? '').includes('text/html');
  if (wantsPage && opts.queuePage && opts.publicOrigin) {
    const returnUrl = new URL(req.url, opts.publicOrigin).toString();
    const location = queuePageUrl(opts.queuePage.url, {
      ...(opts.queuePage.gate ? { gate: opts.queuePage.gate } : {}),
      event: opts.event,
      returnUrl,
    });
    return { status: 303, headers: { location, 'cache-control': 'no-store' }, body: '' };
  }
  const body: ErrorBody = { error: { code: error.code, message: ErrorCatalog[error.code].message } };
  return {
    status: error.status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'www-authenticate': `Bearer realm="sluice", error="invalid_token"`,
    },
    body: JSON.stringify(body),
  };
}
