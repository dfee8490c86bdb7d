// Open WebSockets per client address (IPv4 address or IPv6 /64) in this process. A page needs
// one; a household or office behind one address needs a few dozen. Counted per process (a socket
// lives in one), so the whole gate allows GATE_MAX_SOCKETS_PER_IP × workers at most; the nginx
// limit_conn in deploy/nginx bounds the total across processes.
export class SocketCap {
  private readonly open = new Map<string, number>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Take one socket for `address`; false (nothing taken) when it already holds the most allowed. */
  take(address: string): boolean {
    const n = this.open.get(address) ?? 0;
    if (n >= this.max) return false;
    this.open.set(address, n + 1);
    return true;
  }

  release(address: string): void {
    const n = (this.open.get(address) ?? 0) - 1;
    if (n > 0) this.open.set(address, n);
    else this.open.delete(address);
  }

  /** Addresses holding at least one socket (metrics, tests). */
  get addresses(): number {
    return this.open.size;
  }
}
