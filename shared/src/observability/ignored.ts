// Errors a caller carries on after: a connection error on a client that reconnects by itself,
// a best-effort step of a shutdown, a broadcast that the next tick repeats. None may vanish
// without a word, and none may flood the log: each kind is counted every time
// (`sluice_ignored_errors_total{kind}`, in every service's registry) and logged with its context
// at most once per minute, with how many were not logged since.
import client from 'prom-client';
import { createLogger, type Logger } from './log.ts';

const LOG_EVERY_MS = 60_000;

/** Shared by every registry createRegistry builds (one process, one count). */
export const ignoredErrors = new client.Counter({
  name: 'sluice_ignored_errors_total',
  help: 'Errors logged (rate-limited) and carried on after, by kind',
  labelNames: ['kind'] as const,
  registers: [],
});

let log: Logger | undefined;
const lastLogged = new Map<string, { at: number; since: number }>();

/** Where the log lines go (each service sets its logger at start; default: a 'sluice' logger). */
export function setIgnoredErrorLog(logger: Logger): void {
  log = logger;
}

/**
 * Count `err` under `kind` and log it with `context` unless this kind was logged in the last
 * minute. @example redis.on('error', (err) => noteIgnored('redis connection', err, { url }))
 */
export function noteIgnored(kind: string, err: unknown, context: Record<string, unknown> = {}, now = Date.now()): boolean {
  ignoredErrors.inc({ kind });
  const last = lastLogged.get(kind);
  if (last && now - last.at < LOG_EVERY_MS) {
    last.since++;
    return false;
  }
  log ??= createLogger('sluice', process.env.LOG_LEVEL || 'info');
  log.warn({ err, kind, ...context, notLoggedSince: last?.since ?? 0 }, `ignored error: ${kind}`);
  lastLogged.set(kind, { at: now, since: 0 });
  return true;
}

/** A `.catch` / `'error'` handler for `noteIgnored`. @example pool.end().catch(ignoring('pool close at shutdown')) */
export function ignoring(kind: string, context: Record<string, unknown> = {}): (err: unknown) => void {
  return (err) => {
    noteIgnored(kind, err, context);
  };
}
