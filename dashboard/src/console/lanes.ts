// The lanes of an event on the console: each lane's access, share, shoppers waiting, how far
// admission has reached in it, and its access-code / invite counters (GET /v1/events/:id/lanes,
// polled every 2 s while the event has lanes). Admins can upload or revoke codes (one per line,
// at most 1,000 per request); the codes go to the API and are not kept on the page.
import { api, ApiError, type LaneRow } from './api.ts';
import { byId, fmt, h, setText } from './dom.ts';

const POLL_MS = 2000;

export class LanesPanel {
  private readonly evt: string;
  private readonly admin: boolean;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(evt: string, admin: boolean) {
    this.evt = evt;
    this.admin = admin;
  }

  render(): HTMLElement {
    const form = this.admin
      ? h(
          'div',
          { class: 'lane-codes' },
          h('label', {}, 'Lane ', h('select', { id: 'lane-pick' })),
          h('textarea', { id: 'lane-codes', rows: '3', placeholder: 'access codes, one per line (at most 1,000)' }),
          h('button', { id: 'lane-upload', onclick: () => void this.codes('add') }, 'Upload codes'),
          h('button', { id: 'lane-revoke', onclick: () => void this.codes('revoke') }, 'Revoke codes'),
          h('span', { class: 'notes', id: 'lane-result' }),
        )
      : h('span');
    return h(
      'section',
      { class: 'lanes', id: 'lanes', hidden: true },
      h('h2', {}, 'Lanes ', h('span', { class: 'hint', id: 'lane-mode' })),
      h('table', { id: 'lanes-table' }),
      form,
    );
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), POLL_MS);
  }

  private async refresh(): Promise<void> {
    let r: { mode: string; lanes: LaneRow[] };
    try {
      r = await api.lanes(this.evt);
    } catch {
      return; // the next poll retries; the live stream shows the connection state
    }
    byId('lanes').hidden = r.lanes.length === 0;
    if (r.lanes.length === 0) {
      clearInterval(this.timer);
      return;
    }
    setText('lane-mode', r.mode === 'strict' ? '(strict order)' : '(release split by share)');
    const head = h('tr', {}, ...['lane', 'access', 'share', 'waiting', 'admitted up to', 'numbers given', 'codes left', 'used', 'revoked', 'invites used', 'refused'].map((t) => h('th', {}, t)));
    const rows = r.lanes.map((l) =>
      h(
        'tr',
        { 'data-lane': l.id },
        ...[l.id, l.access, String(l.share), fmt(l.waiting), fmt(l.served), fmt(l.tail), fmt(l.left), fmt(l.used), fmt(l.revoked), fmt(l.invitesUsed), fmt(l.refused)].map(
          (t) => h('td', {}, t),
        ),
      ),
    );
    byId('lanes-table').replaceChildren(head, ...rows);
    if (this.admin) {
      const pick = byId<HTMLSelectElement>('lane-pick');
      const codeLanes = r.lanes.filter((l) => l.access === 'code').map((l) => l.id);
      if (pick.options.length !== codeLanes.length) pick.replaceChildren(...codeLanes.map((id) => h('option', { value: id }, id)));
    }
  }

  private async codes(kind: 'add' | 'revoke'): Promise<void> {
    const lane = byId<HTMLSelectElement>('lane-pick').value;
    const box = byId<HTMLTextAreaElement>('lane-codes');
    const codes = box.value.split(/\s+/).filter(Boolean);
    if (!lane || codes.length === 0) return;
    try {
      const r = kind === 'add' ? await api.addCodes(this.evt, lane, codes) : await api.revokeCodes(this.evt, lane, codes);
      setText('lane-result', kind === 'add' ? `${lane}: ${r.added} added, ${r.duplicates} already known` : `${lane}: ${r.revoked} revoked, ${r.unchanged} unchanged`);
      box.value = '';
      await this.refresh();
    } catch (err) {
      setText('lane-result', err instanceof ApiError ? `${err.status}: ${err.message}` : String(err));
    }
  }
}
