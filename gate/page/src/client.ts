// The page's connection to the gate: a WebSocket with jittered reconnects and the place token,
// falling back to polling the HTTP endpoints when a WebSocket cannot be opened. Everything it
// learns goes to `dispatch` as model actions; it holds no view state of its own.
import {
  GatePaths,
  PLACE_HEADER,
  type PlaceStatus,
  type PublicEventInfo,
} from '@sluice/shared/protocol/http.ts';
import type {
  ClientMessage,
  JoinMsg,
  ServerMessage,
  StateFrame,
  WelcomeMsg,
} from '@sluice/shared/protocol/ws.ts';
import { EVENT_STATES, wsPath } from '@sluice/shared/protocol/ws.ts';
import { backoffDelay, pollDelay } from './backoff.ts';
import { decideClose } from './close-policy.ts';
import { chooseReturnUrl, type PageConfig, wsBase } from './config.ts';
import type { Action, ErrorKey } from './model.ts';
import { ensureKey } from './dpop.ts';
import { getJson, HttpError } from './http-json.ts';
import { solvePow } from './pow.ts';
import { clientId, forgetPlace, loadPlace, savePlace } from './storage.ts';

export interface ClientDeps {
  config: PageConfig;
  dispatch(a: Action): void;
  onAdmitted(ticket: string, returnUrl: string): void;
  session?: Storage;
  local?: Storage;
  WebSocket?: typeof WebSocket;
  random?: () => number;
  randomBytes?: (n: number) => Uint8Array;
  /** Polling period, ms (the status endpoint is cacheable for a second). */
  pollMs?: number;
}

/** WebSocket attempts that fail before ever opening, after which the page polls instead. */
const WS_FAILURES_BEFORE_POLLING = 2;
/** While polling, a WebSocket is tried again after a jittered backoff from this base (a network
 * that blocked upgrades for a while gets the page back onto the cheaper push channel). */
const WS_RETRY_BASE_MS = 5_000;
const WS_RETRY_MAX_MS = 120_000;
const PING_MS = 30_000;

export class QueueClient {
  private readonly d: ClientDeps;
  private readonly cid: string;
  private readonly random: () => number;
  private ws: WebSocket | null = null;
  private wsEverOpened = false;
  private wsFailures = 0;
  private attempt = 0;
  private polling = false;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** While polling: the next WebSocket try, and how many have failed. */
  private wsRetryTimer: ReturnType<typeof setTimeout> | undefined;
  private wsRetries = 0;
  private ping: ReturnType<typeof setInterval> | undefined;
  private returnUrl: string | null = null;
  private powDifficulty = 0;
  private bindTickets = false;
  /** When the queue opens (pre-queue time), to wait for it without hammering the gate. */
  private opensAt = 0;

  constructor(deps: ClientDeps) {
    this.d = deps;
    this.random = deps.random ?? Math.random;
    this.cid = clientId(deps.local, deps.randomBytes ?? ((n) => crypto.getRandomValues(new Uint8Array(n))));
  }

  private url(path: string): string {
    return this.d.config.gate + path;
  }

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

  private clearTimers(): void {
    clearTimeout(this.timer);
    clearTimeout(this.wsRetryTimer);
    clearInterval(this.ping);
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

  private later(f: () => void, ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(f, ms);
  }

  private nextDelay(extra = 0): number {
    return backoffDelay(this.attempt++ + extra, this.random());
  }

  /**
   * The join fields: client id, the place token to resume or else a proof-of-work, and the
   * public key the ticket is bound to when the event binds tickets (the storefront's, handed
   * over by the drop-in, else this page's own).
   */
  private async joinFields(): Promise<Omit<JoinMsg, 't'>> {
    const key = this.bindTickets
      ? { jwk: this.d.config.key ?? (await ensureKey(this.d.config.event)).jwk }
      : {};
    const saved = loadPlace(this.d.session, this.d.config.event);
    if (saved) return { cid: this.cid, place: saved.place, ...key };
    // Events with lanes: the lane asked for and its credential (only a new place spends it).
    const { lane, code, invite } = this.d.config;
    Object.assign(key, lane ? { lane } : {}, code ? { code } : {}, invite ? { invite } : {});
    // Fetched even when the event's base difficulty is 0: a surge of joins may raise it. The
    // challenge is bound to this cid (and address), and good for one join.
    const c = await this.getJson<{ challenge: string; difficulty: number }>(
      `${GatePaths.challenge(this.d.config.event)}?cid=${encodeURIComponent(this.cid)}`,
    );
    if (c.difficulty <= 0 && this.powDifficulty <= 0) return { cid: this.cid, ...key };
    return {
      cid: this.cid,
      pow: { challenge: c.challenge, nonce: await solvePow(c.challenge, c.difficulty) },
      ...key,
    };
  }

  /** Before the queue opens: come back at the opening time (jittered), or after the backoff. */
  private untilOpen(): number {
    const wait = this.opensAt - Date.now();
    return wait > 0 ? Math.min(60_000, wait + Math.round(this.random() * 1000)) : this.nextDelay();
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

  private welcome(msg: WelcomeMsg): void {
    savePlace(this.d.session, this.d.config.event, {
      place: msg.place,
      placeId: msg.placeId,
      score: msg.score,
    });
    this.d.dispatch({ t: 'link', link: this.polling ? 'polling' : 'ok' });
    this.d.dispatch({ t: 'welcome', msg });
  }

  private admitted(ticket: string, exp: number): void {
    this.stopped = true;
    this.clearTimers();
    this.d.dispatch({ t: 'admitted', ticket, exp });
    this.ws?.close(1000);
    // The place token has done its job; a later visit joins afresh.
    forgetPlace(this.d.session, this.d.config.event);
    if (this.returnUrl) this.d.onAdmitted(ticket, this.returnUrl);
  }

  private fail(key: ErrorKey): void {
    this.stopped = true;
    this.clearTimers();
    this.ws?.close(1000);
    this.d.dispatch({ t: 'error', key, final: true });
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

  // ---- HTTP fallback -------------------------------------------------------------------------

  private getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
    return getJson<T>(this.url(path), init);
  }

  /**
   * Classify a failed request. A CORS refusal and a network failure look the same to fetch (a
   * TypeError); a no-cors probe of the event tells them apart: if the gate answers it, the gate is
   * reachable and refused this page's origin.
   */
  private async failed(err: unknown): Promise<void> {
    if (err instanceof HttpError) {
      if (err.code === 'UNKNOWN_EVENT') return this.fail('errUnknownEvent');
      if (err.code === 'ORIGIN_FORBIDDEN') return this.fail('errOrigin');
      if (err.code === 'ACCESS_REFUSED') return this.fail('errAccess');
      if (err.code === 'UNKNOWN_LANE') return this.fail('errLane');
      if (err.status === 429) return this.d.dispatch({ t: 'error', key: 'errRateLimited', final: false });
      if (err.code === 'SOLD_OUT') return this.d.dispatch({ t: 'final', screen: 'soldout' });
      if (err.code === 'FORBIDDEN') return; // proof-of-work refused: the retry fetches a new challenge
      if (err.code === 'EVENT_NOT_OPEN') {
        // Not open yet, or closed for good: the status frame says which.
        const f = await this.getJson<StateFrame>(GatePaths.status(this.d.config.event)).catch(() => null);
        if (f?.st === 'closed') return this.d.dispatch({ t: 'final', screen: 'closed' });
        if (f) this.d.dispatch({ t: 'state', frame: f, localNow: Date.now() });
        return;
      }
      return this.d.dispatch({ t: 'error', key: 'errGeneric', final: false });
    }
    try {
      await fetch(this.url(GatePaths.event(this.d.config.event)), { mode: 'no-cors', cache: 'no-store' });
      return this.fail('errOrigin');
    } catch {
      this.d.dispatch({ t: 'link', link: 'reconnecting' });
    }
  }

  private async pollJoin(): Promise<void> {
    if (this.stopped || !this.polling) return;
    const saved = loadPlace(this.d.session, this.d.config.event);
    try {
      const msg = await this.getJson<WelcomeMsg>(GatePaths.join(this.d.config.event), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(await this.joinFields()),
      });
      this.attempt = 0;
      this.welcome(msg);
    } catch (err) {
      if (
        err instanceof HttpError &&
        saved &&
        (err.status === 400 || err.status === 401 || err.status === 410)
      ) {
        forgetPlace(this.d.session, this.d.config.event); // the token is no good: join afresh
      } else {
        await this.failed(err);
      }
      const notOpen = err instanceof HttpError && err.code === 'EVENT_NOT_OPEN';
      if (!this.stopped)
        this.later(() => void this.pollJoin(), notOpen ? this.untilOpen() : this.nextDelay());
      return;
    }
    void this.pollTick();
  }

  private async pollTick(): Promise<void> {
    if (this.stopped || !this.polling) return;
    const saved = loadPlace(this.d.session, this.d.config.event);
    if (!saved) return void this.pollJoin();
    try {
      const [place, frame] = await Promise.all([
        this.getJson<PlaceStatus>(GatePaths.place(this.d.config.event), {
          headers: { [PLACE_HEADER]: saved.place },
        }),
        this.getJson<StateFrame>(GatePaths.status(this.d.config.event)),
      ]);
      if (!this.polling) return; // a WebSocket took over while this request was in flight
      this.attempt = 0;
      this.d.dispatch({ t: 'link', link: 'polling' });
      this.d.dispatch({ t: 'state', frame, localNow: Date.now() });
      if (place.ticket && place.exp !== undefined) return this.admitted(place.ticket, place.exp);
      if (place.score !== null && place.score !== saved.score) {
        savePlace(this.d.session, this.d.config.event, { ...saved, score: place.score });
        this.d.dispatch({ t: 'place', score: place.score });
      }
      if (frame.st === 'soldout' || frame.st === 'closed') {
        this.stopped = true;
        forgetPlace(this.d.session, this.d.config.event);
        this.d.dispatch({ t: 'final', screen: frame.st });
        return;
      }
    } catch (err) {
      if (err instanceof HttpError && (err.status === 400 || err.status === 404 || err.status === 410)) {
        forgetPlace(this.d.session, this.d.config.event); // place dropped: join afresh
        this.later(() => void this.pollJoin(), this.nextDelay());
        return;
      }
      await this.failed(err);
      if (!this.stopped) this.later(() => void this.pollTick(), this.nextDelay());
      return;
    }
    this.later(() => void this.pollTick(), pollDelay(this.d.pollMs ?? 2000, this.random()));
  }
}
