// The page's connection to the gate: a WebSocket with jittered reconnects and the place token,
// falling back to polling the HTTP endpoints when a WebSocket cannot be opened. Everything it
// learns goes to `dispatch` as model actions; it holds no view state of its own.
import { GatePaths, PLACE_HEADER, type PublicEventInfo } from '@sluice/shared/protocol/http.ts';
import type { ClientMessage, ServerMessage } from '@sluice/shared/protocol/ws.ts';
import { EVENT_STATES, wsPath } from '@sluice/shared/protocol/ws.ts';
import { backoffDelay } from './backoff.ts';
import { decideClose } from './close-policy.ts';
import { chooseReturnUrl, wsBase } from './config.ts';
import { PollingClient } from './poll.ts';
import { forgetPlace, loadPlace, savePlace } from './storage.ts';

export type { ClientDeps } from './client-core.ts';

/** WebSocket attempts that fail before ever opening, after which the page polls instead. */
const WS_FAILURES_BEFORE_POLLING = 2;
/** While polling, a WebSocket is tried again after a jittered backoff from this base (a network
 * that blocked upgrades for a while gets the page back onto the cheaper push channel). */
const WS_RETRY_BASE_MS = 5_000;
const WS_RETRY_MAX_MS = 120_000;
const PING_MS = 30_000;

export class QueueClient extends PollingClient {
  /** Learn the event, then connect. */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      const info = await this.getJson<PublicEventInfo>(GatePaths.event(this.d.config.event));
      this.returnUrl = chooseReturnUrl(this.d.config.returnUrl, info);
      if (!this.returnUrl) {
        // The gate named no http(s) return URL (e.g. `javascript:`): never hand a ticket to it.
        this.stopped = true;
        this.d.dispatch({ t: 'error', key: 'errConfig', final: true });
        return;
      }
      this.powDifficulty = info.powDifficulty;
      this.bindTickets = info.bindTickets === true;
      this.opensAt = info.prequeueAt;
      const state = EVENT_STATES.find((st) => st === info.state);
      if (state) this.d.dispatch({ t: 'info', state, startAt: info.startAt });
    } catch (err) {
      await this.failed(err);
      if (!this.stopped) this.later(() => this.start(), this.nextDelay());
      return;
    }
    this.connect();
  }

  /** Give the place up (the visible "leave the queue" button). */
  async leave(): Promise<void> {
    const saved = loadPlace(this.d.session, this.d.config.event);
    this.stopped = true;
    this.clearTimers();
    forgetPlace(this.d.session, this.d.config.event);
    this.d.dispatch({ t: 'left' });
    if (this.ws && this.ws.readyState === 1) {
      this.send({ t: 'leave' });
      // The gate answers by closing with LEFT; do not keep a half-closed socket around.
      const ws = this.ws;
      setTimeout(() => ws.close(1000), 2000);
      return;
    }
    this.ws?.close(1000);
    if (saved) {
      await fetch(this.url(GatePaths.leave(this.d.config.event)), {
        method: 'POST',
        headers: { [PLACE_HEADER]: saved.place },
      }).catch((err: unknown) => {
        // Leaving is a courtesy: the place is dropped anyway once its grace period passes.
        console.warn('sluice: leave request failed', err);
      });
    }
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.ws?.close(1000);
  }

  /** While polling, try a WebSocket again later; polling goes on until one opens. */
  private scheduleWsRetry(): void {
    if (!this.d.WebSocket || this.stopped) return;
    clearTimeout(this.wsRetryTimer);
    const delay = backoffDelay(this.wsRetries++, this.random(), {
      baseMs: WS_RETRY_BASE_MS,
      minMs: WS_RETRY_BASE_MS / 2,
      maxMs: WS_RETRY_MAX_MS,
    });
    this.wsRetryTimer = setTimeout(() => !this.stopped && this.polling && this.openSocket(true), delay);
  }

  private connect(): void {
    if (this.stopped) return;
    if (this.polling || !this.d.WebSocket) {
      this.polling = true;
      this.d.dispatch({ t: 'link', link: 'polling' });
      this.scheduleWsRetry();
      void this.pollJoin();
      return;
    }
    this.openSocket(false);
  }

  /** Open a WebSocket. A `retry` is made while polling, which goes on until the socket opens
   * (then stops: the socket resumes the place with its token) or fails (then retry later). */
  private openSocket(retry: boolean): void {
    const WS = this.d.WebSocket!;
    let opened = false;
    let ws: WebSocket;
    try {
      ws = new WS(wsBase(this.d.config.gate) + wsPath(this.d.config.event));
    } catch {
      // The constructor refused (bad URL, blocked scheme): poll, and try again later.
      if (retry) {
        this.scheduleWsRetry();
        return;
      }
      this.polling = true;
      this.connect();
      return;
    }
    if (!retry) this.ws = ws;
    ws.onopen = () => {
      opened = true;
      if (retry) {
        if (this.stopped || !this.polling) {
          ws.close(1000);
          return;
        }
        // Back on WebSockets: stop polling; the join below resumes the place.
        this.polling = false;
        clearTimeout(this.timer);
        this.wsRetries = 0;
        this.wsFailures = 0;
        this.attempt = 0;
        this.ws = ws;
      }
      this.wsEverOpened = true;
      this.joinFields().then(
        (fields) => this.send({ t: 'join', ...fields }),
        () => ws.close(1000),
      );
      clearInterval(this.ping);
      this.ping = setInterval(() => this.send({ t: 'ping' }), PING_MS);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      this.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (retry && !opened) {
        // Still blocked: polling never stopped; try again after a longer wait.
        if (!this.stopped && this.polling) this.scheduleWsRetry();
        return;
      }
      clearInterval(this.ping);
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      if (!opened) {
        this.wsFailures++;
        if (!this.wsEverOpened && this.wsFailures >= WS_FAILURES_BEFORE_POLLING) {
          this.polling = true;
          this.attempt = 0;
          this.wsRetries = 0;
          this.connect();
          return;
        }
      }
      this.onClose(ev.code);
    };
  }

  private send(m: ClientMessage): void {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(m));
  }

  private onMessage(msg: ServerMessage): void {
    switch (msg.t) {
      case 'welcome':
        this.attempt = 0;
        this.welcome(msg);
        break;
      case 'state':
        this.d.dispatch({ t: 'link', link: 'ok' });
        this.d.dispatch({ t: 'state', frame: msg, localNow: Date.now() });
        break;
      case 'place': {
        const saved = loadPlace(this.d.session, this.d.config.event);
        if (saved) savePlace(this.d.session, this.d.config.event, { ...saved, score: msg.score });
        this.d.dispatch({ t: 'place', score: msg.score, lane: msg.lane });
        break;
      }
      case 'admitted':
        this.admitted(msg.ticket, msg.exp);
        break;
      case 'error':
        if (msg.code === 'ORIGIN_FORBIDDEN') this.fail('errOrigin');
        else if (msg.code === 'UNKNOWN_EVENT') this.fail('errUnknownEvent');
        else if (msg.code === 'RATE_LIMITED')
          this.d.dispatch({ t: 'error', key: 'errRateLimited', final: false });
        break;
      default:
        break;
    }
  }

  private onClose(code: number): void {
    const decision = decideClose(code);
    switch (decision.do) {
      case 'reconnect':
        this.d.dispatch({ t: 'link', link: 'reconnecting' });
        this.later(() => this.connect(), this.nextDelay());
        return;
      case 'rejoin':
        forgetPlace(this.d.session, this.d.config.event);
        this.later(() => this.connect(), this.nextDelay());
        return;
      case 'not-open':
        this.later(() => this.connect(), this.untilOpen());
        return;
      case 'slow-down':
        this.d.dispatch({ t: 'error', key: 'errRateLimited', final: false });
        this.later(() => this.connect(), this.nextDelay(3));
        return;
      case 'left':
        this.stopped = true;
        forgetPlace(this.d.session, this.d.config.event);
        this.d.dispatch({ t: 'left' });
        return;
      case 'final':
        this.stopped = true;
        forgetPlace(this.d.session, this.d.config.event);
        this.d.dispatch({ t: 'final', screen: decision.screen });
        return;
      case 'fail':
        this.fail(decision.key);
        return;
    }
  }
}
