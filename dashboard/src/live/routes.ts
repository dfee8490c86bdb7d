// GET /v1/events/{id}/live: server-sent events, one `sample` message a second.
// GET /v1/events/{id}/whatif?rate=r: the slider's preview, for scripts.
import { isEventId, type Logger, type prom, SluiceError } from '@sluice/shared';
import type { Request, Server } from 'hyper-express';
import type { Access } from '../auth/access.ts';
import { authenticate, authorize } from '../auth/guard.ts';
import { facts } from '../auth/routes.ts';
import type { SessionStore } from '../auth/sessions.ts';
import type { Tokens } from '../auth/tokens.ts';
import { handled, ok } from '../http/respond.ts';
import type { LiveHub } from './hub.ts';
import type { LiveSample } from './sample.ts';
import { whatIfFromSample } from './whatif.ts';

export interface LiveDeps {
  tokens: Tokens;
  sessions: SessionStore;
  hub: LiveHub;
  log: Logger;
  sseClients: prom.Gauge;
  /** Open streams, closed on shutdown. */
  streams: Set<() => void>;
  access: Access;
  /** Open streams by session id, closed at logout. */
  sessionStreams: Map<string, Set<() => void>>;
  /** How often an open stream re-checks its credential (expiry, token change, logout elsewhere), ms. */
  recheckMs?: number;
}

export function registerLiveRoutes(app: Server, d: LiveDeps): void {
  const id = (req: Request): string => {
    const v = req.path_parameters.id ?? '';
    if (!isEventId(v)) throw new SluiceError('UNKNOWN_EVENT');
    return v;
  };
  const read = async (req: Request) => {
    const f = facts(req);
    return authorize(await d.access.identify(req, f), f, 'read', []);
  };

  app.get(
    '/v1/events/:id/live',
    handled(d.log, async (req, res) => {
      const who = await read(req);
      const f = facts(req);
      const evt = id(req);
      const first = await d.hub.snapshot(evt);
      if (!first) throw new SluiceError('UNKNOWN_EVENT');
      const sse = res.sse;
      if (!sse) throw new SluiceError('METHOD_NOT_ALLOWED');
      res.header('cache-control', 'no-store');
      sse.open();
      d.sseClients.inc();
      const send = (s: LiveSample) => {
        if (sse.active) sse.send('sample', JSON.stringify(s));
      };
      send(first);
      const unwatch = d.hub.watch(evt, send);
      let done = false;
      const end = () => {
        if (done) return;
        done = true;
        unwatch();
        clearInterval(recheck);
        d.streams.delete(closer);
        if (who.sessionId) d.sessionStreams.get(who.sessionId)?.delete(closer);
        d.sseClients.dec();
      };
      const closer = () => {
        end();
        if (sse.active) sse.close();
      };
      d.streams.add(closer);
      if (who.sessionId) {
        const set = d.sessionStreams.get(who.sessionId) ?? new Set<() => void>();
        d.sessionStreams.set(who.sessionId, set);
        set.add(closer);
      }
      // A stream outlives no credential: the session expired, was logged out on another
      // dashboard process, or the token changed.
      const recheck = setInterval(() => {
        authenticate(f, d.tokens, d.sessions).then(
          (p) => {
            if (!p) closer();
          },
          (err: unknown) => d.log.warn({ err }, 'live stream credential re-check failed; keeping the stream until the next check'),
        );
      }, d.recheckMs ?? 5000);
      res.once('close', end);
    }),
  );

  app.get(
    '/v1/events/:id/whatif',
    handled(d.log, async (req, res) => {
      await read(req);
      const rate = Number(req.query_parameters.rate);
      if (!Number.isFinite(rate) || rate < 0 || rate > 1_000_000) {
        throw new SluiceError('INVALID_FIELD', { field: 'rate', message: 'rate: must be a number from 0 to 1000000' });
      }
      const s = await d.hub.snapshot(id(req));
      if (!s) throw new SluiceError('UNKNOWN_EVENT');
      ok(res, { rate, ...whatIfFromSample(s, rate) });
    }),
  );
}
