// Proof-of-work for joins when the event asks for one (see gate/src/abuse/pow.ts): find a nonce
// such that SHA-256(challenge + ":" + nonce) starts with `difficulty` zero bits. Uses WebCrypto,
// yielding to the page between batches so the countdown keeps ticking.

export function leadingZeroBits(buf: Uint8Array): number {
  let zeros = 0;
  for (const byte of buf) {
    if (byte === 0) {
      zeros += 8;
      continue;
    }
    return zeros + Math.clz32(byte) - 24;
  }
  return zeros;
}

export async function solvePow(
  challenge: string,
  difficulty: number,
  digest: (data: Uint8Array) => Promise<ArrayBuffer> = (d) =>
    crypto.subtle.digest('SHA-256', d as BufferSource),
): Promise<string> {
  const enc = new TextEncoder();
  for (let n = 0; ; n++) {
    const nonce = n.toString(36);
    const h = new Uint8Array(await digest(enc.encode(`${challenge}:${nonce}`)));
    if (leadingZeroBits(h) >= difficulty) return nonce;
  }
}
