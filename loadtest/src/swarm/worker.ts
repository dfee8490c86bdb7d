// One swarm process: opens `count` WebSockets over raw `net` sockets at a fixed arrival rate,
// joins, and holds them. Records join latency (socket opened → welcome), per-tick broadcast
// delay (state frame's `now` → receipt), the latest state frames, and admissions.
// Cheap per socket: a small object, no per-socket timers, state frames parsed once per worker
// (every socket receives the same bytes, so the parse is cached by content).
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Hist } from '../lib/hist.ts';
import { clientFrame, type Frame, OP, parseFrames, retryDelayMs, upgradeAnswer } from './frames.ts';
import type { Admission, Progress, TickSample, WorkerConfig, WorkerReport } from './types.ts';

interface Conn {
  sock: net.Socket;
  i: number;
  /** First attempt (join latency counts from here, retries included) and the current one. */
  openedAt: number;
  attemptAt: number;
  attempts: number;
  welcomeAt: number;
  scoreAt: number;
  score: number | null;
  placeId: string;
  predictedWaitMs: number | null;
  upgraded: boolean;
  /** Between a failed attempt and the next one (backing off): its old socket's events are ignored. */
  backingOff: boolean;
  rest: Buffer | null;
  echoSentAt: number;
}

const MASK = randomBytes(4);
const PONG = clientFrame(OP.PONG, Buffer.alloc(0), MASK);
const ECHO = clientFrame(OP.TEXT, Buffer.from('{"t":"ping"}'), MASK);

let cfg: WorkerConfig;
const conns: Conn[] = [];
const join = new Hist();
const echoRtt = new Hist();
const ticks = new Map<number, { now: number; hist: Hist }>();
const samples: TickSample[] = [];
const errors: Record<string, number> = {};
const closeCodes: Record<string, number> = {};
let opened = 0;
let upgraded = 0;
let joined = 0;
let failed = 0;
let closedByServer = 0;
let firstOpenAt = 0;
let lastWelcomeAt = 0;
let echoMsgs = 0;
let admittedCount = 0;
let stopping = false;
let retries = 0;
/** Shoppers whose welcome came on a retried attempt. */
let joinedAfterRetry = 0;
/** Sockets opened and not yet welcomed: checked each second for a stalled handshake. */
const pendingConns = new Set<Conn>();
/** A handshake with no welcome after this long is abandoned and retried (a loaded server's
 * full accept queue drops the client's ACK; the kernel's own retries then take minutes). */
const ATTEMPT_TIMEOUT_MS = 20_000;
const MAX_ATTEMPTS = 3;

let lastFrame: { served: number; rate: number; cfg: number } | null = null;
let pendingAdmissions: Admission[] = [];
const frameCache = { raw: Buffer.alloc(0), msg: null as Record<string, unknown> | null };

const MAX_TICKS = 5000;
const MAX_SAMPLES = 5000;

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function parse(payload: Buffer): Record<string, unknown> | null {
  // State frames are identical for every socket of an event: parse each distinct frame once.
  if (payload.length === frameCache.raw.length && payload.equals(frameCache.raw)) return frameCache.msg;
  let msg: Record<string, unknown> | null = null;
  try {
    msg = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
  } catch {
    bump(errors, 'bad-json');
  }
  frameCache.raw = Buffer.from(payload);
  frameCache.msg = msg;
  return msg;
}

function onMessage(c: Conn, payload: Buffer, now: number): void {
  const msg = parse(payload);
  if (!msg) return;
  switch (msg.t) {
    case 'welcome': {
      if (c.welcomeAt === 0) {
        c.welcomeAt = now;
        pendingConns.delete(c);
        c.placeId = String(msg.placeId ?? '');
        joined++;
        if (c.attempts > 1) joinedAfterRetry++;
        lastWelcomeAt = now;
        join.record(now - c.openedAt);
        if (typeof msg.score === 'number') setScore(c, msg.score, now);
        if (cfg.echo) {
          c.echoSentAt = now;
          c.sock.write(ECHO);
        }
      }
      return;
    }
    case 'state': {
      const tick = Number(msg.tick);
      const sent = Number(msg.now);
      let e = ticks.get(tick);
      if (!e && ticks.size < MAX_TICKS) {
        e = { now: sent, hist: new Hist() };
        ticks.set(tick, e);
        lastFrame = { served: Number(msg.served), rate: Number(msg.rate), cfg: Number(msg.cfg) };
        if (samples.length < MAX_SAMPLES) {
          samples.push({
            tick,
            now: sent,
            st: String(msg.st),
            served: Number(msg.served),
            tail: Number(msg.tail),
            len: Number(msg.len),
            rate: Number(msg.rate),
            adm: Number(msg.adm),
            cfg: Number(msg.cfg),
          });
        }
      }
      e?.hist.record(now - sent);
      return;
    }
    case 'place':
      if (typeof msg.score === 'number') setScore(c, msg.score, now);
      return;
    case 'admitted':
      admittedCount++;
      if (cfg.forwardAdmissions) {
        pendingAdmissions.push({
          placeId: c.placeId,
          score: c.score,
          ticket: String(msg.ticket),
          exp: Number(msg.exp),
          openedAt: c.openedAt,
          welcomeAt: c.welcomeAt,
          scoreAt: c.scoreAt,
          admittedAt: now,
          predictedWaitMs: c.predictedWaitMs,
        });
      }
      return;
    case 'pong':
      if (cfg.echo && c.echoSentAt > 0) {
        echoMsgs++;
        echoRtt.record(now - c.echoSentAt);
        if (!stopping) {
          c.echoSentAt = now;
          c.sock.write(ECHO);
        }
      }
      return;
    case 'ping':
      // The baseline echo server echoes our ping back verbatim.
      if (cfg.echo && c.echoSentAt > 0) {
        echoMsgs++;
        echoRtt.record(now - c.echoSentAt);
        if (!stopping) {
          c.echoSentAt = now;
          c.sock.write(ECHO);
        }
      }
      return;
    case 'error':
      bump(errors, `server:${String(msg.code)}`);
      return;
    default:
      return;
  }
}

function setScore(c: Conn, score: number, now: number): void {
  if (c.score !== null) return;
  c.score = score;
  c.scoreAt = now;
  if (lastFrame) {
    const rate = lastFrame.rate > 0 ? lastFrame.rate : lastFrame.cfg;
    c.predictedWaitMs = rate > 0 ? (Math.max(0, score - lastFrame.served) / rate) * 1000 : null;
  }
}

function onData(c: Conn, chunk: Buffer): void {
  const now = Date.now();
  let buf = c.rest ? Buffer.concat([c.rest, chunk]) : chunk;
  c.rest = null;
  if (!c.upgraded) {
    const ans = upgradeAnswer(buf);
    if (!ans) {
      c.rest = Buffer.from(buf);
      return;
    }
    if (ans.status !== 101) {
      bump(errors, `http:${ans.status}`);
      giveUpOrRetry(c);
      return;
    }
    c.upgraded = true;
    upgraded++;
    c.sock.write(
      clientFrame(OP.TEXT, Buffer.from(JSON.stringify({ t: 'join', cid: `${cfg.cidPrefix}-${cfg.index}-${c.i}` })), MASK),
    );
    buf = buf.subarray(ans.headerLen);
    if (buf.length === 0) return;
  }
  const frames: Frame[] = [];
  c.rest = parseFrames(buf, frames);
  for (const f of frames) {
    if (f.opcode === OP.TEXT) onMessage(c, f.payload, now);
    else if (f.opcode === OP.PING) c.sock.write(PONG);
    else if (f.opcode === OP.CLOSE) {
      const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
      bump(closeCodes, String(code));
    } else if (f.opcode === -1) bump(errors, 'masked-server-frame');
  }
}

function open(i: number): void {
  const now = Date.now();
  if (firstOpenAt === 0) firstOpenAt = now;
  const c = {
    i,
    openedAt: now,
    attemptAt: now,
    attempts: 0,
    welcomeAt: 0,
    scoreAt: 0,
    score: null,
    placeId: '',
    predictedWaitMs: null,
    upgraded: false,
    backingOff: false,
    rest: null,
    echoSentAt: 0,
  } as unknown as Conn;
  conns.push(c);
  opened++;
  attempt(c);
}

/** One connection attempt for `c` (a fresh socket; the handlers ignore a socket once replaced). */
function attempt(c: Conn): void {
  const target = cfg.targets[c.i % cfg.targets.length]!;
  const localAddress = cfg.localAddresses[(c.i + c.attempts) % cfg.localAddresses.length];
  c.attempts++;
  c.attemptAt = Date.now();
  c.backingOff = false;
  c.upgraded = false;
  c.rest = null;
  pendingConns.add(c);
  const sock = net.connect({ host: target.host, port: target.port, localAddress, noDelay: true });
  c.sock = sock;
  sock.once('connect', () => {
    sock.write(
      `GET ${target.path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: c2x1aWNlLWxvYWR0ZXN0IQ==\r\nSec-WebSocket-Version: 13\r\n' +
        (cfg.origin ? `Origin: ${cfg.origin}\r\n` : '') +
        '\r\n',
    );
  });
  sock.on('data', (d: Buffer) => {
    if (c.sock === sock && !c.backingOff) onData(c, d);
  });
  sock.on('error', (err: NodeJS.ErrnoException) => {
    if (c.sock !== sock || c.backingOff) return;
    bump(errors, err.code ?? err.message);
    if (c.welcomeAt === 0) giveUpOrRetry(c);
  });
  sock.on('close', () => {
    if (c.sock !== sock || c.backingOff) return;
    if (!stopping && c.welcomeAt > 0) closedByServer++;
    else if (!stopping && c.welcomeAt === 0 && pendingConns.has(c)) giveUpOrRetry(c);
  });
}

/**
 * A handshake failed or stalled: retry with a new socket after a backoff, or count it failed
 * after `maxAttempts` (WorkerConfig, default MAX_ATTEMPTS).
 */
function giveUpOrRetry(c: Conn): void {
  if (!pendingConns.has(c) || stopping || c.backingOff) return;
  const old = c.sock;
  if (c.attempts < (cfg.maxAttempts ?? MAX_ATTEMPTS)) {
    retries++;
    c.backingOff = true;
    setTimeout(() => {
      if (!stopping) attempt(c);
    }, retryDelayMs(c.attempts));
  } else {
    pendingConns.delete(c);
    failed++;
  }
  old.destroy();
}

setInterval(() => {
  if (stopping || pendingConns.size === 0) return;
  const now = Date.now();
  for (const c of [...pendingConns]) {
    if (!c.backingOff && now - c.attemptAt > (cfg.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS)) {
      bump(errors, 'handshake-timeout');
      giveUpOrRetry(c);
    }
  }
}, 1000).unref();

function startOpening(): void {
  const t0 = Date.now();
  let next = 0;
  const timer = setInterval(() => {
    if (stopping) {
      clearInterval(timer);
      return;
    }
    const due = Math.min(cfg.count, Math.floor(((Date.now() - t0) / 1000) * cfg.ratePerS) + 1);
    // At most 2,000 per 5 ms slice, so a late timer does not open a burst of thousands at once;
    // and no more than `maxPending` handshakes in flight (a server that falls behind is not
    // buried under new sockets that then time out and retry).
    const cap = cfg.maxPending ?? Number.POSITIVE_INFINITY;
    for (let n = 0; next < due && n < 2000 && pendingConns.size < cap; n++) open(next++);
    if (next >= cfg.count) clearInterval(timer);
  }, 5);
}

function report(): WorkerReport {
  return {
    t: 'report',
    index: cfg.index,
    opened,
    upgraded,
    joined,
    failed,
    retries,
    joinedAfterRetry,
    closedByServer,
    errors,
    closeCodes,
    firstOpenAt,
    lastWelcomeAt,
    join: join.toJSON(),
    ticks: [...ticks.entries()].map(([tick, e]) => ({ tick, now: e.now, hist: e.hist.toJSON() })),
    samples,
    echoMsgs,
    echoRtt: echoRtt.toJSON(),
    admittedCount,
  };
}

setInterval(() => {
  if (!cfg) return;
  const p: Progress = { t: 'progress', index: cfg.index, opened, joined, failed };
  process.send?.(p);
  if (pendingAdmissions.length) {
    process.send?.({ t: 'admissions', items: pendingAdmissions });
    pendingAdmissions = [];
  }
}, 100).unref();

process.on('message', (m: { t: string } & Partial<WorkerConfig>) => {
  if (m.t === 'start') {
    cfg = m as WorkerConfig;
    startOpening();
  } else if (m.t === 'report') {
    process.send?.(report());
  } else if (m.t === 'echo-stop') {
    stopping = true;
  } else if (m.t === 'close') {
    stopping = true;
    // RST instead of FIN: no TIME_WAIT left behind on the 127.0.0.x ports for the next phase.
    for (const c of conns) c.sock.resetAndDestroy();
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ t: 'ready' });
