-- The support profile of seed 000: the contact details a member's own customers use for help.
-- One per user, created empty on first read, replaced whole by PUT.
CREATE TABLE support_profiles (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT,
    telephone  TEXT,
    website    TEXT,
    -- Bumped by every replacement that changes something; the ETag is built from it.
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);

-- Every accepted replacement: who, when, and which fields changed (names only).
CREATE TABLE support_profile_audit (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at             INTEGER NOT NULL,
    actor_user_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    changed_fields TEXT    NOT NULL
);

CREATE INDEX support_profile_audit_user ON support_profile_audit (user_id, at);
