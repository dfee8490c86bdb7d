// GET /v1/events/:id/products over HTTP; public and cacheable for a second.
import type { Logger, Redis } from '@sluice/shared';
import type { Request, Response } from 'hyper-express';
import { sendError, sendJson } from '../http/respond.ts';
import { getCatalogue } from './catalogue.ts';

export function catalogueHandler(deps: { redis: Redis; prefix: string; timeoutMs: number; log: Logger }) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const cat = await getCatalogue(deps.redis, deps.prefix, req.path_parameters.id ?? '', deps.timeoutMs);
      sendJson(res, 200, cat, { 'cache-control': 'public, max-age=1' });
    } catch (err) {
      sendError(res, err, deps.log, req);
    }
  };
}
