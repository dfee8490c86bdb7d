// The client address a join is counted against. Directly exposed, it is the socket's peer. Behind
// a reverse proxy (GATE_TRUST_PROXY) every socket comes from the proxy, so the address is the one
// the proxy reports: X-Real-IP (nginx sets it to the peer it saw), else the last X-Forwarded-For
// hop (the one the proxy appended; earlier hops are whatever the client claimed).

const MAX_ADDRESS = 64;

export function clientAddress(peer: string, realIp: string, forwardedFor: string, trustProxy: boolean): string {
  if (!trustProxy) return peer;
  const real = realIp.trim();
  if (real) return real.slice(0, MAX_ADDRESS);
  const last = forwardedFor
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .at(-1);
  return (last ?? peer).slice(0, MAX_ADDRESS);
}
