-- Two-factor sign-in with an authenticator app (see app/src/server/two_factor.rs).

-- The member's TOTP secret (RFC 6238: SHA-1, 6 digits, 30-second steps). `enabled_at` is NULL
-- while the member has not yet confirmed it with a code; `last_step` is the newest time step a
-- code was accepted for, so no code is accepted twice. `pending_codes` holds new recovery codes
-- until the page that shows them once has shown them.
CREATE TABLE totp_factors (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret        BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    enabled_at    INTEGER,
    last_step     INTEGER NOT NULL DEFAULT 0,
    pending_codes TEXT
);

-- Single-use recovery codes, stored as SHA-256 (each has 50 random bits).
CREATE TABLE recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB    NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- A sign-in whose password was right and whose second step is to come: not a session. The
-- token (SHA-256 stored) is the browser's short-lived cookie or the API's `Challenge`.
CREATE TABLE sign_in_challenges (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    -- Whether the browser had the account's device cookie (no new-device notice then).
    known_device INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX sign_in_challenges_expiry ON sign_in_challenges (expires_at);
