// The client address a request is counted against (gate joins, dashboard logins). Directly
// exposed, it is the socket's peer. Behind a reverse proxy every socket comes from the proxy, so
// the address is the one the proxy reports — but only when the peer is one of the configured
// proxies (GATE_TRUSTED_PROXIES, DASHBOARD_TRUSTED_PROXIES): from anyone else X-Real-IP /
// X-Forwarded-For are the client's own claims and are ignored. With a trusted peer: X-Real-IP
// (nginx sets it to the peer it saw), else the X-Forwarded-For hops read from the right, skipping
// hops that are themselves trusted proxies (earlier hops are whatever the client claimed). Limits
// then count per `addressKey`: an IPv4 address, or an IPv6 /64 (one customer's subnet: a single
// host gets 2^64 addresses for free).
import { BlockList, isIP } from 'node:net';

const MAX_ADDRESS = 64;

/** Proxies whose forwarding headers are believed; built once from a CIDR list. */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  /** @example new TrustedProxies(['10.0.0.0/8', '127.0.0.1', '::1/128']) — throws on a bad entry */
  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr = '', bits] = c.split('/');
      const v = isIP(addr);
      if (!v) throw new Error(`not an IP address or CIDR: ${c}`);
      const type = v === 4 ? 'ipv4' : 'ipv6';
      const max = v === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (
        !Number.isInteger(prefix) ||
        prefix < 0 ||
        prefix > max ||
        (bits !== undefined && !/^\d+$/.test(bits))
      )
        throw new Error(`bad prefix length: ${c}`);
      this.list.addSubnet(addr, prefix, type);
    }
    this.size = cidrs.length;
  }

  has(ip: string): boolean {
    const v = isIP(ip);
    if (!v) return false;
    const plain = unmapV4(ip);
    if (plain !== ip) return this.list.check(plain, 'ipv4') || this.list.check(ip, 'ipv6');
    return this.list.check(ip, v === 4 ? 'ipv4' : 'ipv6');
  }
}

/** `::ffff:1.2.3.4` → `1.2.3.4` (uWS reports IPv4 peers of a dual-stack socket this way). */
function unmapV4(ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return m ? (m[1] as string) : ip;
}

/** Expand an IPv6 address to its eight 16-bit groups (null when it is not one). */
function ipv6Groups(ip: string): number[] | null {
  if (isIP(ip) !== 6) return null;
  // A trailing dotted IPv4 part becomes two hex groups first.
  const s = (ip.split('%')[0] as string).replace(
    /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/,
    (_m, a, b, c, d) =>
      [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)].map((x) => x.toString(16)).join(':'),
  );
  const parse = (p: string) => (p ? p.split(':').map((x) => Number.parseInt(x, 16)) : []);
  const halves = s.split('::');
  if (halves.length === 1) return parse(s);
  const h = parse(halves[0] as string);
  const r = parse(halves[1] as string);
  return [...h, ...new Array(8 - h.length - r.length).fill(0), ...r];
}

/**
 * What per-address limits count: an IPv4 address as is, an IPv6 address by its /64.
 * @example addressKey('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 */
export function addressKey(ip: string): string {
  const plain = unmapV4(ip);
  if (isIP(plain) === 4) return plain;
  const g = ipv6Groups(plain);
  if (!g) return plain.slice(0, MAX_ADDRESS);
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

/**
 * The client's address: the peer, or what a trusted proxy peer reports. Headers from a peer that
 * is not a configured proxy are ignored.
 */
export function clientAddress(
  peer: string,
  realIp: string,
  forwardedFor: string,
  proxies: TrustedProxies,
): string {
  if (proxies.size === 0 || !proxies.has(peer)) return peer;
  const real = realIp.trim();
  if (real) return real.slice(0, MAX_ADDRESS);
  const hops = forwardedFor
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!proxies.has(hop)) return hop.slice(0, MAX_ADDRESS);
  }
  return (hops[0] ?? peer).slice(0, MAX_ADDRESS);
}
