-- The member directory's version: every change to what the directory shows (a profile made
-- public or private, a public profile's name, position, company, industry, tags, website,
-- summary or social handles changed, a public profile added or deleted, also by an account's
-- deletion) moves it on, in the same transaction. A server keeps the directory it read until
-- the version moves, whichever server made the change (see app/src/server/directory.rs).
CREATE TABLE directory_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 0);

CREATE TRIGGER directory_changed_by_insert AFTER INSERT ON customer_profiles
WHEN NEW.profile_is_public
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER directory_changed_by_delete AFTER DELETE ON customer_profiles
WHEN OLD.profile_is_public
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;

-- The columns the directory reads (store/catalog.rs, public_profiles).
CREATE TRIGGER directory_changed_by_update AFTER UPDATE OF profile_is_public, full_name, position, company_name, industry, profile_tags,
    profile_website, profile_summary, twitter, github, instagram, linkedin
    ON customer_profiles
WHEN OLD.profile_is_public OR NEW.profile_is_public
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
