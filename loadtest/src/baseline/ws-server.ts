// Baseline WebSocket server, one process: raw uWebSockets.js or the `ws` package, holding
// sockets with nothing else to do. It answers a `join` with a welcome (so the swarm can hold
// sockets against it exactly as against the gate), echoes anything else, and serves
// `GET /hello` (uWS only) for the raw HTTP ceiling. Usage: ws-server.ts --impl uws|ws
import { createServer } from 'node:http';
import uWS from 'uWebSockets.js';
import { WebSocketServer } from 'ws';

const impl = process.argv[process.argv.indexOf('--impl') + 1] === 'ws' ? 'ws' : 'uws';
const WELCOME = JSON.stringify({ t: 'welcome', evt: 'baseline', placeId: 'p', place: 'x', phase: 'queue', score: 1, resumed: false });
let sockets = 0;
/** The floor of a state-frame broadcast: uWS `publish` of one frame to every socket (uWS only). */
let publishAll: ((payload: string) => void) | undefined;

function isJoin(text: string): boolean {
  return text.startsWith('{"t":"join"');
}

function ready(port: number): void {
  process.send?.({ t: 'ready', port, impl, pid: process.pid });
}

if (impl === 'uws') {
  const app = uWS.App();
  app.ws('/*', {
    compression: uWS.DISABLED,
    maxPayloadLength: 1024,
    idleTimeout: 960,
    maxBackpressure: 64 * 1024,
    open: (ws) => {
      sockets++;
      ws.subscribe('all');
    },
    message: (ws, msg, isBinary) => {
      const text = Buffer.from(msg).toString();
      ws.send(isJoin(text) ? WELCOME : msg, isBinary);
    },
    close: () => {
      sockets--;
    },
  });
  publishAll = (payload) => {
    app.publish('all', payload);
  };
  app.get('/hello', (res) => {
    res.end('Hello World!');
  });
  app.listen('127.0.0.1', 0, (token) => {
    if (!token) {
      process.stderr.write('listen failed\n');
      process.exit(1);
    }
    ready(uWS.us_socket_local_port(token));
  });
} else {
  const server = createServer((_req, res) => {
    res.end('Hello World!');
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 1024, clientTracking: false });
  wss.on('connection', (ws) => {
    sockets++;
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      ws.send(isJoin(text) ? WELCOME : data, { binary: isBinary });
    });
    ws.on('close', () => {
      sockets--;
    });
    // The baseline server under load: a client error ends that socket ('close' counts it).
    ws.on('error', (err) => void err);
  });
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    ready(typeof a === 'object' && a ? a.port : 0);
  });
}

process.on('message', (m: { t?: string; payload?: string; everyMs?: number; count?: number }) => {
  if (m.t === 'count') process.send?.({ t: 'count', sockets });
  // `count` publishes of `payload`, one every `everyMs` (the gate's tick), then report.
  // Each frame carries its send time and a tick number as the gate's do (`now`, `tick`), so the
  // swarm measures the floor of tick to socket the same way.
  if (m.t === 'publish' && publishAll && m.payload) {
    let left = m.count ?? 0;
    let tick = 0;
    const publish = publishAll;
    const payload = m.payload;
    const timer = setInterval(() => {
      if (left-- <= 0) {
        clearInterval(timer);
        process.send?.({ t: 'publish-done', published: m.count, sockets });
        return;
      }
      publish(payload.replace(/"now":\d+/, `"now":${Date.now()}`).replace(/"tick":\d+/, `"tick":${++tick}`));
    }, m.everyMs ?? 250);
  }
  // Memory readings ask for a full GC first (started with --expose-gc), so they see live memory.
  if (m.t === 'gc') {
    void fullGc().then(() => process.send?.({ t: 'gc-done' }));
  }
});
/**
 * Three full GCs 100 ms apart: a socket's native half (its TCP wrap, buffers) is freed by a weak
 * callback that the first GC only schedules, so one GC alone leaves memory that later readings
 * see go (ws read 249 → 222 → 198 MiB over GCs seconds apart). The gate's mem-hook does the same.
 */
async function fullGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
}

process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
