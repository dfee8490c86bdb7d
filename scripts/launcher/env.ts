// What each child of `npm start` may see: its own settings only (the names in its config schema),
// plus the process basics (PATH, HOME, NODE_ENV…). The admin token and the database URL go only
// to the services that use them; a variable the operator exported reaches only the service whose
// schema names it.
import { allSchemas } from '@sluice/shared';

/** Never service settings; every child needs them to run at all. */
const BASICS = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_ENV', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];

/** Settings of the demo storefront (examples/storefront/main.ts reads these). */
export const STOREFRONT_VARS = [
  'STORE_HOST',
  'STORE_PORT',
  'STORE_PUBLIC_ORIGIN',
  'STORE_MODE',
  'QUEUE_PAGE_URL',
  'EVENT_ID',
  'JWKS_URL',
  'GATE_PUBLIC_URL',
  'TICKET_AUDIENCE',
  'TICKET_ISSUER',
  // The checkout API as the shop's server reaches it: the demo shop places orders server to server.
  'CHECKOUT_URL',
];

export type ChildName = keyof typeof allSchemas | 'storefront';

/** The variable names child `name` may receive. */
export function varsOf(name: ChildName): string[] {
  if (name === 'storefront') return STOREFRONT_VARS;
  return Object.values(allSchemas[name]).map((f) => f.env);
}

/**
 * The environment of one child: `launcher` values (what `npm start` decided) over the operator's
 * own `base` environment, both filtered to the child's names, plus the basics from `base`.
 */
export function childEnv(name: ChildName, launcher: Record<string, string>, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of BASICS) if (base[k] !== undefined) out[k] = base[k]!;
  for (const k of varsOf(name)) {
    const v = launcher[k] ?? base[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
