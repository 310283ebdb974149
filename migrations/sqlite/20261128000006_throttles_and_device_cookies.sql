-- Throttles nobody can turn against others (see app/src/server/throttle.rs), sign-ups per
-- client address, the key of the device cookies, and when a session's cookie was last issued.

-- Failed password checks. Each row carries the key of the budget it counts against: the account
-- (sign-in from a client without its device cookie), the device cookie's id (sign-in from a
-- known device), or the member (the current password, checked through a session), and the
-- client address where one is counted. The rows are a few minutes of history: the old table's
-- are not carried over.
DROP TABLE sign_in_failures;

CREATE TABLE password_failures (
    id          INTEGER PRIMARY KEY,
    account     TEXT,
    device      TEXT,
    user_id     INTEGER,
    client_addr TEXT,
    at          INTEGER NOT NULL
);

CREATE INDEX password_failures_account ON password_failures (account, at);
CREATE INDEX password_failures_device ON password_failures (device, at);
CREATE INDEX password_failures_user ON password_failures (user_id, at);
CREATE INDEX password_failures_client ON password_failures (client_addr, at);
CREATE INDEX password_failures_at ON password_failures (at);

-- Accounts created, per client address: each costs a password hash.
CREATE TABLE sign_ups (
    id          INTEGER PRIMARY KEY,
    client_addr TEXT    NOT NULL,
    at          INTEGER NOT NULL
);

CREATE INDEX sign_ups_client ON sign_ups (client_addr, at);

-- Keys the server makes for itself on first start, shared by every instance on this database.
CREATE TABLE server_keys (
    name   TEXT PRIMARY KEY,
    secret BLOB NOT NULL
);

-- When the browser was last sent the session cookie (so its Max-Age follows the sliding expiry).
-- 0 for sessions from before: their cookie is re-issued on their next request.
ALTER TABLE sessions ADD COLUMN cookie_issued_at INTEGER NOT NULL DEFAULT 0;

CREATE INDEX sessions_expires ON sessions (expires_at);
