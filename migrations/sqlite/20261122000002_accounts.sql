-- Members, their customer profiles (one per location, one of them the default) and sessions.

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    email            TEXT    NOT NULL,
    -- Lower-cased e-mail: sign-in and uniqueness ignore case.
    email_normalized TEXT    NOT NULL UNIQUE,
    -- argon2id, PHC string format.
    password_hash    TEXT    NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE customer_profiles (
    id                               INTEGER PRIMARY KEY,
    user_id                          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    location_id                      INTEGER NOT NULL REFERENCES locations (id),
    is_default                       INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    active                           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    full_name                        TEXT    NOT NULL,
    company_name                     TEXT,
    notify_on_help_desk_replies      INTEGER NOT NULL DEFAULT 1 CHECK (notify_on_help_desk_replies IN (0, 1)),
    notify_on_community_board_posts  INTEGER NOT NULL DEFAULT 0 CHECK (notify_on_community_board_posts IN (0, 1)),
    notify_on_blog_comments          INTEGER NOT NULL DEFAULT 0 CHECK (notify_on_blog_comments IN (0, 1)),
    notify_on_event_comments         INTEGER NOT NULL DEFAULT 0 CHECK (notify_on_event_comments IN (0, 1)),
    receive_activity_digest          INTEGER NOT NULL DEFAULT 1 CHECK (receive_activity_digest IN (0, 1)),
    -- Newsletters are opt-in.
    sign_up_to_newsletter            INTEGER NOT NULL DEFAULT 0 CHECK (sign_up_to_newsletter IN (0, 1)),
    version                          INTEGER NOT NULL DEFAULT 1,
    created_at                       INTEGER NOT NULL,
    updated_at                       INTEGER NOT NULL,
    UNIQUE (user_id, location_id)
);

CREATE UNIQUE INDEX customer_profiles_one_default ON customer_profiles (user_id) WHERE is_default = 1;

CREATE TABLE sessions (
    id                INTEGER PRIMARY KEY,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash        BLOB    NOT NULL UNIQUE,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    active_profile_id INTEGER NOT NULL REFERENCES customer_profiles (id) ON DELETE CASCADE,
    created_at        INTEGER NOT NULL,
    last_seen_at      INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins, for throttling (per account and per client address). Kept in the database so
-- that several server instances share one count.
CREATE TABLE sign_in_failures (
    id               INTEGER PRIMARY KEY,
    email_normalized TEXT    NOT NULL,
    client_addr      TEXT    NOT NULL,
    at               INTEGER NOT NULL
);

CREATE INDEX sign_in_failures_email ON sign_in_failures (email_normalized, at);
CREATE INDEX sign_in_failures_client ON sign_in_failures (client_addr, at);
