// From Redis to sockets. One subscriber per process: the global control channel by classic
// SUBSCRIBE (a cluster delivers it from every node), and each known event's `tick` and `admit`
// channels by sharded SSUBSCRIBE, served by the event's own shard (Redis 7; the same commands
// on a single Redis). A state frame is forwarded with one uWS `publish` per event (C++ fan-out,
// no JS loop over sockets); admitted ids go to ticket delivery; control messages refresh the
// event cache, whose changes are announced at once.
import {
  CloseCode,
  type ControlMessage,
  type EventRecord,
  eventKeys,
  globalKeys,
  type StateFrame,
  type Subscriber,
} from '@sluice/shared';
import type { GateContext } from '../context.ts';
import { leaveMany } from '../queue/join.ts';
import { sendPlaces } from '../queue/ws-join.ts';
import { type Socket, topicOf } from '../queue/sockets.ts';
import { buildFrame, withState } from './frame.ts';

const CHANNEL = /:\{([a-z0-9][a-z0-9-]*)\}:(tick|admit)$/;

/** The per-event sharded channels this process listens to, kept in step with the event cache. */
export class EventChannels {
  private readonly sub: Subscriber;
  private readonly prefix: string;
  private readonly joined = new Set<string>();

  constructor(sub: Subscriber, prefix: string) {
    this.sub = sub;
    this.prefix = prefix;
  }

  /** Listen to `evt`'s tick and admit channels (one SSUBSCRIBE: both share the event's slot). */
  async add(evt: string): Promise<void> {
    if (this.joined.has(evt)) return;
    this.joined.add(evt);
    const k = eventKeys(this.prefix, evt);
    try {
      await this.sub.ssubscribe(k.tickChannel, k.admitChannel);
    } catch (err) {
      this.joined.delete(evt); // the next sync retries
      throw err;
    }
  }

  async remove(evt: string): Promise<void> {
    if (!this.joined.delete(evt)) return;
    const k = eventKeys(this.prefix, evt);
    await this.sub.sunsubscribe(k.tickChannel, k.admitChannel);
  }

  /** Make the subscriptions match `evts` (boot and the 1 s refresh, in case one call failed). */
  async sync(evts: Iterable<string>): Promise<void> {
    const want = new Set(evts);
    await Promise.all([
      ...[...want].map((e) => this.add(e)),
      ...[...this.joined].filter((e) => !want.has(e)).map((e) => this.remove(e)),
    ]);
  }
}

export async function subscribe(g: GateContext, sub: Subscriber, channels: EventChannels): Promise<void> {
  const control = globalKeys(g.prefix).control;
  sub.onMessage((channel: string, message: string) => {
    if (channel === control) {
      revoked(g, message);
      g.events
        .onControl(message)
        .then(() => g.events.report(g.sockets.open, g.now(), g.issuer.keyVersion()))
        .catch((err) => g.log.warn({ err }, 'applying a control message failed'));
      return;
    }
    const m = CHANNEL.exec(channel);
    if (!m) return;
    const evt = m[1]!;
    if (m[2] === 'tick') onFrame(g, evt, message);
    else g.delivery.onAdmitted(evt, message);
  });
  await sub.subscribe(control);
  await channels.sync(g.events.events.keys());
}

/** A `revoke` control message names the place: close its socket here at once. */
function revoked(g: GateContext, message: string): void {
  if (!message.includes('"kind":"revoke"')) return;
  let msg: ControlMessage;
  try {
    msg = JSON.parse(message) as ControlMessage;
  } catch {
    return; // not ours to judge: the event cache ignores it too
  }
  if (typeof msg.id === 'string' && typeof msg.evt === 'string') g.delivery.revoke(msg.evt, msg.id);
}

function onFrame(g: GateContext, evt: string, message: string): void {
  const rec = g.events.get(evt);
  // A frame from a tick that began before an operator change must not undo it on the page.
  if (rec && !message.includes(`"st":"${rec.state}"`)) {
    try {
      message = JSON.stringify(withState(JSON.parse(message) as StateFrame, rec, g.now()));
    } catch {
      return;
    }
  }
  g.frames.set(evt, message);
  g.app.publish(topicOf(evt), message);
  let f: StateFrame;
  try {
    f = JSON.parse(message) as StateFrame;
  } catch (err) {
    // Only the admitter writes this channel; the frame was forwarded as is, the gauges wait.
    g.log.error({ err, evt, frame: message.slice(0, 200) }, 'malformed state frame');
    return;
  }
  g.metrics.queueLength.set({ event: evt }, f.len);
  g.metrics.admissionRate.set({ event: evt }, f.adm);
  if (typeof f.served === 'number') g.recheck.onFrame(evt, f.served, undefined, f.lanes?.map((l) => l.served));
}

/** The event cache saw a new version or state: tell this process's sockets now. */
export function onEventChange(
  g: GateContext,
  evt: string,
  rec: EventRecord | null,
  before: EventRecord | undefined,
): void {
  if (!rec) {
    closeWaiting(g, evt, CloseCode.EVENT_CLOSED, 'the event was removed');
    g.frames.delete(evt);
    return;
  }
  if (
    before &&
    before.state === rec.state &&
    before.config.rate === rec.config.rate &&
    before.config.queueAll === rec.config.queueAll
  ) {
    return;
  }
  const last = g.frames.get(evt);
  const frame = last
    ? withState(JSON.parse(last) as StateFrame, rec, g.now())
    : buildFrame({ rec, served: 0, tail: 0, len: 0, rate: 0, adm: 0, tick: 0, now: g.now() });
  const msg = JSON.stringify(frame);
  g.frames.set(evt, msg);
  g.app.publish(topicOf(evt), msg);
  if (rec.state === 'soldout') closeWaiting(g, evt, CloseCode.SOLD_OUT, 'sold out');
  else if (rec.state === 'closed') closeWaiting(g, evt, CloseCode.EVENT_CLOSED, 'the event is closed');
  else if (before?.state === 'prequeue' && rec.state === 'open') {
    const pre: Socket[] = [];
    for (const ws of g.sockets.byEvent.get(evt)?.values() ?? [])
      if (ws.getUserData().phase === 'prequeue') pre.push(ws);
    sendPlaces(g, evt, pre).catch((err) => g.log.warn({ err, evt }, 'sending places after the start failed'));
  }
}

/**
 * Close every waiting (not admitted) socket of `evt` on this process, once, not per tick, and
 * take their places out of the line: a page that was told "sold out" or "closed" must not lead
 * the line when units come back.
 */
function closeWaiting(g: GateContext, evt: string, code: number, reason: string): void {
  const m = g.sockets.byEvent.get(evt);
  if (!m) return;
  const gone: string[] = [];
  for (const ws of [...m.values()]) {
    const d = ws.getUserData();
    if (d.phase === 'admitted' || d.closed) continue;
    d.left = true; // the place is over; do not mark it absent
    g.sockets.remove(evt, d.placeId, ws);
    gone.push(d.placeId);
    ws.end(code, reason);
  }
  leaveMany(g.redis, g.prefix, evt, gone).catch((err) =>
    g.log.warn({ err, evt, places: gone.length }, 'removing closed places from the line failed'),
  );
}
