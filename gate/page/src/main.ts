// Queue page entry: read the configuration, run the client, paint the model. All decisions live
// in the pure modules (model, view, close-policy, config); this file only touches the DOM.
import { QueueClient } from './client.ts';
import { readConfig } from './config.ts';
import { type Handoff, handoff, performHandoff } from './handoff.ts';
import { type Action, initialModel, type Model, reduce } from './model.ts';
import { fmt, pickLanguage, stringsFor } from './strings.ts';
import { type Announced, announcement, render, type View } from './view.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

function storage(kind: 'sessionStorage' | 'localStorage'): Storage | undefined {
  try {
    return window[kind];
  } catch {
    return undefined;
  }
}

const root = $('sluice');
const cfg = readConfig(location.search, { ...root.dataset }, location.origin);
const lang = pickLanguage(cfg.ok ? cfg.config.lang : null, navigator.languages ?? [navigator.language]);
const s = stringsFor(lang);
const nf = new Intl.NumberFormat(lang);
document.documentElement.lang = lang;

$('countdown-label').textContent = s.countdownLabel;
$('ahead-label').textContent = s.aheadLabel;
$('wait-label').textContent = s.waitLabel;
$('progress-label').textContent = s.progressLabel;
$('progress').setAttribute('aria-label', s.progressLabel);
$('leave').textContent = s.leave;
$('rejoin').textContent = s.rejoin;
$('continue').textContent = s.admittedLink;

let model: Model = initialModel;
let lastView: View | null = null;
let announced: Announced | null = null;
let pendingHandoff: Handoff | null = null;

function show(id: string, on: boolean): void {
  $(id).hidden = !on;
}

function paint(): void {
  const now = Date.now();
  const v = render(model, now, s, (n) => nf.format(n));
  document.title = fmt(s.docTitle, { event: cfg.ok ? cfg.config.event : '' });
  root.dataset.screen = v.screen;
  if (model.placeId) root.dataset.placeId = model.placeId;
  if (model.score !== null) root.dataset.score = String(model.score);
  $('title').textContent = v.title;
  $('body').textContent = v.body ?? '';
  show('notice', v.notice !== null);
  $('notice').textContent = v.notice ?? '';
  show('countdown-box', v.countdown !== null);
  $('countdown').textContent = v.countdown ?? '';
  show('stats', v.ahead !== null);
  $('ahead').textContent = v.ahead ?? '';
  $('wait').textContent = v.wait ?? '';
  $('wait').dataset.seconds = v.waitS === null ? '' : String(v.waitS);
  show('progress-box', v.progress !== null);
  const pct = Math.round((v.progress ?? 0) * 100);
  const bar = $('progress');
  bar.setAttribute('aria-valuenow', String(pct));
  bar.setAttribute('aria-valuetext', `${pct} %`);
  $('progress-fill').style.width = `${pct}%`;
  show('leave', v.showLeave);
  show('rejoin', v.showRejoin);
  show('continue', v.screen === 'admitted' && pendingHandoff !== null);

  const say = announcement(v, announced, lastView?.screen ?? null, now, s);
  if (say) {
    $('live').textContent = say;
    announced = { at: now, text: say };
  }
  // On a new final screen, move focus to its heading so keyboard and screen-reader users land there.
  if (
    lastView &&
    v.screen !== lastView.screen &&
    (v.screen === 'left' || v.screen === 'error' || v.screen === 'soldout' || v.screen === 'closed')
  ) {
    $('title').focus();
  }
  lastView = v;
}

function dispatch(a: Action): void {
  model = reduce(model, a);
  paint();
}

if (!cfg.ok) {
  dispatch({ t: 'error', key: 'errConfig', final: true });
} else {
  const config = cfg.config;
  const client = new QueueClient({
    config,
    dispatch,
    onAdmitted(ticket, returnUrl) {
      pendingHandoff = handoff(config.mode, ticket, returnUrl, config.cookieEndpoint);
      paint();
      performHandoff(pendingHandoff, document);
    },
    ...(storage('sessionStorage') ? { session: storage('sessionStorage')! } : {}),
    ...(storage('localStorage') ? { local: storage('localStorage')! } : {}),
    ...(typeof WebSocket === 'function' ? { WebSocket } : {}),
  });
  $('leave').addEventListener('click', () => void client.leave());
  $('rejoin').addEventListener('click', () => {
    dispatch({ t: 'reset' });
    void client.start();
  });
  $('continue').addEventListener('click', () => {
    if (pendingHandoff) performHandoff(pendingHandoff, document);
  });
  setInterval(paint, 1000);
  void client.start();
}
paint();
