// What every public endpoint of an event needs from a request, copied synchronously (uWS's `req`
// dies after the handler), with the event and Origin checked: CORS answers only the event's
// allowed origins, always with `Vary: Origin`.
import { type EventRecord, isEventId, PLACE_HEADER } from '@sluice/shared';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { originAllowed } from '../abuse/origin.ts';
import type { GateContext } from '../context.ts';
import { remoteIp } from '../queue/ws.ts';
import { type Headers, sendError } from './respond.ts';

export interface Req {
  evt: string;
  rec: EventRecord;
  origin: string;
  place: string;
  ip: string;
  cors: Headers;
}

/** Copy what the handlers need from `req` and check event + origin; null when answered. */
export function prepare(g: GateContext, res: HttpResponse, req: HttpRequest): Req | null {
  const evt = req.getParameter(0) ?? '';
  const origin = req.getHeader('origin');
  const place = req.getHeader(PLACE_HEADER);
  const ip = remoteIp(g, res, req);
  const rec = isEventId(evt) ? g.events.get(evt) : undefined;
  const cors: Headers = { vary: 'Origin' };
  if (!rec) {
    sendError(res, 'UNKNOWN_EVENT', cors);
    return null;
  }
  if (!originAllowed(origin, rec.config.allowedOrigins, g.config.devOrigins)) {
    sendError(res, 'ORIGIN_FORBIDDEN', cors);
    return null;
  }
  if (origin) {
    cors['access-control-allow-origin'] = origin;
    cors['access-control-expose-headers'] = 'cache-control';
  }
  return { evt, rec, origin, place, ip, cors };
}
