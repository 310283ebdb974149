-- Drafts of the profile summary a member asked for, kept for an hour: the per-member quota.
-- Only the time is kept; the drafts themselves are never stored.
CREATE TABLE summary_drafts (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at      INTEGER NOT NULL
);

CREATE INDEX summary_drafts_user ON summary_drafts (user_id, at);
CREATE INDEX summary_drafts_at ON summary_drafts (at);
