-- Locations (coworking spaces). Each carries its own password policy (SPEC 3.4): the policy is
-- data, not code, so a space can tighten it without a release.
CREATE TABLE locations (
    id                        INTEGER PRIMARY KEY,
    name                      TEXT    NOT NULL UNIQUE,
    is_default                INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    password_min_length       INTEGER NOT NULL DEFAULT 8   CHECK (password_min_length >= 8),
    password_max_length       INTEGER NOT NULL DEFAULT 128 CHECK (password_max_length >= 64
                                                                 AND password_max_length >= password_min_length),
    password_require_digit    INTEGER NOT NULL DEFAULT 0 CHECK (password_require_digit IN (0, 1)),
    password_require_upper    INTEGER NOT NULL DEFAULT 0 CHECK (password_require_upper IN (0, 1)),
    password_require_lower    INTEGER NOT NULL DEFAULT 0 CHECK (password_require_lower IN (0, 1)),
    password_require_symbol   INTEGER NOT NULL DEFAULT 0 CHECK (password_require_symbol IN (0, 1))
);

-- At most one default location: the one sign-up places new members in.
CREATE UNIQUE INDEX locations_single_default ON locations (is_default) WHERE is_default = 1;

INSERT INTO locations (id, name, is_default) VALUES (1, 'Main space', 1);
