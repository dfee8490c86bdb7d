// What the queue page's connection keeps between its two channels (WebSocket in client.ts, HTTP
// polling in poll.ts): the place it holds, the retry timers and backoff, the join fields, and
// what a welcome, an admission or a failed request does. It holds no view state of its own.
import { GatePaths } from '@sluice/shared/protocol/http.ts';
import type { JoinMsg, StateFrame, WelcomeMsg } from '@sluice/shared/protocol/ws.ts';
import { backoffDelay } from './backoff.ts';
import type { PageConfig } from './config.ts';
import { ensureKey } from './dpop.ts';
import { getJson, HttpError } from './http-json.ts';
import type { Action, ErrorKey } from './model.ts';
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

export abstract class ClientCore {
  protected readonly d: ClientDeps;
  protected readonly cid: string;
  protected readonly random: () => number;
  protected ws: WebSocket | null = null;
  protected wsEverOpened = false;
  protected wsFailures = 0;
  protected attempt = 0;
  protected polling = false;
  protected stopped = false;
  protected timer: ReturnType<typeof setTimeout> | undefined;
  /** While polling: the next WebSocket try, and how many have failed. */
  protected wsRetryTimer: ReturnType<typeof setTimeout> | undefined;
  protected wsRetries = 0;
  protected ping: ReturnType<typeof setInterval> | undefined;
  protected returnUrl: string | null = null;
  protected powDifficulty = 0;
  protected bindTickets = false;
  /** When the queue opens (pre-queue time), to wait for it without hammering the gate. */
  protected opensAt = 0;

  constructor(deps: ClientDeps) {
    this.d = deps;
    this.random = deps.random ?? Math.random;
    this.cid = clientId(deps.local, deps.randomBytes ?? ((n) => crypto.getRandomValues(new Uint8Array(n))));
  }

  protected url(path: string): string {
    return this.d.config.gate + path;
  }

  protected clearTimers(): void {
    clearTimeout(this.timer);
    clearTimeout(this.wsRetryTimer);
    clearInterval(this.ping);
  }

  protected later(f: () => void, ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(f, ms);
  }

  protected nextDelay(extra = 0): number {
    return backoffDelay(this.attempt++ + extra, this.random());
  }

  /**
   * The join fields: client id, the place token to resume or else a proof-of-work, and the
   * public key the ticket is bound to when the event binds tickets (the storefront's, handed
   * over by the drop-in, else this page's own).
   */
  protected async joinFields(): Promise<Omit<JoinMsg, 't'>> {
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
  protected untilOpen(): number {
    const wait = this.opensAt - Date.now();
    return wait > 0 ? Math.min(60_000, wait + Math.round(this.random() * 1000)) : this.nextDelay();
  }

  protected welcome(msg: WelcomeMsg): void {
    savePlace(this.d.session, this.d.config.event, {
      place: msg.place,
      placeId: msg.placeId,
      score: msg.score,
    });
    this.d.dispatch({ t: 'link', link: this.polling ? 'polling' : 'ok' });
    this.d.dispatch({ t: 'welcome', msg });
  }

  protected admitted(ticket: string, exp: number): void {
    this.stopped = true;
    this.clearTimers();
    this.d.dispatch({ t: 'admitted', ticket, exp });
    this.ws?.close(1000);
    // The place token has done its job; a later visit joins afresh.
    forgetPlace(this.d.session, this.d.config.event);
    if (this.returnUrl) this.d.onAdmitted(ticket, this.returnUrl);
  }

  protected fail(key: ErrorKey): void {
    this.stopped = true;
    this.clearTimers();
    this.ws?.close(1000);
    this.d.dispatch({ t: 'error', key, final: true });
  }

  protected getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
    return getJson<T>(this.url(path), init);
  }

  /**
   * Classify a failed request. A CORS refusal and a network failure look the same to fetch (a
   * TypeError); a no-cors probe of the event tells them apart: if the gate answers it, the gate is
   * reachable and refused this page's origin.
   */
  protected async failed(err: unknown): Promise<void> {
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
}
