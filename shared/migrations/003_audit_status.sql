-- Schema version 3: an admin change is recorded before it is applied (issue 16). The dashboard
-- inserts the intent as 'pending', applies the change, and marks the row 'applied' in the same
-- transaction as the change's own PostgreSQL writes; a change that fails or is undone is marked
-- 'failed' with its error code. Rows written before this version were written after their change
-- was applied: they default to 'applied'.
ALTER TABLE audit_log
  ADD COLUMN status text NOT NULL DEFAULT 'applied' CHECK (status IN ('pending', 'applied', 'failed')),
  ADD COLUMN error text;
