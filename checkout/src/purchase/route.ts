// POST /v1/checkout over HTTP: load shedding (429 past the in-flight cap), body limits, then the
// use case; every outcome is timed by its code.
import { type Logger, SluiceError } from '@sluice/shared';
import type { Request, Response } from 'hyper-express';
import { readJsonBody } from '../http/body.ts';
import type { CheckoutMetrics } from '../http/metrics.ts';
import { sendError, sendJson } from '../http/respond.ts';
import { type PlaceOrderDeps, placeOrder } from './place-order.ts';

export interface CheckoutRouteDeps extends PlaceOrderDeps {
  maxBodyBytes: number;
  maxInFlight: number;
  /** Public base URL (CHECKOUT_PUBLIC_URL); empty: the request's Host header. */
  publicUrl: string;
  metrics: CheckoutMetrics;
  log: Logger;
}

export function checkoutHandler(deps: CheckoutRouteDeps) {
  let inFlight = 0;
  return async (req: Request, res: Response): Promise<void> => {
    const started = performance.now();
    let code = 'ACCEPTED';
    if (inFlight >= deps.maxInFlight) {
      code = sendError(res, new SluiceError('RATE_LIMITED'), deps.log, req);
      deps.metrics.checkoutSeconds.observe({ code }, (performance.now() - started) / 1000);
      return;
    }
    inFlight++;
    deps.metrics.inFlight.set(inFlight);
    try {
      const body = await readJsonBody(req, deps.maxBodyBytes);
      const accepted = await placeOrder(deps, {
        body,
        authorization: req.headers.authorization,
        idempotencyKey: req.headers['idempotency-key'],
        dpop: req.headers.dpop,
        url: requestUrl(deps.publicUrl, req),
      });
      sendJson(res, 202, accepted, { location: accepted.statusUrl });
    } catch (err) {
      code = sendError(res, err, deps.log, req);
    } finally {
      inFlight--;
      deps.metrics.inFlight.set(inFlight);
      deps.metrics.checkoutSeconds.observe({ code }, (performance.now() - started) / 1000);
    }
  };
}

/** The URL as the client named it, for the proof's `htu`: the configured public base URL, else
 * the Host header (a proof made for another host fails either way). */
export function requestUrl(publicUrl: string, req: Request): string {
  const base = publicUrl ? publicUrl.replace(/\/+$/, '') : `http://${req.headers.host ?? 'localhost'}`;
  return base + req.path;
}
