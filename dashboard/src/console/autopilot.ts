// The autopilot beside the what-if preview: whether it steers the rate, its bounds, and its last
// decision with the reason (the same text the audit log keeps). Switching it on or off and
// setting the bounds is an ordinary event change; a manual rate change switches it off.
import type { LiveSample } from '../live/sample.ts';
import { api } from './api.ts';
import { byId, h, setText } from './dom.ts';

const ARROW = { down: '↓', up: '↑', hold: '=' } as const;

export class AutopilotPanel {
  private readonly evt: string;
  private readonly run: (fn: () => Promise<void>) => Promise<void>;
  private on = false;
  private seeded = false;

  constructor(evt: string, run: (fn: () => Promise<void>) => Promise<void>) {
    this.evt = evt;
    this.run = run;
  }

  render(): HTMLElement {
    const bound = (id: string, label: string) =>
      h('label', {}, ` ${label} `, h('input', { id, type: 'number', min: '0', step: '1', class: 'small' }));
    return h(
      'div',
      { class: 'autopilot', id: 'autopilot' },
      h('span', {}, 'Autopilot: ', h('b', { id: 'autopilot-state' }, '–')),
      bound('autopilot-floor', 'floor'),
      bound('autopilot-ceiling', 'ceiling'),
      bound('autopilot-step', 'step'),
      h('button', { id: 'autopilot-toggle', onclick: () => void this.toggle() }, 'Switch on'),
      h('div', { class: 'notes', id: 'autopilot-last' }),
    );
  }

  update(s: LiveSample): void {
    const a = s.autopilot;
    this.on = a.enabled;
    setText('autopilot-state', a.enabled ? `on, ${a.floor}–${a.ceiling}/s, step ${a.maxStep}` : 'off');
    byId('autopilot-toggle').textContent = a.enabled ? 'Switch off' : 'Switch on';
    if (!this.seeded) {
      byId<HTMLInputElement>('autopilot-floor').value = String(a.floor);
      byId<HTMLInputElement>('autopilot-ceiling').value = String(a.ceiling);
      byId<HTMLInputElement>('autopilot-step').value = String(a.maxStep);
      this.seeded = true;
    }
    const l = a.last;
    setText(
      'autopilot-last',
      l ? `last decision ${new Date(l.at).toLocaleTimeString()}: ${ARROW[l.direction]} ${l.from} → ${l.to}/s: ${l.reason}` : 'no decision yet',
    );
  }

  private toggle(): Promise<void> {
    return this.run(async () => {
      const val = (id: string) => Number(byId<HTMLInputElement>(id).value);
      const autopilot = this.on
        ? { enabled: false }
        : { enabled: true, floor: val('autopilot-floor'), ceiling: val('autopilot-ceiling'), maxStep: val('autopilot-step') };
      await api.patch(this.evt, { autopilot });
    });
  }
}
