// Operator controls (admin only): the rate slider with its what-if preview, pause/resume,
// queue-all, close, key rotation, stock and revocation. Each shows when every gate process has
// applied the change: a gate reports the event version (and key stamp) it runs with.
import type { LiveSample } from '../live/sample.ts';
import { formatDuration, whatIfFromSample } from '../live/whatif.ts';
import { api, ApiError } from './api.ts';
import { AutopilotPanel } from './autopilot.ts';
import { byId, h, setText } from './dom.ts';

interface Pending {
  label: string;
  kind: 'event' | 'keys';
  target: number;
  since: number;
  doneAt?: number;
}

export class Controls {
  private readonly evt: string;
  private last: LiveSample | null = null;
  private readonly pending = new Map<string, Pending>();
  private sliderTouched = false;
  private readonly pilot: AutopilotPanel;

  constructor(evt: string) {
    this.evt = evt;
    this.pilot = new AutopilotPanel(evt, (fn) => this.run(fn));
  }

  render(): HTMLElement {
    const slider = h('input', { id: 'rate-slider', type: 'range', min: '0', max: '1000', step: '1', oninput: () => this.preview() });
    const num = h('input', { id: 'rate-input', type: 'number', min: '0', step: '1', oninput: () => this.fromNumber() });
    return h(
      'section',
      { class: 'controls', id: 'controls' },
      h('h2', {}, 'Controls'),
      h(
        'div',
        { class: 'control' },
        h('label', { for: 'rate-slider' }, 'Release rate (shoppers/s) '),
        slider,
        num,
        h('button', { id: 'rate-apply', onclick: () => void this.applyRate() }, 'Apply rate'),
        h(
          'div',
          { class: 'whatif', id: 'whatif' },
          h('span', {}, 'What if: last shopper waits ', h('b', { id: 'whatif-wait' }, '–')),
          h('span', {}, ' · line empty in ', h('b', { id: 'whatif-drain' }, '–')),
          h('span', {}, ' · sold out in ', h('b', { id: 'whatif-sellout' }, '–')),
          h('div', { class: 'notes', id: 'whatif-notes' }),
        ),
        this.pilot.render(),
        h('div', { class: 'applied', id: 'status-rate' }),
      ),
      h(
        'div',
        { class: 'control row' },
        h('button', { id: 'pause', onclick: () => void this.act('pause', 'Pause', 'pause') }, 'Pause'),
        h('button', { id: 'resume', onclick: () => void this.act('resume', 'Resume', 'pause') }, 'Resume'),
        h('button', { id: 'queue-all', onclick: () => void this.toggleQueueAll() }, 'Queue all'),
        h('button', { id: 'open', onclick: () => void this.act('open', 'Open now', 'pause') }, 'Open now'),
        h('button', { id: 'close', class: 'danger', onclick: () => void this.close() }, 'Close event'),
        h('button', { id: 'rotate-key', onclick: () => void this.rotate() }, 'Rotate signing key'),
      ),
      h('div', { class: 'applied', id: 'status-pause' }),
      h('div', { class: 'applied', id: 'status-queueall' }),
      h('div', { class: 'applied', id: 'status-close' }),
      h('div', { class: 'applied', id: 'status-keys' }),
      h(
        'div',
        { class: 'control row' },
        h('label', {}, 'Stock: sku '),
        h('select', { id: 'stock-sku' }),
        h('input', { id: 'stock-delta', type: 'number', step: '1', placeholder: '+/- units' }),
        h('button', { id: 'stock-apply', onclick: () => void this.stock() }, 'Adjust stock'),
        h('span', { class: 'applied', id: 'status-stock' }),
      ),
      h(
        'div',
        { class: 'control row' },
        h('label', {}, 'Revoke '),
        h('select', { id: 'revoke-kind' }, h('option', { value: 'jti' }, 'ticket (jti)'), h('option', { value: 'placeId' }, 'place id')),
        h('input', { id: 'revoke-id', placeholder: 'id' }),
        h('button', { id: 'revoke-apply', onclick: () => void this.revoke() }, 'Revoke'),
        h('span', { class: 'applied', id: 'status-revoke' }),
      ),
      h('div', { class: 'error', id: 'control-error', role: 'alert' }),
    );
  }

  update(s: LiveSample): void {
    const first = this.last === null;
    this.last = s;
    const slider = byId<HTMLInputElement>('rate-slider');
    const max = Math.max(1000, Math.ceil(s.cfg.rate * 4));
    if (slider.max !== String(max)) slider.max = String(max);
    if (first || !this.sliderTouched) {
      slider.value = String(s.cfg.rate);
      byId<HTMLInputElement>('rate-input').value = String(s.cfg.rate);
    }
    const sku = byId<HTMLSelectElement>('stock-sku');
    if (sku.options.length !== Object.keys(s.stock).length) {
      sku.replaceChildren(...Object.keys(s.stock).map((k) => h('option', { value: k }, k)));
    }
    byId<HTMLButtonElement>('pause').disabled = !(s.state === 'open' || s.state === 'soldout');
    byId<HTMLButtonElement>('resume').disabled = s.state !== 'paused';
    byId<HTMLButtonElement>('open').disabled = !(s.state === 'scheduled' || s.state === 'prequeue');
    byId<HTMLButtonElement>('close').disabled = s.state === 'closed';
    byId('queue-all').textContent = s.cfg.queueAll ? 'Release (end queue-all)' : 'Queue all';
    this.preview();
    this.pilot.update(s);
    this.trackApplied(s);
  }

  private fromNumber(): void {
    const v = byId<HTMLInputElement>('rate-input').value;
    byId<HTMLInputElement>('rate-slider').value = v;
    this.preview();
  }

  private chosenRate(): number {
    return Number(byId<HTMLInputElement>('rate-slider').value);
  }

  private preview(): void {
    if (!this.last) return;
    const rate = this.chosenRate();
    if (document.activeElement === byId('rate-slider')) {
      byId<HTMLInputElement>('rate-input').value = String(rate);
    }
    this.sliderTouched = rate !== this.last.cfg.rate;
    const w = whatIfFromSample(this.last, rate);
    setText('whatif-wait', formatDuration(w.lastShopperWaitS));
    setText('whatif-drain', formatDuration(w.drainS));
    setText('whatif-sellout', formatDuration(w.sellOutS));
    setText('whatif-notes', w.notes.join('; '));
  }

  private async run(fn: () => Promise<void>): Promise<void> {
    setText('control-error', '');
    try {
      await fn();
    } catch (err) {
      const msg = err instanceof ApiError ? `${err.status}: ${err.message}` : String(err);
      setText('control-error', msg);
    }
  }

  private track(id: string, label: string, kind: Pending['kind'], target: number): void {
    this.pending.set(id, { label, kind, target, since: Date.now() });
    setText(`status-${id}`, `${label}: sent, waiting for the gates…`);
  }

  private trackApplied(s: LiveSample): void {
    const fresh = s.gates.filter((g) => g.fresh);
    for (const [id, p] of this.pending) {
      const el = document.getElementById(`status-${id}`);
      if (p.kind === 'keys' && fresh.length > 0 && fresh.every((g) => g.keys === null)) {
        // Gates reload the keyring on the control message but do not (yet) report which key they use.
        if (el) {
          el.dataset.applied = 'unreported';
          el.textContent = `${p.label}: current in Redis; gate processes do not report the key they sign with`;
        }
        continue;
      }
      const done = fresh.filter((g) => (p.kind === 'event' ? (g.applied ?? 0) >= p.target : (g.keys ?? 0) >= p.target));
      if (p.doneAt === undefined && fresh.length > 0 && done.length === fresh.length) p.doneAt = Date.now();
      if (!el) continue;
      el.dataset.applied = p.doneAt !== undefined ? 'all' : `${done.length}/${fresh.length}`;
      el.textContent =
        p.doneAt !== undefined
          ? `${p.label}: applied by all ${fresh.length} gate process${fresh.length === 1 ? '' : 'es'} (seen ${((p.doneAt - p.since) / 1000).toFixed(1)} s after the change)`
          : `${p.label}: applied by ${done.length} of ${fresh.length} gate processes…`;
    }
  }

  private applyRate(): Promise<void> {
    return this.run(async () => {
      const rate = this.chosenRate();
      const r = await api.patch(this.evt, { rate });
      this.sliderTouched = false;
      this.track('rate', `Rate ${rate}/s`, 'event', r.version);
    });
  }

  private act(action: 'open' | 'pause' | 'resume', label: string, slot: string): Promise<void> {
    return this.run(async () => {
      const r = await api.action(this.evt, action);
      this.track(slot, label, 'event', r.version);
    });
  }

  private toggleQueueAll(): Promise<void> {
    return this.run(async () => {
      const next = !(this.last?.cfg.queueAll ?? false);
      const r = await api.patch(this.evt, { queueAll: next });
      this.track('queueall', next ? 'Queue-all on' : 'Queue-all off', 'event', r.version);
    });
  }

  private close(): Promise<void> {
    if (!window.confirm(`Close ${this.evt}? Nobody waiting will be admitted.`)) return Promise.resolve();
    return this.run(async () => {
      const r = await api.action(this.evt, 'close');
      this.track('close', 'Close', 'event', r.version);
    });
  }

  private rotate(): Promise<void> {
    return this.run(async () => {
      const r = await api.rotateKey();
      this.track('keys', `Key ${r.current}`, 'keys', r.at);
    });
  }

  private stock(): Promise<void> {
    return this.run(async () => {
      const sku = byId<HTMLSelectElement>('stock-sku').value;
      const delta = Number(byId<HTMLInputElement>('stock-delta').value);
      const r = await api.stock(this.evt, sku, delta);
      this.track('stock', `Stock ${sku} ${delta > 0 ? '+' : ''}${delta}`, 'event', r.version);
    });
  }

  private revoke(): Promise<void> {
    return this.run(async () => {
      const kind = byId<HTMLSelectElement>('revoke-kind').value;
      const id = byId<HTMLInputElement>('revoke-id').value.trim();
      await api.revoke(this.evt, { [kind]: id });
      setText('status-revoke', `revoked ${id}`);
    });
  }
}
