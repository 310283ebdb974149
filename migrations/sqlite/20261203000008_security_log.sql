-- The member's security page: where each session was signed in from, the security log (see
-- app/src/server/security_log.rs) and the password confirmation a data export needs.

-- The browser's User-Agent (at most 256 characters) and the client address at sign-in.
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN client_addr TEXT NOT NULL DEFAULT '';
-- When the member last confirmed their password in this session (0: never): exporting their
-- data needs it within the last 10 minutes.
ALTER TABLE sessions ADD COLUMN reauthenticated_at INTEGER NOT NULL DEFAULT 0;

-- What happened to an account: sign-ins (also failed and throttled ones), sign-outs, sessions
-- ended, password resets, e-mail changes, and profile changes and support-profile replacements
-- (written beside their audit rows, in the same transaction). `detail` never holds what was
-- typed: field names, a device, a count. Rows older than SECURITY_LOG_RETENTION_DAYS are
-- deleted by the clean-up.
CREATE TABLE security_events (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    client_addr TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX security_events_user ON security_events (user_id, at);
CREATE INDEX security_events_at ON security_events (at);
