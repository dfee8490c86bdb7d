// GET /v1/orders/:id over HTTP.
import type { Logger } from '@sluice/shared';
import type { Request, Response } from 'hyper-express';
import { sendError, sendJson } from '../http/respond.ts';
import { getOrderStatus, type OrderStatusDeps } from './status.ts';

export function orderStatusHandler(deps: OrderStatusDeps & { log: Logger; publicUrl: string }) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const view = await getOrderStatus(deps, {
        orderId: req.path_parameters.id ?? '',
        authorization: req.headers.authorization,
        proof: { dpop: req.headers.dpop, url: requestUrl(deps.publicUrl, req) },
      });
      sendJson(res, 200, view, { 'cache-control': 'no-store' });
    } catch (err) {
      sendError(res, err, deps.log, req);
    }
  };
}

/** The URL as the client named it, for the proof's `htu`: the configured public base URL, else
 * the Host header (a proof made for another host fails either way). */
export function requestUrl(publicUrl: string, req: Request): string {
  const base = publicUrl ? publicUrl.replace(/\/+$/, '') : `http://${req.headers.host ?? 'localhost'}`;
  return base + req.path;
}
