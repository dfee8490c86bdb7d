// The live ops console. Logs in with a token (cookie session), then follows one event over
// server-sent events: figures and charts update every second; operators also get the controls.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { LiveSample } from '../live/sample.ts';
import { api, ApiError } from './api.ts';
import { Chart } from './charts.ts';
import { Controls } from './controls.ts';
import { byId, fmt, h, setText } from './dom.ts';
import { LanesPanel } from './lanes.ts';

const app = byId('app');

function loginView(message = ''): void {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'current-password', placeholder: 'admin or viewer token' });
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert' }, message);
  const form = h(
    'form',
    {
      id: 'login',
      onsubmit: (e: Event) => {
        e.preventDefault();
        api
          .login(input.value)
          .then(() => location.reload())
          .catch((err: unknown) => {
            error.textContent = err instanceof ApiError ? err.message : String(err);
          });
      },
    },
    h('h1', {}, 'Sluice console'),
    h('label', { for: 'token' }, 'Token '),
    input,
    h('button', { type: 'submit', id: 'login-submit' }, 'Log in'),
    error,
  );
  app.replaceChildren(form);
  input.focus();
}

const FIGURES: [id: string, label: string][] = [
  ['fig-state', 'State'],
  ['fig-queue', 'Waiting'],
  ['fig-joins', 'Joins/s'],
  ['fig-pow', 'Proof of work (bits)'],
  ['fig-admitted', 'Admitted/s (rate)'],
  ['fig-active', 'Active / maxActive'],
  ['fig-stock', 'Stock left'],
  ['fig-orders', 'Orders/s ok / failed'],
  ['fig-latency', 'Checkout p50 / p99'],
  ['fig-gates', 'Gate processes / sockets'],
];

interface Charts {
  queue: Chart;
  joins: Chart;
  admitted: Chart;
  active: Chart;
  stock: Chart;
  orders: Chart;
  latency: Chart;
  gates: Chart;
}

function consoleView(evt: string, role: 'admin' | 'viewer', events: { id: string; name: string }[]): void {
  const picker = h(
    'select',
    { id: 'event-picker', onchange: (e: Event) => (location.search = `?evt=${(e.target as HTMLSelectElement).value}`) },
    ...events.map((e) => h('option', e.id === evt ? { value: e.id, selected: true } : { value: e.id }, `${e.name} (${e.id})`)),
  );
  const chartBox = (id: string) => h('div', { class: 'chart', id });
  const controls = role === 'admin' ? new Controls(evt) : null;
  const lanes = new LanesPanel(evt, role === 'admin');
  app.replaceChildren(
    h(
      'header',
      {},
      h('h1', {}, 'Sluice console'),
      picker,
      h('span', { class: 'role', id: 'role' }, role),
      h('span', { class: 'conn', id: 'conn' }, 'connecting…'),
      h('button', { id: 'logout', onclick: () => void api.logout().then(() => location.reload()) }, 'Log out'),
    ),
    h(
      'section',
      { class: 'figures' },
      ...FIGURES.map(([id, label]) => h('div', { class: 'figure' }, h('span', {}, label), h('b', { id }, '–'))),
    ),
    h('div', { class: 'applied-line', id: 'applied' }),
    ...(controls ? [controls.render()] : []),
    lanes.render(),
    h(
      'section',
      { class: 'charts' },
      ...['c-queue', 'c-joins', 'c-admitted', 'c-active', 'c-stock', 'c-orders', 'c-latency', 'c-gates'].map(chartBox),
    ),
    h(
      'section',
      { class: 'fairness' },
      h('h2', {}, 'Fairness record'),
      h('p', {}, 'Pre-queue seed hash (committed before anyone joined): ', h('code', { id: 'seed-hash' }, '–')),
      h('p', {}, 'Seed (revealed at the start): ', h('code', { id: 'seed' }, 'not revealed yet')),
      h('p', { class: 'hint' }, 'Check: SHA-256(seed) must equal the hash; the pre-queue order is sorted by SHA-256(seed:placeId).'),
      h('p', {}, 'Public admission log: ', h('span', { id: 'log-head' }, 'no entries yet')),
      h('p', { class: 'hint' }, 'Anyone can check it: npm run verify:admissions -- --event <id> --gate <gate URL>.'),
    ),
    h('section', { class: 'gates' }, h('h2', {}, 'Gate processes'), h('table', { id: 'gates' })),
    h('section', { class: 'audit' }, h('h2', {}, 'Recent changes'), h('ol', { id: 'audit' })),
  );
  const charts: Charts = {
    queue: new Chart(byId('c-queue'), 'Waiting shoppers', 'shoppers'),
    joins: new Chart(byId('c-joins'), 'Joins per second', '/s'),
    admitted: new Chart(byId('c-admitted'), 'Admitted per second vs configured rate', '/s'),
    active: new Chart(byId('c-active'), 'Active shoppers vs maxActive', 'shoppers'),
    stock: new Chart(byId('c-stock'), 'Stock left per product', 'units'),
    orders: new Chart(byId('c-orders'), 'Orders per second', '/s'),
    latency: new Chart(byId('c-latency'), 'Checkout latency', 'ms'),
    gates: new Chart(byId('c-gates'), 'Gate connections per process', 'sockets'),
  };
  follow(evt, charts, controls);
  lanes.start();
  void refreshAudit(evt);
}

let lastVersion = -1;

function follow(evt: string, charts: Charts, controls: Controls | null): void {
  const es = new EventSource(`/v1/events/${encodeURIComponent(evt)}/live`);
  es.addEventListener('open', () => setText('conn', 'live'));
  es.addEventListener('error', () => setText('conn', 'reconnecting…'));
  es.addEventListener('sample', (e) => {
    const s = JSON.parse((e as MessageEvent<string>).data) as LiveSample;
    show(s, charts);
    controls?.update(s);
    if (s.version !== lastVersion) {
      lastVersion = s.version;
      void refreshAudit(evt);
    }
  });
}

function show(s: LiveSample, c: Charts): void {
  const stockLeft = Object.values(s.stock).reduce((a, b) => a + b, 0);
  const ms = (v: number | null | undefined) => (v === null || v === undefined ? null : v * 1000);
  setText('fig-state', `${s.state}${s.cfg.queueAll ? ' · queue-all' : ''} · v${s.version}`);
  setText('fig-queue', fmt(s.queue + s.prequeue));
  setText('fig-joins', fmt(s.joinsPerS, 1));
  const surge = s.cfg.powSurgeJoinsPerS > 0 && s.cfg.powSurgeDifficulty > s.cfg.powDifficulty;
  setText(
    'fig-pow',
    s.pow.surging
      ? `${s.pow.difficulty} · surge (${fmt(s.pow.joinsPerS, 0)} > ${fmt(s.cfg.powSurgeJoinsPerS)} joins/s)`
      : `${s.pow.difficulty}${surge ? ` · ${s.cfg.powSurgeDifficulty} above ${fmt(s.cfg.powSurgeJoinsPerS)} joins/s` : ''}`,
  );
  setText('fig-admitted', `${fmt(s.admittedPerS, 1)} (${fmt(s.cfg.rate)})`);
  setText('fig-active', `${s.active} / ${s.cfg.maxActive}`);
  setText('fig-stock', fmt(stockLeft));
  setText('fig-orders', `${fmt(s.confirmedPerS, 1)} / ${fmt(s.failedPerS, 1)}`);
  setText('fig-latency', s.latency ? `${fmt(ms(s.latency.p50), 1)} / ${fmt(ms(s.latency.p99), 1)} ms` : 'n/a');
  const fresh = s.gates.filter((g) => g.fresh);
  setText('fig-gates', `${fresh.length} / ${fresh.reduce((a, g) => a + g.sockets, 0)}`);
  setText(
    'applied',
    fresh.length === 0
      ? 'No gate process is reporting.'
      : s.appliedAll
        ? `Version ${s.version} applied by all ${fresh.length} gate processes.`
        : `Version ${s.version} applied by ${fresh.filter((g) => (g.applied ?? 0) >= s.version).length} of ${fresh.length} gate processes…`,
  );
  setText('seed-hash', s.seedHash ?? '–');
  setText(
    'log-head',
    s.log ? `${s.log.n} entries, head ${s.log.hash.slice(0, 16)}… signed ${new Date(s.log.at).toLocaleTimeString()}` : 'no entries yet',
  );
  setText('seed', s.seed ?? (Date.now() < s.cfg.startAt ? 'not revealed yet (before the start)' : 'not revealed yet'));

  c.queue.push(s.t, { line: s.queue, 'pre-queue': s.prequeue });
  c.joins.push(s.t, { 'joins/s': s.joinsPerS });
  c.admitted.push(s.t, { 'admitted/s': s.admittedPerS, 'configured rate': s.cfg.queueAll || s.state === 'paused' ? 0 : s.cfg.rate });
  c.active.push(s.t, { active: s.active, maxActive: s.cfg.maxActive });
  c.stock.push(s.t, s.stock);
  c.orders.push(s.t, { confirmed: s.confirmedPerS, failed: s.failedPerS });
  c.latency.push(s.t, { p50: ms(s.latency?.p50), p99: ms(s.latency?.p99) });
  c.gates.push(s.t, Object.fromEntries(s.gates.map((g) => [g.id, g.fresh ? g.sockets : null])));
  renderGates(s);
}

function renderGates(s: LiveSample): void {
  const rows = s.gates.map((g) =>
    h(
      'tr',
      { class: g.fresh ? '' : 'stale' },
      h('td', {}, g.id),
      h('td', {}, String(g.sockets)),
      h('td', {}, g.applied === null ? '–' : `v${g.applied}`),
      h('td', {}, g.applied !== null && g.applied >= s.version ? 'current' : 'behind'),
      h('td', {}, `${Math.max(0, (s.t - g.at) / 1000).toFixed(1)} s ago`),
    ),
  );
  byId('gates').replaceChildren(
    h('tr', {}, ...['process', 'sockets', 'applied', '', 'reported'].map((t) => h('th', {}, t))),
    ...rows,
  );
}

async function refreshAudit(evt: string): Promise<void> {
  try {
    const { entries } = await api.audit(evt);
    byId('audit').replaceChildren(
      ...entries.map((e) =>
        h(
          'li',
          {},
          `${new Date(e.at).toLocaleTimeString()} ${e.actor} ${e.action}${e.status === 'applied' ? '' : ` [${e.status}]`}: ${JSON.stringify(e.before)} → ${JSON.stringify(e.after)}`,
        ),
      ),
    );
  } catch {
    // The audit list is a convenience; the live figures matter more.
  }
}

async function boot(): Promise<void> {
  const session = await api.session();
  if (!session) return loginView();
  const { events } = await api.events();
  if (events.length === 0) {
    app.replaceChildren(h('p', {}, 'No events yet. Create one with POST /v1/events.'));
    return;
  }
  const wanted = new URLSearchParams(location.search).get('evt');
  const evt = events.find((e) => e.id === wanted)?.id ?? events[0]!.id;
  consoleView(evt, session.role, events);
}

boot().catch((err: unknown) => {
  app.replaceChildren(h('p', { class: 'error' }, `Console failed to start: ${String(err)}`));
});
