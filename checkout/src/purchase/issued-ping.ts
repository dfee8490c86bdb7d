// The door's barrier on a single Redis: one PING on the subscriber connection (Redis answers it
// after every message it sent that connection before), shared by every request waiting meanwhile.
// PINGs are spaced by at least `spacingMs`: under a junk flood the requests arriving while one is
// out, or soon after, share the next (a PING per event-loop turn cost more than the rest of a
// refusal), and each still waits for a PING sent after it came.
import type { Subscriber } from '@sluice/shared';

type Waiter = (ok: boolean) => void;

export class PingBarrier {
  private waiting: Waiter[] = [];
  private pinging = false;
  /** When the last PING was sent (performance.now()), and the timer of the next one. */
  private pingedAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private readonly sub: Subscriber;
  private readonly o: { timeoutMs: number; maxWaiting: number; spacingMs: number; epoch: () => number };

  constructor(sub: Subscriber, o: PingBarrier['o']) {
    this.sub = sub;
    this.o = o;
  }

  /** `done(true)` after a PING sent from now on is answered; `done(false)` when that cannot be known. */
  wait(done: Waiter): void {
    if (this.waiting.length >= this.o.maxWaiting) {
      done(false);
      return;
    }
    this.waiting.push(done);
    if (!this.pinging) this.schedule();
  }

  /** The next PING now, or once spacingMs has passed since the last one. */
  private schedule(): void {
    if (this.timer) return;
    const wait = this.pingedAt + this.o.spacingMs - performance.now();
    if (wait <= 0) {
      this.ping();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.pinging && this.waiting.length) this.ping();
    }, wait);
  }

  private ping(): void {
    this.pinging = true;
    this.pingedAt = performance.now();
    const batch = this.waiting;
    this.waiting = [];
    const epoch = this.o.epoch();
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A connection lost meanwhile (epoch moved) may have lost messages: not a barrier.
      const good = ok && epoch === this.o.epoch();
      for (const w of batch) w(good);
      this.pinging = false;
      if (this.waiting.length) this.schedule();
    };
    const timer = setTimeout(() => settle(false), this.o.timeoutMs);
    this.sub.client.ping().then(
      () => settle(true),
      () => settle(false), // the held requests take the full path
    );
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.waiting.splice(0)) w(false);
  }
}
