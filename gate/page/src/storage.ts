// Where the page keeps what lets a shopper keep their place.
//
// - The place token (from `welcome`) lives in sessionStorage under `sluice.place.<event>`:
//   it survives a refresh and a network drop in the same tab, is never sent to the CDN or any
//   server by the browser on its own (unlike a cookie), and disappears when the tab is closed.
// - A random client id lives in localStorage under `sluice.cid`: the gate keeps one place per
//   client id and event, so a second tab or a reopened browser resumes the same place instead
//   of taking another one.
// Storage can be unavailable (privacy modes); the page then still works, it just cannot resume.

export interface SavedPlace {
  place: string;
  placeId: string;
  score: number | null;
}

const placeKey = (evt: string) => `sluice.place.${evt}`;
const CID_KEY = 'sluice.cid';

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

export function loadPlace(store: Storage | undefined, evt: string): SavedPlace | null {
  const raw = safe(() => store?.getItem(placeKey(evt)) ?? null, null);
  if (!raw) return null;
  const v = safe(() => JSON.parse(raw) as unknown, null);
  if (typeof v !== 'object' || v === null) return null;
  const p = v as Record<string, unknown>;
  if (typeof p.place !== 'string' || typeof p.placeId !== 'string') return null;
  return { place: p.place, placeId: p.placeId, score: typeof p.score === 'number' ? p.score : null };
}

export function savePlace(store: Storage | undefined, evt: string, p: SavedPlace): void {
  safe(() => store?.setItem(placeKey(evt), JSON.stringify(p)), undefined);
}

export function forgetPlace(store: Storage | undefined, evt: string): void {
  safe(() => store?.removeItem(placeKey(evt)), undefined);
}

/** The browser's client id, created on first use (128 random bits, hex). */
export function clientId(store: Storage | undefined, random: (n: number) => Uint8Array): string {
  const existing = safe(() => store?.getItem(CID_KEY) ?? null, null);
  if (existing && /^[0-9a-f]{32}$/.test(existing)) return existing;
  const id = Array.from(random(16), (b) => b.toString(16).padStart(2, '0')).join('');
  safe(() => store?.setItem(CID_KEY, id), undefined);
  return id;
}
