// Every string the queue page shows, in one table. Add a language by adding a column with the
// same keys (the type checker insists); `{n}`-style placeholders are filled by `fmt`.

const en = {
  docTitle: 'Queue · {event}',
  connecting: 'Connecting to the queue…',
  countdownTitle: 'The sale starts soon',
  countdownLabel: 'Starts in',
  countdownNote:
    'Stay on this page. Everyone who arrives before the start gets a random place in line, so arriving early or refreshing does not help or hurt.',
  waitingTitle: 'You are in the queue',
  aheadLabel: 'People ahead of you',
  waitLabel: 'Estimated wait',
  waitUnknown: 'not known yet',
  waitUnderMinute: 'less than a minute',
  waitOneMinute: 'about 1 minute',
  waitMinutes: 'about {n} minutes',
  waitHours: 'about {h} h {m} min',
  waitNote: 'The estimate follows the real speed of the line and is updated as it moves.',
  progressLabel: 'Progress in the queue',
  paused: 'The queue is paused for a moment. Your place is kept.',
  admittedTitle: 'It’s your turn!',
  admittedBody: 'Taking you to the shop…',
  admittedLink: 'Continue to the shop',
  soldoutTitle: 'Sold out',
  soldoutBody: 'Everything has been sold. Thank you for waiting.',
  closedTitle: 'This sale is closed',
  closedBody: 'The queue is no longer open.',
  leave: 'Leave the queue',
  leftTitle: 'You left the queue',
  leftBody: 'Your place has been given up.',
  rejoin: 'Join again',
  reconnecting: 'Connection lost. Reconnecting… your place is kept.',
  polling: 'Live updates are not available here; checking every few seconds.',
  errorTitle: 'The queue cannot be opened',
  errUnknownEvent: 'This sale does not exist. Please check the link from the shop.',
  errOrigin: 'This page is not allowed to open this queue. Please use the link from the shop.',
  errConfig: 'This queue page is not set up correctly (missing or invalid event or gate address).',
  errRateLimited: 'Too many attempts from your network. Retrying shortly…',
  errGeneric: 'Something went wrong. Retrying…',
  announceAhead: '{n} people ahead of you. Estimated wait {wait}.',
  announceOneAhead: '1 person ahead of you.',
  announceNoneAhead: 'You are next.',
  fairnessWaiting: 'Your number is {n}. Admitted so far: up to number {served}.',
  fairnessAdmitted: 'Your number was {n}.',
  fairnessConfirmed: 'Your number {n} is in the public admission log (tick {tick}).',
  fairnessLink: 'Check it in the public admission log',
  laneLine: 'Your lane: {lane}. Numbers count within it, first come first served.',
  errAccess: 'This queue needs a valid invitation or access code, and the one in your link was not accepted (codes work once). Please use the link the shop sent you.',
  errLane: 'This queue has no such lane. Please use the link from the shop.',
};

export type StringKey = keyof typeof en;
export type Strings = Readonly<Record<StringKey, string>>;

const de: Strings = {
  docTitle: 'Warteschlange · {event}',
  connecting: 'Verbindung zur Warteschlange…',
  countdownTitle: 'Der Verkauf beginnt bald',
  countdownLabel: 'Beginn in',
  countdownNote:
    'Bleiben Sie auf dieser Seite. Wer vor dem Start ankommt, erhält einen zufälligen Platz; früher kommen oder neu laden bringt weder Vor- noch Nachteile.',
  waitingTitle: 'Sie sind in der Warteschlange',
  aheadLabel: 'Personen vor Ihnen',
  waitLabel: 'Geschätzte Wartezeit',
  waitUnknown: 'noch unbekannt',
  waitUnderMinute: 'weniger als eine Minute',
  waitOneMinute: 'etwa 1 Minute',
  waitMinutes: 'etwa {n} Minuten',
  waitHours: 'etwa {h} Std. {m} Min.',
  waitNote: 'Die Schätzung folgt dem tatsächlichen Tempo der Schlange und wird laufend angepasst.',
  progressLabel: 'Fortschritt in der Warteschlange',
  paused: 'Die Warteschlange ist kurz angehalten. Ihr Platz bleibt erhalten.',
  admittedTitle: 'Sie sind dran!',
  admittedBody: 'Sie werden zum Shop weitergeleitet…',
  admittedLink: 'Weiter zum Shop',
  soldoutTitle: 'Ausverkauft',
  soldoutBody: 'Alles ist verkauft. Danke fürs Warten.',
  closedTitle: 'Dieser Verkauf ist beendet',
  closedBody: 'Die Warteschlange ist geschlossen.',
  leave: 'Warteschlange verlassen',
  leftTitle: 'Sie haben die Warteschlange verlassen',
  leftBody: 'Ihr Platz wurde freigegeben.',
  rejoin: 'Erneut anstellen',
  reconnecting: 'Verbindung unterbrochen. Neuer Versuch… Ihr Platz bleibt erhalten.',
  polling: 'Live-Aktualisierung nicht verfügbar; wir prüfen alle paar Sekunden.',
  errorTitle: 'Die Warteschlange kann nicht geöffnet werden',
  errUnknownEvent: 'Diesen Verkauf gibt es nicht. Bitte prüfen Sie den Link des Shops.',
  errOrigin: 'Diese Seite darf diese Warteschlange nicht öffnen. Bitte nutzen Sie den Link des Shops.',
  errConfig:
    'Diese Warteschlangen-Seite ist nicht richtig eingerichtet (Verkauf oder Gate-Adresse fehlt oder ist ungültig).',
  errRateLimited: 'Zu viele Versuche aus Ihrem Netz. Neuer Versuch in Kürze…',
  errGeneric: 'Etwas ist schiefgelaufen. Neuer Versuch…',
  announceAhead: '{n} Personen vor Ihnen. Geschätzte Wartezeit {wait}.',
  announceOneAhead: '1 Person vor Ihnen.',
  announceNoneAhead: 'Sie sind als Nächstes dran.',
  fairnessWaiting: 'Ihre Nummer ist {n}. Eingelassen bisher: bis Nummer {served}.',
  fairnessAdmitted: 'Ihre Nummer war {n}.',
  fairnessConfirmed: 'Ihre Nummer {n} steht im öffentlichen Einlassprotokoll (Takt {tick}).',
  fairnessLink: 'Im öffentlichen Einlassprotokoll prüfen',
  laneLine: 'Ihre Spur: {lane}. Die Nummern zählen innerhalb dieser Spur, der Reihe nach.',
  errAccess: 'Für diese Warteschlange braucht es eine gültige Einladung oder einen Zugangscode; der in Ihrem Link wurde nicht angenommen (Codes gelten einmal). Bitte nutzen Sie den Link des Shops.',
  errLane: 'Diese Warteschlange hat keine solche Spur. Bitte nutzen Sie den Link des Shops.',
};

export const STRINGS: Readonly<Record<string, Strings>> = { en, de };
export const LANGUAGES = Object.keys(STRINGS);

/** The first supported language among the requested one and the browser's, else English. */
export function pickLanguage(requested: string | null, browser: readonly string[]): string {
  for (const tag of [requested, ...browser]) {
    if (!tag) continue;
    const base = tag.toLowerCase().split('-')[0]!;
    if (STRINGS[base]) return base;
  }
  return 'en';
}

export function stringsFor(lang: string): Strings {
  return STRINGS[lang] ?? en;
}

/** Fill `{name}` placeholders. */
export function fmt(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}
