// The console's calls to the admin API. Cookie session; every change carries X-CSRF-Token.

export interface SessionInfo {
  role: 'admin' | 'viewer';
  csrf: string | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  constructor(status: number, message: string, field?: string) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

/** One lane as GET /v1/events/:id/lanes answers it. */
export interface LaneRow {
  id: string;
  access: 'open' | 'code' | 'invite';
  share: number;
  waiting: number;
  served: number;
  tail: number;
  uploaded: number;
  used: number;
  revoked: number;
  left: number;
  invitesUsed: number;
  refused: number;
}

let csrf: string | null = null;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as { error?: { message: string; field?: string } };
  if (!res.ok) throw new ApiError(res.status, json.error?.message ?? res.statusText, json.error?.field);
  return json as T;
}

export const api = {
  async session(): Promise<SessionInfo | null> {
    try {
      const s = await call<SessionInfo>('GET', '/v1/session');
      csrf = s.csrf;
      return s;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    }
  },
  login: (token: string) => call<SessionInfo>('POST', '/v1/login', { token }),
  logout: () => call<void>('POST', '/v1/logout'),
  events: () => call<{ events: { id: string; name: string; state: string }[] }>('GET', '/v1/events'),
  patch: (evt: string, body: Record<string, unknown>) => call<{ version: number }>('PATCH', `/v1/events/${evt}`, body),
  action: (evt: string, action: 'open' | 'pause' | 'resume' | 'close') =>
    call<{ version: number }>('POST', `/v1/events/${evt}/${action}`),
  stock: (evt: string, sku: string, delta: number) =>
    call<{ version: number }>('POST', `/v1/events/${evt}/stock`, { sku, delta }),
  revoke: (evt: string, body: { jti?: string; placeId?: string }) =>
    call<{ version: number }>('POST', `/v1/events/${evt}/revocations`, body),
  lanes: (evt: string) => call<{ mode: string; lanes: LaneRow[] }>('GET', `/v1/events/${evt}/lanes`),
  addCodes: (evt: string, lane: string, codes: string[]) =>
    call<{ added: number; duplicates: number; revoked?: number; unchanged?: number }>('POST', `/v1/events/${evt}/lanes/${lane}/codes`, { codes }),
  revokeCodes: (evt: string, lane: string, codes: string[]) =>
    call<{ revoked: number; unchanged: number; added?: number; duplicates?: number }>('POST', `/v1/events/${evt}/lanes/${lane}/codes/revoke`, { codes }),
  rotateKey: () => call<{ current: string; at: number }>('POST', '/v1/keys/rotate'),
  audit: (evt: string) =>
    call<{ entries: { id: number; at: string; actor: string; action: string; status: string; before: unknown; after: unknown }[] }>(
      'GET',
      `/v1/events/${evt}/audit?limit=15`,
    ),
};
