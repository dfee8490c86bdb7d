// The WebSocket route /v1/events/:id/ws. `upgrade` checks the event and Origin (404 / 403 as
// HTTP answers), copying what it needs from `req` before any await; messages are parsed here
// and handed to the use-cases; every write after an await is corked.
import {
  type ClientMessage,
  CloseCode,
  type ErrorMsg,
  isEventId,
  type PongMsg,
  type RankReply,
} from '@sluice/shared';
import uWS, {
  type HttpRequest,
  type HttpResponse,
  type us_socket_context_t,
  type WebSocketBehavior,
} from 'uWebSockets.js';
import { addressKey, clientAddress } from '../abuse/client-address.ts';
import { originAllowed } from '../abuse/origin.ts';
import type { GateContext } from '../context.ts';
import { sendError } from '../http/respond.ts';
import { exactRank, leaveQueue } from './join.ts';
import type { Socket, SocketData } from './sockets.ts';
import { handleJoin } from './ws-join.ts';

/** Messages allowed per socket per window before it is closed with FLOOD. */
const FLOOD_LIMIT = 30;
const FLOOD_WINDOW_MS = 10_000;
/** Exact rank at most this often per socket. */
export const RANK_INTERVAL_MS = 5_000;
/** A socket must send its join within this time. */
export const JOIN_TIMEOUT_MS = 10_000;

/**
 * The client address key of a request (IPv4, or IPv6 /64), from the peer or a trusted proxy's
 * headers (read synchronously: `req` dies after the handler).
 */
export function remoteIp(g: GateContext, res: HttpResponse, req: HttpRequest): string {
  const peer = Buffer.from(res.getRemoteAddressAsText()).toString();
  if (g.proxies.size === 0) return addressKey(peer);
  return addressKey(
    clientAddress(peer, req.getHeader('x-real-ip'), req.getHeader('x-forwarded-for'), g.proxies),
  );
}

export function wsBehavior(g: GateContext): WebSocketBehavior<SocketData> {
  return {
    compression: uWS.DISABLED,
    // Twice the documented limit: messages in between get our TOO_LARGE close code, bigger
    // ones are cut off by uWS itself (1009) before they are buffered.
    maxPayloadLength: g.config.maxPayload * 2,
    idleTimeout: g.config.idleTimeoutS,
    maxBackpressure: g.config.maxBackpressure,
    closeOnBackpressureLimit: 1,
    sendPingsAutomatically: true,
    upgrade: (res, req, ctx) => upgrade(g, res, req, ctx),
    open: (ws) => {
      g.sockets.open++;
      // Taken in upgrade; returned in close.
      g.sockets.awaitingJoin.add(ws);
    },
    message: (ws, message, isBinary) => onMessage(g, ws, message, isBinary),
    close: (ws) => onClose(g, ws),
  };
}

function upgrade(g: GateContext, res: HttpResponse, req: HttpRequest, ctx: us_socket_context_t): void {
  const evt = req.getParameter(0) ?? '';
  const origin = req.getHeader('origin');
  const key = req.getHeader('sec-websocket-key');
  const protocol = req.getHeader('sec-websocket-protocol');
  const extensions = req.getHeader('sec-websocket-extensions');
  const ip = remoteIp(g, res, req);
  if (g.shuttingDown) {
    sendError(res, 'UNAVAILABLE');
    return;
  }
  if (!isEventId(evt)) {
    sendError(res, 'UNKNOWN_EVENT');
    return;
  }
  const finish = (): void => {
    const rec = g.events.get(evt);
    if (!rec) {
      sendError(res, 'UNKNOWN_EVENT');
      return;
    }
    if (!originAllowed(origin, rec.config.allowedOrigins, g.config.devOrigins)) {
      sendError(res, 'ORIGIN_FORBIDDEN');
      return;
    }
    if (!g.socketCap.take(ip)) {
      sendError(res, 'RATE_LIMITED', { 'retry-after': '10' });
      return;
    }
    const data: SocketData = {
      evt,
      ip,
      placeId: '',
      phase: '',
      score: 0,
      lane: -1,
      openedAt: g.now(),
      msgs: 0,
      windowAt: 0,
      lastRank: 0,
      joining: false,
      closed: false,
      left: false,
      jkt: '',
    };
    res.upgrade(data, key, protocol, extensions, ctx);
  };
  if (g.events.get(evt)) {
    finish();
    return;
  }
  // Not in this process's cache yet (created a moment ago?): ask Redis once.
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  if (!g.publicLimiter.take(ip, g.now())) {
    sendError(res, 'RATE_LIMITED', { 'retry-after': '10' });
    return;
  }
  g.events.lookup(evt, g.now()).then(
    (rec) => !aborted && res.cork(() => (rec === 'busy' ? sendError(res, 'UNAVAILABLE') : finish())),
    () => !aborted && res.cork(() => sendError(res, 'UNAVAILABLE')),
  );
}

function close(ws: Socket, code: number, reason: string): void {
  const d = ws.getUserData();
  if (d.closed) return;
  ws.end(code, reason);
}

function send(ws: Socket, msg: object): void {
  if (ws.send(JSON.stringify(msg)) === 2) close(ws, CloseCode.SLOW_CONSUMER, 'slow consumer');
}

function onMessage(g: GateContext, ws: Socket, message: ArrayBuffer, isBinary: boolean): void {
  const d = ws.getUserData();
  const now = g.now();
  if (now - d.windowAt >= FLOOD_WINDOW_MS) {
    d.windowAt = now;
    d.msgs = 0;
  }
  if (++d.msgs > FLOOD_LIMIT) {
    close(ws, CloseCode.FLOOD, 'too many messages');
    return;
  }
  if (message.byteLength > g.config.maxPayload) {
    close(ws, CloseCode.TOO_LARGE, 'message too large');
    return;
  }
  if (isBinary) {
    close(ws, CloseCode.BAD_MESSAGE, 'text frames only');
    return;
  }
  let msg: ClientMessage;
  try {
    msg = JSON.parse(Buffer.from(message).toString('utf8'));
  } catch {
    close(ws, CloseCode.BAD_MESSAGE, 'not JSON');
    return;
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || typeof msg.t !== 'string') {
    close(ws, CloseCode.BAD_MESSAGE, 'not a message object');
    return;
  }
  if (!d.placeId) {
    if (msg.t !== 'join') {
      if (msg.t === 'ping') {
        send(ws, { t: 'pong', now } satisfies PongMsg);
        return;
      }
      close(ws, CloseCode.JOIN_TIMEOUT, 'first message must be join');
      return;
    }
    if (d.joining) {
      close(ws, CloseCode.BAD_MESSAGE, 'join already in progress');
      return;
    }
    g.sockets.awaitingJoin.delete(ws);
    void handleJoin(g, ws, msg).catch((err) => {
      g.log.error({ err, evt: d.evt }, 'join failed');
      close(ws, CloseCode.INTERNAL, 'internal error');
    });
    return;
  }
  switch (msg.t) {
    case 'ping':
      send(ws, { t: 'pong', now } satisfies PongMsg);
      return;
    case 'rank':
      void rank(g, ws, now);
      return;
    case 'leave':
      void leave(g, ws);
      return;
    case 'join':
      close(ws, CloseCode.BAD_MESSAGE, 'already joined');
      return;
    default:
      close(ws, CloseCode.BAD_MESSAGE, 'unknown message type');
      return;
  }
}

async function rank(g: GateContext, ws: Socket, now: number): Promise<void> {
  const d = ws.getUserData();
  if (now - d.lastRank < RANK_INTERVAL_MS) {
    send(ws, { t: 'error', code: 'RATE_LIMITED', message: 'rank at most every 5 s' } satisfies ErrorMsg);
    return;
  }
  d.lastRank = now;
  // Strict lanes: everyone in the lanes before mine is ahead too, as ZRANK counts; shares: my lane only.
  const cfg = g.events.get(d.evt)?.config;
  const lane = cfg?.lanes?.length && cfg.laneMode === 'shares' && d.lane >= 0 ? d.lane : undefined;
  const ahead = await exactRank(g.redis, g.prefix, d.evt, d.placeId, lane).catch(() => null);
  if (d.closed) return;
  ws.cork(() => {
    if (ahead === null) {
      send(ws, {
        t: 'error',
        code: 'EVENT_NOT_OPEN',
        message: 'not in the line (pre-queue or admitted)',
      } satisfies ErrorMsg);
    } else send(ws, { t: 'rank', ahead, now: g.now() } satisfies RankReply);
  });
}

async function leave(g: GateContext, ws: Socket): Promise<void> {
  const d = ws.getUserData();
  d.left = true;
  g.sockets.remove(d.evt, d.placeId, ws);
  await leaveQueue(g.redis, g.prefix, d.evt, d.placeId).catch((err) => g.log.warn({ err }, 'leave failed'));
  if (!d.closed) ws.cork(() => close(ws, CloseCode.LEFT, 'left'));
}

function onClose(g: GateContext, ws: Socket): void {
  const d = ws.getUserData();
  d.closed = true;
  g.sockets.open--;
  g.socketCap.release(d.ip);
  g.sockets.awaitingJoin.delete(ws);
  if (!d.placeId || d.left) return;
  if (g.sockets.remove(d.evt, d.placeId, ws) && d.phase !== 'admitted')
    g.absence.mark(d.evt, d.placeId, g.now());
}

/** Close sockets that opened but never sent their join. */
export function closeSilentSockets(g: GateContext): void {
  const cutoff = g.now() - JOIN_TIMEOUT_MS;
  for (const ws of g.sockets.awaitingJoin) {
    if (ws.getUserData().openedAt < cutoff) {
      g.sockets.awaitingJoin.delete(ws);
      close(ws, CloseCode.JOIN_TIMEOUT, 'no join in time');
    }
  }
}
