-- Outgoing mail, the single-use links it carries, whether a member's address is verified and
-- whether they want to hear of new sign-ins
-- (see app/src/server/mail/ and app/src/server/links.rs).

-- When the member proved they read mail at their sign-in address; NULL: not yet.
ALTER TABLE users ADD COLUMN email_verified_at INTEGER;

-- A security notice when the member signs in from a browser without the account's device cookie
-- (on by default), a switch of the notifications page.
ALTER TABLE customer_profiles ADD COLUMN notify_on_new_sign_in INTEGER NOT NULL DEFAULT 1 CHECK (notify_on_new_sign_in IN (0, 1));

-- Links sent by mail: password reset, address verification, e-mail change and its undo. Only the
-- SHA-256 of a token is stored; `email` is the address the link is about (the address to verify,
-- the new address to confirm, the old address an undo restores).
CREATE TABLE account_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL
        CHECK (purpose IN ('reset_password', 'verify_email', 'confirm_email_change', 'undo_email_change')),
    email      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    -- When the link was followed: a used link says so instead of working twice.
    used_at    INTEGER
);

CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expires ON account_tokens (expires_at);

-- The mail queue. A message is written in the transaction of the change that causes it; the
-- worker claims it by moving `next_attempt_at` past a lease, sends it, and records the outcome.
CREATE TABLE outgoing_mail (
    id              INTEGER PRIMARY KEY,
    -- What the message is for (`reset_password`, `password_changed`, ...), for logs and tests.
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    -- Emptied once sent: links in them must not outlive the delivery in the database.
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    -- When the worker gave up (after its last attempt).
    failed_at       INTEGER,
    last_error      TEXT
);

CREATE INDEX outgoing_mail_due ON outgoing_mail (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outgoing_mail_created ON outgoing_mail (created_at);

-- Mail a member or a visitor asked for (reset links, verification links, e-mail changes), for
-- throttling: per address mailed, per known device, per client address.
CREATE TABLE mail_requests (
    id          INTEGER PRIMARY KEY,
    account     TEXT,
    device      TEXT,
    client_addr TEXT,
    at          INTEGER NOT NULL
);

CREATE INDEX mail_requests_account ON mail_requests (account, at);
CREATE INDEX mail_requests_device ON mail_requests (device, at);
CREATE INDEX mail_requests_client ON mail_requests (client_addr, at);
CREATE INDEX mail_requests_at ON mail_requests (at);
