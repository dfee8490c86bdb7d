// Endpoints an event publishes for anyone: the proof-of-work challenge (bound to the caller's
// address and `cid`), the pre-queue shuffle's input, and the revoked ids for storefront helpers.
// Each is limited per address (GATE_PUBLIC_RATE_PER_IP) before any work; the last two are served
// from per-event caches.
import { powDifficultyAt, SluiceError } from '@sluice/shared';
import type { TemplatedApp } from 'uWebSockets.js';
import { issueChallenge } from '../abuse/pow.ts';
import type { GateContext } from '../context.ts';
import { CID_PATTERN } from '../queue/ws-join.ts';
import { prepare } from './event-request.ts';
import { parsePrequeueQuery } from './prequeue.ts';
import { handleAsync, sendError, sendJson } from './respond.ts';

export function publishedRoutes(g: GateContext, app: TemplatedApp, base: string): void {
  app.get(`${base}/challenge`, (res, req) => {
    const cid = new URLSearchParams(req.getQuery() ?? '').get('cid') ?? '';
    const r = prepare(g, res, req);
    if (!r) return;
    if (cid !== '' && !CID_PATTERN.test(cid)) {
      sendError(res, 'INVALID_FIELD', r.cors, 'cid must be 8-64 of A-Za-z0-9_-');
      return;
    }
    const now = g.now();
    if (!g.publicLimiter.take(r.ip, now)) {
      sendError(res, 'RATE_LIMITED', { ...r.cors, 'retry-after': '10' });
      return;
    }
    const difficulty = powDifficultyAt(r.rec.config, g.joinGuard.joinsPerSecond(r.evt, now));
    const challenge = issueChallenge(g.placeSecret, r.evt, now, difficulty, { address: r.ip, cid });
    sendJson(res, 200, { challenge, difficulty }, { ...r.cors, 'cache-control': 'no-store' });
  });

  // The input of the pre-queue shuffle, in pages (see prequeue.ts); with the seed hash and,
  // after the start, the seed and the digest of the frozen list, anyone can recompute the order
  // (gate/scripts/verify-shuffle.ts).
  app.get(`${base}/prequeue`, (res, req) => {
    const query = { offset: req.getQuery('offset'), limit: req.getQuery('limit') };
    const r = prepare(g, res, req);
    if (!r) return;
    handleAsync(
      res,
      g.log,
      async (reply) => {
        if (!g.publicLimiter.take(r.ip, g.now())) throw new SluiceError('RATE_LIMITED');
        const q = parsePrequeueQuery(query.offset, query.limit);
        const page = await g.prequeueCache.page(r.rec, q, g.now());
        reply(200, page.body, {
          ...r.cors,
          'content-type': 'application/json',
          'cache-control': page.frozen ? 'public, max-age=86400' : 'public, max-age=5',
        });
      },
      r.cors,
    );
  });

  // Revoked place ids / ticket jtis (never client ids), for storefront helpers that check
  // revocations (shared/src/tickets/revocations.ts polls this).
  app.get(`${base}/revoked`, (res, req) => {
    const r = prepare(g, res, req);
    if (!r) return;
    handleAsync(
      res,
      g.log,
      async (reply) => {
        if (!g.publicLimiter.take(r.ip, g.now())) throw new SluiceError('RATE_LIMITED');
        reply(200, await g.revokedCache.body(r.evt, g.now()), {
          ...r.cors,
          'content-type': 'application/json',
          'cache-control': 'public, max-age=1',
        });
      },
      r.cors,
    );
  });
}
