// Operator and viewer tokens: compared in constant time; an empty admin token is replaced by a
// random one at start so a dashboard is never open without a login.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const ROLES = ['admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Tokens {
  admin: string;
  /** Empty: viewer login disabled. */
  viewer: string;
}

/** The tokens to use; `generated` is true when the admin token was made up here. */
export function resolveTokens(cfg: {
  adminToken: string;
  viewerToken: string;
}): Tokens & { generated: boolean } {
  if (cfg.adminToken !== '') return { admin: cfg.adminToken, viewer: cfg.viewerToken, generated: false };
  return { admin: randomBytes(24).toString('base64url'), viewer: cfg.viewerToken, generated: true };
}

function same(a: string, b: string): boolean {
  // Hash first so lengths match and timing says nothing about the length of the secret.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The role a presented token grants, or null. */
export function roleOf(tokens: Tokens, presented: string): Role | null {
  if (presented === '') return null;
  if (same(presented, tokens.admin)) return 'admin';
  if (tokens.viewer !== '' && same(presented, tokens.viewer)) return 'viewer';
  return null;
}

/** One line for the launcher to print. @example console.log(adminTokenLine(t)) */
export function adminTokenLine(tokens: Tokens): string {
  return `admin token: ${tokens.admin}`;
}

/**
 * A short keyed fingerprint of the token a session was opened with (HMAC of the role name under
 * the token): stored with the session, compared on every use, so changing ADMIN_TOKEN or
 * VIEWER_TOKEN ends every session opened with the old one. Says nothing useful about the token.
 */
export function tokenTag(tokens: Tokens, role: Role): string {
  const secret = role === 'admin' ? tokens.admin : tokens.viewer;
  return createHmac('sha256', secret).update(`sluice-session:${role}`).digest('base64url').slice(0, 22);
}
