// Read a ticket's claims in the browser without verifying it: enough to decide whether to send
// the shopper to the queue. The storefront's server still verifies the signature
// (verifyAdmission); nothing here grants access.

export interface PeekedClaims {
  evt: string;
  exp: number;
  sub: string;
}

function b64urlDecode(s: string): string {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function peekTicket(token: string): PeekedClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || token.length > 2048) return null;
  try {
    const p = JSON.parse(b64urlDecode(parts[1]!)) as Record<string, unknown>;
    if (typeof p.evt !== 'string' || typeof p.exp !== 'number' || typeof p.sub !== 'string') return null;
    return { evt: p.evt, exp: p.exp, sub: p.sub };
  } catch {
    return null;
  }
}

/** Whether a ticket looks usable for `event` at `nowMs` (with a margin for the trip to checkout). */
export function looksValid(
  c: PeekedClaims | null,
  event: string,
  nowMs: number,
  marginS = 5,
): c is PeekedClaims {
  return c !== null && c.evt === event && c.exp - marginS > nowMs / 1000;
}

/** The hint cookie `<event>.<exp>` set in cookie mode says a valid HttpOnly ticket is held. */
export function hintValid(hint: string | null, event: string, nowMs: number): boolean {
  if (!hint) return false;
  const dot = hint.lastIndexOf('.');
  if (dot < 0 || hint.slice(0, dot) !== event) return false;
  const exp = Number(hint.slice(dot + 1));
  return Number.isFinite(exp) && exp > nowMs / 1000;
}
