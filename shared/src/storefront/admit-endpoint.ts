// Cookie mode: the queue page posts the ticket (a top-level form POST, so the cookie is
// first-party) to this endpoint on the storefront's own domain. It verifies the ticket, sets it
// as an HttpOnly cookie plus a readable hint for the drop-in script, and redirects (303) to the
// return path, which must be on the storefront's origin (no open redirect).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SluiceError } from '../protocol/errors.ts';
import { verifyTicketForHandOver } from '../tickets/admission.ts';
import { ADMIT_FORM, TICKET_COOKIE, TICKET_HINT_COOKIE } from './constants.ts';
import type { GuardOptions } from './guard.ts';

const MAX_FORM_BYTES = 4096;

export interface AdmitEndpointOptions extends GuardOptions {
  /** The storefront's public origin; the return URL must be on it. */
  publicOrigin: string;
  /** Cookie path (default `/`). */
  cookiePath?: string;
}

/** Set-Cookie values for a verified ticket expiring at `expS` (seconds). */
export function admissionCookies(
  ticket: string,
  p: { event: string; expS: number; nowMs: number; secure: boolean; path?: string },
): string[] {
  const maxAge = Math.max(0, p.expS - Math.floor(p.nowMs / 1000));
  const attrs = `Path=${p.path ?? '/'}; Max-Age=${maxAge}; SameSite=Lax${p.secure ? '; Secure' : ''}`;
  return [
    `${TICKET_COOKIE}=${encodeURIComponent(ticket)}; ${attrs}; HttpOnly`,
    `${TICKET_HINT_COOKIE}=${encodeURIComponent(`${p.event}.${p.expS}`)}; ${attrs}`,
  ];
}

/** Where to go after admission: the requested return URL if it is on `publicOrigin`, else `/`. */
export function safeReturn(requested: string | null, publicOrigin: string): string {
  if (requested) {
    try {
      const u = new URL(requested, publicOrigin);
      if (u.origin === publicOrigin) return u.toString();
    } catch {
      // An unparsable return URL is hostile or broken input: fall back to the home page below.
    }
  }
  return new URL('/', publicOrigin).toString();
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        reject(new SluiceError('PAYLOAD_TOO_LARGE'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/**
 * A node:http / Express handler for `POST <your path>` (form-encoded `ticket`, `return`).
 * @example app.post('/sluice/admit', createAdmitEndpoint({ jwksUrl, audience, event, publicOrigin }));
 */
export function createAdmitEndpoint(opts: AdmitEndpointOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch {
      res.writeHead(413).end();
      return;
    }
    const ticket = form.get(ADMIT_FORM.ticket) ?? '';
    try {
      const claims = await verifyTicketForHandOver(ticket, opts);
      const now = opts.now?.() ?? Date.now();
      res.writeHead(303, {
        location: safeReturn(form.get(ADMIT_FORM.returnTo), opts.publicOrigin),
        'set-cookie': admissionCookies(ticket, {
          event: opts.event,
          expS: claims.exp,
          nowMs: now,
          secure: opts.publicOrigin.startsWith('https:'),
          ...(opts.cookiePath ? { path: opts.cookiePath } : {}),
        }),
        'cache-control': 'no-store',
      });
      res.end();
    } catch (err) {
      const code = err instanceof SluiceError ? err.code : 'TICKET_MALFORMED';
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`Admission refused (${code}). Please go back to the queue.`);
    }
  };
}
