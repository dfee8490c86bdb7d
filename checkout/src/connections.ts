// Redis connections of the checkout tier. The request path uses a fail-fast client (no offline
// queue, no retries, a short command timeout), so an unreachable Redis becomes a 503 within a
// second instead of a hung request.
import { createRedis, eventKeys, type Redis, type RedisEndpoint, SluiceError } from '@sluice/shared';

/**
 * A client for request handlers: every command fails fast while Redis is away. `autoPipeline`:
 * the commands of one event-loop turn go out in one write (one pipeline per shard), so a burst of
 * checkouts costs checkout and Redis one write and one read instead of one each; a command waits
 * for the turn's end (setImmediate) before it is sent.
 */
export function failFastRedis(
  target: string | RedisEndpoint,
  commandTimeoutMs: number,
  autoPipeline = false,
): Redis {
  return createRedis(target, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1000,
    enableAutoPipelining: autoPipeline,
    // Keep reconnecting in the background, never more than a second apart.
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
}

/** Wait until `redis` is ready, at most `ms`; resolves either way (a later 503 tells the truth). */
export function settle(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}

/**
 * Errors that mean "Redis is not answering" (connection refused, closed, offline, timeout).
 * A ReplyError is Redis answering with an error (a script bug): that is a 500, not a 503.
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'ReplyError') return false;
  return true;
}

/** Run `work`; a connection failure or a timeout becomes SluiceError UNAVAILABLE. */
export async function guarded<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (err) {
    if (err instanceof SluiceError || !isConnectionError(err)) throw err;
    throw new SluiceError('UNAVAILABLE', { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * WAIT until `replicas` replicas hold every write `redis` made on `evt`'s shard (the purchase
 * script's reservation and order entry), at most `timeoutMs`; returns how many did. The pipeline's
 * keyed command routes the keyless WAIT to the event's master on a cluster, on the connection the
 * purchase script used.
 */
export async function replicated(
  redis: Redis,
  prefix: string,
  evt: string,
  replicas: number,
  timeoutMs: number,
): Promise<number> {
  const res = await redis.pipeline().exists(eventKeys(prefix, evt).event).wait(replicas, timeoutMs).exec();
  const [err, n] = res?.[1] ?? [new Error('no WAIT reply'), 0];
  if (err) throw err;
  return Number(n);
}
