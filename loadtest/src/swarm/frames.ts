// The least WebSocket a load client needs (RFC 6455): the upgrade request, masked text frames
// out, and a parser for the server's unmasked frames. No extensions (the gate disables
// permessage-deflate), no fragmentation on receive (uWS sends whole messages).

export const OP = { TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

export function upgradeRequest(host: string, port: number, path: string, origin?: string): string {
  // The key only has to be 16 base64-encoded bytes; the client does not need a fresh one per
  // socket because it does not rely on Sec-WebSocket-Accept for security.
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: c2x1aWNlLWxvYWR0ZXN0IQ==\r\nSec-WebSocket-Version: 13\r\n` +
    (origin ? `Origin: ${origin}\r\n` : '') +
    '\r\n'
  );
}

/** A masked client frame. `mask` is 4 bytes; the payload is XOR-ed with it as RFC 6455 requires. */
export function clientFrame(opcode: number, payload: Buffer, mask: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  mask.copy(out, head);
  for (let i = 0; i < len; i++) out[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

export interface Frame {
  opcode: number;
  payload: Buffer;
}

/**
 * Split `buf` into complete frames; returns them and the unconsumed tail (or null). Masked
 * server frames are a protocol error and are reported as opcode -1.
 */
export function parseFrames(buf: Buffer, out: Frame[]): Buffer | null {
  let off = 0;
  while (buf.length - off >= 2) {
    const b0 = buf[off]!;
    const b1 = buf[off + 1]!;
    if (b1 & 0x80) {
      out.push({ opcode: -1, payload: Buffer.alloc(0) });
      return null;
    }
    let len = b1 & 0x7f;
    let p = off + 2;
    if (len === 126) {
      if (buf.length - off < 4) break;
      len = buf.readUInt16BE(off + 2);
      p = off + 4;
    } else if (len === 127) {
      if (buf.length - off < 10) break;
      len = Number(buf.readBigUInt64BE(off + 2));
      p = off + 10;
    }
    if (buf.length - p < len) break;
    out.push({ opcode: b0 & 0x0f, payload: buf.subarray(p, p + len) });
    off = p + len;
  }
  return off >= buf.length ? null : Buffer.from(buf.subarray(off));
}

/** Parse the status line of the upgrade answer; returns header length or -1 while incomplete. */
export function upgradeAnswer(buf: Buffer): { headerLen: number; status: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const line = buf.subarray(0, Math.min(end, 64)).toString('latin1');
  const m = /^HTTP\/1\.1 (\d{3})/.exec(line);
  return { headerLen: end + 4, status: m ? Number(m[1]) : 0 };
}

/** Backoff before attempt n + 1 of a handshake: 1 s × 2^(n − 1), at most 10 s, times a random 0.5–1.5 (no retry storm). */
export function retryDelayMs(attempts: number, rnd = Math.random()): number {
  return Math.round(Math.min(10_000, 1000 * 2 ** Math.max(0, attempts - 1)) * (0.5 + rnd));
}
