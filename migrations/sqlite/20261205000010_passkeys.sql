-- Passkeys (WebAuthn, see app/src/server/passkeys.rs).

-- A member's registered passkey. `credential` is webauthn-rs's record of it as JSON (public key,
-- signature counter, backup state); `credential_id` is the authenticator's id of it, unique across
-- every member. `user_handle` is the random id the authenticator keeps for the member (the same
-- on all of one member's passkeys), which a passkey-only sign-in names the member by.
CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id BLOB    NOT NULL UNIQUE,
    user_handle   BLOB    NOT NULL,
    name          TEXT    NOT NULL,
    credential    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);

CREATE INDEX passkeys_user ON passkeys (user_id);

-- The server's half of a WebAuthn ceremony between its two requests (its challenge, as
-- webauthn-rs's state, JSON): registering (`user_id` set, `name` the passkey's), signing in with a
-- passkey alone (no `user_id`) or as a sign-in's second step. Used once (deleted when finished);
-- the token (SHA-256 stored) is what the browser or API client sends back.
CREATE TABLE passkey_ceremonies (
    token_hash BLOB    PRIMARY KEY,
    purpose    TEXT    NOT NULL,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL DEFAULT '',
    state      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);
