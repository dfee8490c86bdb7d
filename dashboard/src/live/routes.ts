// GET /v1/events/{id}/live: server-sent events, one `sample` message a second.
// GET /v1/events/{id}/whatif?rate=r: the slider's preview, for scripts.
import { isEventId, type Logger, type prom, SluiceError } from '@sluice/shared';
import type { Request, Server } from 'hyper-express';
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
}

export function registerLiveRoutes(app: Server, d: LiveDeps): void {
  const id = (req: Request): string => {
    const v = req.path_parameters.id ?? '';
    if (!isEventId(v)) throw new SluiceError('UNKNOWN_EVENT');
    return v;
  };
  const read = async (req: Request) => {
    const f = facts(req);
    return authorize(await authenticate(f, d.tokens, d.sessions), f, 'read', []);
  };

  app.get(
    '/v1/events/:id/live',
    handled(d.log, async (req, res) => {
      await read(req);
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
        d.streams.delete(closer);
        d.sseClients.dec();
      };
      const closer = () => {
        end();
        if (sse.active) sse.close();
      };
      d.streams.add(closer);
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
