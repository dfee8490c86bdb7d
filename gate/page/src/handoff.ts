// Sending an admitted shopper to the storefront with the ticket, the way the storefront chose:
// in the URL fragment (never sent to servers, not in logs or Referer) or as a cookie set by the
// storefront's own endpoint (a top-level form POST, so the cookie is first-party).
import { ADMIT_FORM, withTicketFragment } from '@sluice/shared/storefront/constants.ts';
import { cookieEndpointFor, type HandoffMode } from './config.ts';

export type Handoff =
  | { kind: 'navigate'; href: string }
  | { kind: 'post'; action: string; fields: Record<string, string> };

export function handoff(
  mode: HandoffMode,
  ticket: string,
  returnUrl: string,
  cookieEndpoint: string | null,
): Handoff {
  const endpoint = cookieEndpointFor(cookieEndpoint, returnUrl);
  if (mode === 'cookie' && endpoint) {
    return {
      kind: 'post',
      action: endpoint,
      fields: { [ADMIT_FORM.ticket]: ticket, [ADMIT_FORM.returnTo]: returnUrl },
    };
  }
  return { kind: 'navigate', href: withTicketFragment(returnUrl, ticket) };
}

/** Carry out a handoff in the browser. */
export function performHandoff(h: Handoff, doc: Document): void {
  if (h.kind === 'navigate') {
    doc.location.replace(h.href);
    return;
  }
  const form = doc.createElement('form');
  form.method = 'POST';
  form.action = h.action;
  form.hidden = true;
  for (const [name, value] of Object.entries(h.fields)) {
    const input = doc.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.append(input);
  }
  doc.body.append(form);
  form.submit();
}
