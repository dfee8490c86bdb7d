// The door's 30-bit keys of ticket digests: from the SHA-256 bytes of a presented ticket, and
// from the base64url digest the gate records and publishes (they must agree, issued.test.ts).

/** First 30 bits of a SHA-256 digest (a small integer: no allocation per entry in a Set). */
export function keyOfSha256(d: Buffer): number {
  return (d[0]! << 22) | (d[1]! << 14) | (d[2]! << 6) | (d[3]! >> 2);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64_VALUE[B64URL.charCodeAt(i)] = i;

/** The same 30 bits from a recorded digest (base64url: 5 characters × 6 bits); -1 if not one. */
export function keyOfDigest(digest: string): number {
  if (digest.length < 5) return -1;
  let k = 0;
  for (let i = 0; i < 5; i++) {
    const v = B64_VALUE[digest.charCodeAt(i) & 127]!;
    if (v < 0 || digest.charCodeAt(i) > 127) return -1;
    k = (k << 6) | v;
  }
  return k;
}
