// The audit log in PostgreSQL: who changed what, before → after, when. A change is applied only
// once a database connection is in hand, so an outage refuses changes (503) instead of making
// unrecorded ones; the row is written right after the change is applied.
import type { Pool, PoolClient } from '@sluice/shared';
import { SluiceError } from '@sluice/shared';

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  eventId: string | null;
  before: unknown;
  after: unknown;
}

export interface Change<T> {
  before: unknown;
  after: unknown;
  result: T;
}

/**
 * Apply `change` and record it.
 * @example await audited(pool, 'admin/bearer', 'event.pause', 'demo', async () => ({ before, after, result }))
 */
export async function audited<T>(
  pool: Pool,
  actor: string,
  action: string,
  eventId: string | null,
  change: () => Promise<Change<T>>,
): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new SluiceError('UNAVAILABLE', { message: 'Audit log unavailable; nothing was changed.', cause: err });
  }
  try {
    const { before, after, result } = await change();
    await client.query('INSERT INTO audit_log (actor, action, event_id, before, after) VALUES ($1, $2, $3, $4, $5)', [
      actor,
      action,
      eventId,
      before === undefined ? null : JSON.stringify(before),
      after === undefined ? null : JSON.stringify(after),
    ]);
    return result;
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
    before: unknown;
    after: unknown;
  }>(`SELECT id, at, actor, action, event_id, before, after FROM audit_log ${where} ORDER BY id DESC LIMIT $1`, params);
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    eventId: r.event_id,
    before: r.before,
    after: r.after,
  }));
}
