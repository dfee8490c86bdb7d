// Readiness: run every dependency check with a short timeout; ready only when all pass. `/readyz`
// is public (load balancers, and anyone else), so `checks` says only `ok` / `failed` / `timeout`:
// a raw error names hosts, ports, users and versions. The raw messages are in `detail`, for logs.

export type Check = () => Promise<unknown>;

export interface Readiness {
  ready: boolean;
  /** Safe to answer publicly. */
  checks: Record<string, 'ok' | 'failed' | 'timeout'>;
  /** The raw error per failed check: for logs only, never for a response. */
  detail: Record<string, string>;
}

class CheckTimeout extends Error {}

export async function readiness(checks: Record<string, Check>, timeoutMs = 1000): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, 'ok' | 'failed' | 'timeout', string]> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new CheckTimeout(`timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, 'ok', ''];
      } catch (err) {
        return [name, err instanceof CheckTimeout ? 'timeout' : 'failed', err instanceof Error ? err.message : String(err)];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return {
    ready: entries.every(([, v]) => v === 'ok'),
    checks: Object.fromEntries(entries.map(([n, v]) => [n, v])),
    detail: Object.fromEntries(entries.filter(([, v]) => v !== 'ok').map(([n, , d]) => [n, d])),
  };
}
