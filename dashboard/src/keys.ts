// Redis keys that only the dashboard uses (sessions, login throttling). They live beside the
// shared key builder's `<prefix>:` namespace under `<prefix>:dash:` so a test's prefix cleanup
// removes them too.
import { createHash } from 'node:crypto';

export function dashboardKeys(prefix: string) {
  return {
    /** string (JSON {role, csrf, at}) with TTL: a console session, keyed by SHA-256 of its id */
    session: (sessionId: string) => `${prefix}:dash:session:${sha256(sessionId)}`,
    /** string counter with TTL: failed logins from one client address */
    loginFailures: (ip: string) => `${prefix}:dash:login-fail:${ip}`,
  } as const;
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
