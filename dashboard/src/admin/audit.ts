// The audit log in PostgreSQL: who changed what, before → after, when, and whether it took.
// Order of every change: the caller validates its input; the intent is recorded ('pending',
// committed on its own, so a change is never applied unrecorded); the change is applied (Redis,
// then its PostgreSQL writes on the audit connection inside one transaction with the row's
// 'applied' mark); on any error the transaction rolls back, the change's Redis writes are undone
// and the row is marked 'failed' (a change its action refused before writing anything, a 4xx,
// leaves no row). A database outage refuses changes (503) before anything moves.
import type { Logger, Pool, PoolClient } from '@sluice/shared';
import { SluiceError } from '@sluice/shared';

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  eventId: string | null;
  status: 'pending' | 'applied' | 'failed';
  error: string | null;
  before: unknown;
  after: unknown;
}

export interface Change<T> {
  before: unknown;
  after: unknown;
  result: T;
  /** Put back what the change wrote to Redis; called when recording it fails. */
  undo?: () => Promise<void>;
}

/** A change gets the audit connection, inside the transaction that will mark it applied. */
export type ChangeFn<T> = (db: PoolClient) => Promise<Change<T>>;

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
const codeOf = (err: unknown): string => (err instanceof SluiceError ? err.code : 'INTERNAL');

/**
 * Record the intent, apply `change`, mark it applied; undo and mark failed on error.
 * @example await audited(pool, log, 'admin/bearer', 'event.pause', 'demo', { action: 'pause' }, async () => ({ before, after, result, undo }))
 */
export async function audited<T>(
  pool: Pool,
  log: Logger,
  actor: string,
  action: string,
  eventId: string | null,
  intent: unknown,
  change: ChangeFn<T>,
): Promise<T> {
  let client: PoolClient;
  let id: string;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new SluiceError('UNAVAILABLE', { message: 'Audit log unavailable; nothing was changed.', cause: err });
  }
  try {
    try {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO audit_log (actor, action, event_id, after, status) VALUES ($1, $2, $3, $4, 'pending') RETURNING id`,
        [actor, action, eventId, json(intent ?? null)],
      );
      id = rows[0]!.id;
    } catch (err) {
      throw new SluiceError('UNAVAILABLE', { message: 'Could not record the change; nothing was changed.', cause: err });
    }
    let applied: Change<T> | undefined;
    try {
      await client.query('BEGIN');
      applied = await change(client);
      await client.query(`UPDATE audit_log SET status = 'applied', before = $2, after = $3 WHERE id = $1`, [
        id,
        json(applied.before),
        json(applied.after),
      ]);
      await client.query('COMMIT');
      return applied.result;
    } catch (caught) {
      const err =
        caught instanceof SluiceError || !applied
          ? caught
          : new SluiceError('UNAVAILABLE', { message: 'Could not record the change; it was undone.', cause: caught });
      await client.query('ROLLBACK').catch((e) => log.warn({ err: e, id, action }, 'audit rollback failed'));
      if (applied?.undo) {
        await applied.undo().catch((e) => log.error({ err: e, id, action, evt: eventId }, 'undoing an unrecorded change failed'));
      }
      if (!applied && err instanceof SluiceError && err.status < 500) {
        // Refused by the action's own checks before it wrote anything: nothing happened, the
        // intent row goes (the log lists changes; the answer names the refusal).
        await client
          .query('DELETE FROM audit_log WHERE id = $1', [id])
          .catch((e) => log.warn({ err: e, id, action }, 'dropping the intent of a refused change failed; it stays pending'));
      } else if (applied && !applied.undo) {
        // Applied and not reversible: the row stays 'pending' (the intent is on record).
        log.error({ err, id, action, evt: eventId }, 'a change was applied but could not be marked applied');
      } else {
        await client
          .query(`UPDATE audit_log SET status = 'failed', error = $2 WHERE id = $1`, [id, codeOf(err)])
          .catch((e) => log.warn({ err: e, id, action }, 'marking an audit row failed did not work; it stays pending'));
      }
      throw err;
    }
  } finally {
    client.release();
  }
}

export async function listAudit(pool: Pool, opts: { eventId?: string; limit: number }): Promise<AuditRow[]> {
  const where = opts.eventId === undefined ? '' : 'WHERE event_id = $2';
  const params: unknown[] = [opts.limit];
  if (opts.eventId !== undefined) params.push(opts.eventId);
  const { rows } = await pool.query<{
    id: string;
    at: Date;
    actor: string;
    action: string;
    event_id: string | null;
    status: AuditRow['status'];
    error: string | null;
    before: unknown;
    after: unknown;
  }>(
    `SELECT id, at, actor, action, event_id, status, error, before, after FROM audit_log ${where} ORDER BY id DESC LIMIT $1`,
    params,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    eventId: r.event_id,
    status: r.status,
    error: r.error,
    before: r.before,
    after: r.after,
  }));
}
