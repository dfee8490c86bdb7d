// The queue page's HTTP fallback, for networks that block WebSockets: join with POST, then
// poll the place and the event's status frame until admitted, sold out or closed.
import { GatePaths, PLACE_HEADER, type PlaceStatus } from '@sluice/shared/protocol/http.ts';
import type { StateFrame, WelcomeMsg } from '@sluice/shared/protocol/ws.ts';
import { pollDelay } from './backoff.ts';
import { ClientCore } from './client-core.ts';
import { HttpError } from './http-json.ts';
import { forgetPlace, loadPlace, savePlace } from './storage.ts';

export abstract class PollingClient extends ClientCore {
  protected async pollJoin(): Promise<void> {
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

  protected async pollTick(): Promise<void> {
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
