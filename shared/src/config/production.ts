// What a production process (NODE_ENV=production) refuses to start with: settings that are fine
// on a laptop and a hole in production. Checked by loadConfigOrExit for every service, by the
// variable names its schema has, so each service checks only its own settings.
import { DEV_REDIS_PASSWORDS } from '../acl/users.ts';
import type { Schema } from './schema.ts';

/** Passwords that ship in this repository (compose, embedded PostgreSQL, the ACL file). */
const KNOWN_PASSWORDS = new Set<string>([...Object.values(DEV_REDIS_PASSWORDS), 'sluice', 'postgres', 'password']);

function urlPassword(raw: string): { user: string; password: string } | null {
  try {
    const u = new URL(raw);
    return { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  } catch {
    return null;
  }
}

/**
 * One line per problem, naming the variable; empty when the settings may run in production.
 * @example productionProblems(dashboardSchema, { NODE_ENV: 'production', ADMIN_TOKEN: '' }) // ['ADMIN_TOKEN …']
 */
export function productionProblems(schema: Schema, env: NodeJS.ProcessEnv): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const names = new Set(Object.values(schema).map((f) => f.env));
  const problems: string[] = [];
  const value = (name: string) => env[name] ?? '';
  if (names.has('ADMIN_TOKEN')) {
    const t = value('ADMIN_TOKEN');
    if (t === '') problems.push('ADMIN_TOKEN is empty: a generated token is refused in production (set one of at least 24 characters)');
    else if (t.length < 24) problems.push('ADMIN_TOKEN is shorter than 24 characters');
  }
  if (names.has('SLUICE_KEY_ENCRYPTION_KEY') && value('SLUICE_KEY_ENCRYPTION_KEY') === '') {
    problems.push('SLUICE_KEY_ENCRYPTION_KEY is empty: the private signing keys would sit in Redis in clear');
  }
  if (names.has('REDIS_URL')) {
    const c = urlPassword(value('REDIS_URL'));
    if (!c || c.password === '') problems.push('REDIS_URL has no password: give each service its own Redis user (deploy/redis/users.acl)');
    else if (KNOWN_PASSWORDS.has(c.password)) problems.push('REDIS_URL uses a development password from this repository');
  }
  if (names.has('DATABASE_URL')) {
    const c = urlPassword(value('DATABASE_URL'));
    if (!c || c.password === '') problems.push('DATABASE_URL has no password');
    else if (KNOWN_PASSWORDS.has(c.password)) problems.push('DATABASE_URL uses a development password from this repository');
  }
  return problems;
}
