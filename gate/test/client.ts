// A test WebSocket client (the `ws` package): collects messages, waits for one of a type or for
// the close code.
import type { ServerMessage } from '@sluice/shared';
import WebSocket from 'ws';

export interface Client {
  ws: WebSocket;
  messages: ServerMessage[];
  next<T extends ServerMessage['t']>(t: T, timeoutMs?: number): Promise<Extract<ServerMessage, { t: T }>>;
  closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
  close(): void;
}

/** `options`: extra `ws` client options, e.g. `localAddress` to connect from 127.0.0.x. */
export function connect(
  url: string,
  origin = 'https://shop.example',
  options: WebSocket.ClientOptions = {},
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin, perMessageDeflate: false, ...options });
    const messages: ServerMessage[] = [];
    const consumed = new Set<number>();
    const waiters: (() => void)[] = [];
    const closed = new Promise<{ code: number; reason: string }>((res) => {
      ws.on('close', (code, reason) => {
        res({ code, reason: reason.toString() });
        for (const w of waiters.splice(0)) w();
      });
    });
    ws.on('message', (data) => {
      messages.push(JSON.parse(data.toString()));
      for (const w of waiters.splice(0)) w();
    });
    ws.on('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        messages,
        closed,
        send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
        close: () => ws.close(),
        async next(t, timeoutMs = 10_000) {
          const end = Date.now() + timeoutMs;
          for (;;) {
            // Consume in order: each call returns the first not-yet-returned message of type t.
            for (let i = 0; i < messages.length; i++) {
              if (messages[i]!.t === t && !consumed.has(i)) {
                consumed.add(i);
                return messages[i] as never;
              }
            }
            if (ws.readyState === ws.CLOSED) throw new Error(`socket closed while waiting for ${t}`);
            const left = end - Date.now();
            if (left <= 0) throw new Error(`timed out waiting for ${t}`);
            await new Promise<void>((r) => {
              const timer = setTimeout(r, left);
              waiters.push(() => {
                clearTimeout(timer);
                r();
              });
            });
          }
        },
      }),
    );
  });
}

/** The HTTP status of a refused upgrade. */
export async function upgradeStatus(url: string, origin?: string): Promise<number> {
  try {
    const c = await connect(url, origin);
    c.close();
    return 101;
  } catch (err) {
    return (err as { status?: number }).status ?? 0;
  }
}
