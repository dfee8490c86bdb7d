// POST /v1/handback over HTTP: a small JSON body (optional `reason`), the ticket in
// Authorization, a proof in DPoP for bound tickets. 200 {freed, replay}.
import type { Logger } from '@sluice/shared';
import type { Request, Response } from 'hyper-express';
import { readJsonBody } from '../http/body.ts';
import { sendError, sendJson } from '../http/respond.ts';
import { type HandBackDeps, handBack } from './handback.ts';

export function handBackHandler(deps: HandBackDeps & { maxBodyBytes: number; publicUrl: string; log: Logger }) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const body = await readJsonBody(req, deps.maxBodyBytes);
      const base = deps.publicUrl ? deps.publicUrl.replace(/\/+$/, '') : `http://${req.headers.host ?? 'localhost'}`;
      const r = await handBack(deps, { authorization: req.headers.authorization, body, dpop: req.headers.dpop, url: base + req.path });
      sendJson(res, 200, r);
    } catch (err) {
      sendError(res, err, deps.log, req);
    }
  };
}
