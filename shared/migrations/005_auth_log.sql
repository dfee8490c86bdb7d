-- Schema version 5: the dashboard's authentication log (issue 13). Every login, logout, refused
-- credential (wrong token, bearer or login form) and throttled attempt, with the operator's
-- address as the trusted proxy reported it. Admin changes stay in audit_log.
CREATE TABLE auth_log (
  id       bigserial PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  kind     text NOT NULL CHECK (kind IN ('login', 'logout', 'refused', 'throttled')),
  role     text,
  actor    text,
  address  text NOT NULL,
  via      text NOT NULL CHECK (via IN ('login', 'bearer', 'session'))
);
CREATE INDEX auth_log_at ON auth_log (at);
