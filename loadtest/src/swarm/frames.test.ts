import { describe, expect, it } from 'vitest';
import { clientFrame, type Frame, OP, parseFrames, upgradeAnswer } from './frames.ts';

const serverFrame = (opcode: number, payload: Buffer): Buffer => {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : Buffer.from([0x80 | opcode, 126, len >> 8, len & 255]);
  return Buffer.concat([head, payload]);
};

describe('frames', () => {
  it('masks client frames so that unmasking gives the payload back', () => {
    const mask = Buffer.from([1, 2, 3, 4]);
    const f = clientFrame(OP.TEXT, Buffer.from('{"t":"join"}'), mask);
    expect(f[0]).toBe(0x81);
    expect(f[1]! & 0x80).toBe(0x80);
    const len = f[1]! & 0x7f;
    const body = Buffer.from(f.subarray(6, 6 + len).map((b, i) => b ^ mask[i & 3]!));
    expect(body.toString()).toBe('{"t":"join"}');
  });

  it('parses frames split at any byte, including 16-bit lengths', () => {
    const big = Buffer.alloc(300, 97);
    const stream = Buffer.concat([serverFrame(OP.TEXT, Buffer.from('hello')), serverFrame(OP.TEXT, big), serverFrame(OP.PING, Buffer.alloc(0))]);
    for (let cut = 1; cut < stream.length; cut += 7) {
      const frames: Frame[] = [];
      const rest = parseFrames(stream.subarray(0, cut), frames);
      const tail = rest ? Buffer.concat([rest, stream.subarray(cut)]) : stream.subarray(cut);
      const rest2 = parseFrames(tail, frames);
      expect(rest2).toBeNull();
      expect(frames.map((f) => [f.opcode, f.payload.length])).toEqual([
        [OP.TEXT, 5],
        [OP.TEXT, 300],
        [OP.PING, 0],
      ]);
    }
  });

  it('reads the upgrade status once the header is complete', () => {
    expect(upgradeAnswer(Buffer.from('HTTP/1.1 101 Switching'))).toBeNull();
    expect(upgradeAnswer(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nxx'))).toEqual({
      headerLen: 56,
      status: 101,
    });
  });
});
