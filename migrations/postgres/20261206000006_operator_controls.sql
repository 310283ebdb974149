-- What the portal's operator controls from the command line (`server admin ...`, see
-- app/src/server/operator.rs).

-- When the operator disabled the member; NULL: not disabled. A disabled member cannot sign in,
-- and disabling them ends their sessions.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- Switches of the whole portal, by name: 'sign_up' is 'open' or 'closed' (no row: open).
CREATE TABLE portal_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
