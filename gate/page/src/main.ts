// Queue page entry: read the configuration, run the client, paint the model. All decisions live
// in the pure modules (model, view, close-policy, config); this file only touches the DOM.
import { GatePaths } from '@sluice/shared/protocol/http.ts';
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
const cfg = readConfig(location.search, { ...root.dataset }, location.origin, location.hash);
// A lane's code or invite is read once: keep it out of the address bar (and of a shared link).
if (cfg.ok && (cfg.config.code || cfg.config.invite)) history.replaceState(null, '', location.pathname + location.search);
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
$('fairness-link').textContent = s.fairnessLink;

let model: Model = initialModel;
let lastView: View | null = null;
let announced: Announced | null = null;
let pendingHandoff: Handoff | null = null;
/** Set once the public admission log shows this shopper's number as admitted. */
let confirmed: string | null = null;
let checking = false;

/** Look the shopper's number up in the public log (sealed a tick or two after admission). */
async function checkNumber(gate: string, evt: string, n: number, lane: string): Promise<void> {
  if (checking || confirmed) return;
  checking = true;
  for (let attempt = 0; attempt < 5 && !confirmed; attempt++) {
    try {
      const res = await fetch(gate + GatePaths.admissionNumber(evt, n) + lane);
      const r = res.ok ? ((await res.json()) as { status?: string; tick?: number }) : {};
      if (r.status === 'admitted') confirmed = fmt(s.fairnessConfirmed, { n: nf.format(n), tick: String(r.tick) });
    } catch {
      // Only the confirmation line is lost; the shopper's admission does not depend on it.
    }
    if (!confirmed) await new Promise((r) => setTimeout(r, 1000));
  }
  paint();
}

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
  show('lane', v.lane !== null);
  $('lane').textContent = v.lane ?? '';
  show('fairness', v.fairness !== null);
  $('fairness-text').textContent = (v.screen === 'admitted' && confirmed) || v.fairness || '';
  if (cfg.ok && model.score !== null) {
    const link = $<HTMLAnchorElement>('fairness-link');
    const lane = model.lane ? `?lane=${encodeURIComponent(model.lane)}` : '';
    link.href = cfg.config.gate + GatePaths.admissionNumber(cfg.config.event, model.score) + lane;
    link.hidden = v.screen !== 'admitted';
    if (v.screen === 'admitted') void checkNumber(cfg.config.gate, cfg.config.event, model.score, lane);
  }
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
