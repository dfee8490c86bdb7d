// The page's JSON requests to the gate (the HTTP fallback and the event/challenge reads): an
// error answer becomes an HttpError carrying the status and the gate's error code.

export class HttpError extends Error {
  readonly status: number;
  readonly code: string | null;
  constructor(status: number, code: string | null) {
    super(`HTTP ${status}${code ? ` ${code}` : ''}`);
    this.status = status;
    this.code = code;
  }
}

/** GET (or `init`) `url` uncached and parse its JSON; throws HttpError for a non-2xx answer. */
export async function getJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { cache: 'no-store', ...init });
  if (!res.ok) {
    let code: string | null = null;
    try {
      code = ((await res.json()) as { error?: { code?: string } }).error?.code ?? null;
    } catch {
      // Not a JSON error body (a proxy's HTML page): the status alone is reported.
    }
    throw new HttpError(res.status, code);
  }
  return (await res.json()) as T;
}
