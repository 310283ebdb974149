//! The customer profile: its columns, the typed read of any of its fields, how a change is
//! compared with what is stored, and the statements of one update (the columns that differ, the
//! version, the password, the audit row). The update's statements take a connection of either
//! backend so that the writer can commit them in the transaction it chooses (a group commit on
//! SQLite); on PostgreSQL a change alone is compared and written in one statement.

use std::collections::BTreeMap;

use sqlx::Row;

use super::mail::NewMail;
use super::{on_pool, sessions::StoredSession, Store};
use crate::model::profile::{
    field::{FieldKind, ProfileField},
    patch::StoredValue,
};
use crate::model::security::{EventKind, Origin};

/// The column of a stored field: its name in snake_case, as everywhere in the code. The
/// password fields are not columns of the profile.
pub fn column(field: ProfileField) -> Option<&'static str> {
    use ProfileField::*;
    Some(match field {
        FullName => "full_name",
        NickName => "nick_name",
        Gender => "gender",
        DateOfBirth => "date_of_birth",
        MobilePhone => "mobile_phone",
        LandLine => "land_line",
        Address => "address",
        PostCode => "post_code",
        CityName => "city_name",
        State => "state",
        CountryId => "country_id",
        Position => "position",
        CompanyName => "company_name",
        Industry => "industry",
        ProfileSummary => "profile_summary",
        ProfileWebsite => "profile_website",
        ProfileIsPublic => "profile_is_public",
        ProfileTags => "profile_tags",
        Twitter => "twitter",
        Github => "github",
        Instagram => "instagram",
        Linkedin => "linkedin",
        BillingName => "billing_name",
        BillingEmail => "billing_email",
        BillingAddress => "billing_address",
        BillingPostCode => "billing_post_code",
        BillingCityName => "billing_city_name",
        BillingState => "billing_state",
        BillingCountryId => "billing_country_id",
        TaxIdNumber => "tax_id_number",
        NotifyOnHelpDeskReplies => "notify_on_help_desk_replies",
        NotifyOnCommunityBoardPosts => "notify_on_community_board_posts",
        NotifyOnBlogComments => "notify_on_blog_comments",
        NotifyOnEventComments => "notify_on_event_comments",
        ReceiveActivityDigest => "receive_activity_digest",
        SignUpToNewsletter => "sign_up_to_newsletter",
        NotifyOnNewSignIn => "notify_on_new_sign_in",
        // Checked and hashed, never stored as sent.
        CurrentPassword | NewPassword | ConfirmPassword | TwoFactorCode => return None,
    })
}

/// Every field stored in a profile column, in wire order.
pub fn stored_fields() -> impl Iterator<Item = ProfileField> {
    ProfileField::ALL
        .iter()
        .copied()
        .filter(|field| column(*field).is_some())
}

/// A profile as stored: its id, its version (for the ETag) and the fields that were read,
/// each with its value (`None`: empty).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredProfile {
    pub id: i64,
    pub version: i64,
    pub values: BTreeMap<ProfileField, Option<StoredValue>>,
}

/// Reads `field` from its column of `row`, as the value its kind stores.
macro_rules! read_value {
    ($row:expr, $field:expr, $column:expr) => {
        match $field.kind() {
            FieldKind::Flag => $row
                .try_get::<bool, _>($column)
                .map(|flag| Some(StoredValue::Flag(flag))),
            FieldKind::CountryId => $row
                .try_get::<Option<i64>, _>($column)
                .map(|id| id.map(StoredValue::Integer)),
            _ => $row
                .try_get::<Option<String>, _>($column)
                .map(|text| text.map(StoredValue::Text)),
        }
    };
}

impl Store {
    /// Profile `profile_id` of `user_id` with `fields` of its columns, or `None` if that member
    /// has no such profile.
    pub async fn profile(
        &self,
        profile_id: i64,
        user_id: i64,
        fields: impl Iterator<Item = ProfileField>,
    ) -> Result<Option<StoredProfile>, sqlx::Error> {
        let wanted = wanted_columns(fields);
        let mut sql = String::from("SELECT p.id, p.version");
        push_columns(&mut sql, &wanted);
        sql.push_str(" FROM customer_profiles p WHERE p.id = $1 AND p.user_id = $2");
        on_pool!(self, |pool| {
            let Some(row) = sqlx::query(super::built(&sql))
                .bind(profile_id)
                .bind(user_id)
                .fetch_optional(pool)
                .await?
            else {
                return Ok(None);
            };
            let mut values = BTreeMap::new();
            for (field, column) in &wanted {
                values.insert(*field, read_value!(row, field, *column)?);
            }
            Ok(Some(StoredProfile {
                id: row.try_get("id")?,
                version: row.try_get("version")?,
                values,
            }))
        })
    }
}

/// The live session with a token hash (`$1`) at a time (`$2`) and the `wanted` columns of its
/// active profile (`id` is `NULL` when that profile is gone), in one query: what SQLite's
/// writer reads before it changes a profile for a session (`direct::session_with_profile`).
pub(super) fn session_with_profile_sql(wanted: &[(ProfileField, &str)]) -> String {
    let mut sql = String::from(
        "SELECT s.id AS session_id, s.user_id AS session_user_id, s.active_profile_id,
                s.last_seen_at, s.expires_at, s.cookie_issued_at, p.id, p.version",
    );
    push_columns(&mut sql, wanted);
    sql.push_str(
        " FROM sessions s
          LEFT JOIN customer_profiles p ON p.id = s.active_profile_id AND p.user_id = s.user_id
          WHERE s.token_hash = $1 AND s.expires_at > $2",
    );
    sql
}

/// The stored columns of `fields` (a new password has none).
pub(super) fn wanted_columns(
    fields: impl Iterator<Item = ProfileField>,
) -> Vec<(ProfileField, &'static str)> {
    fields
        .filter_map(|field| column(field).map(|column| (field, column)))
        .collect()
}

/// `, p.column` for each of `wanted`.
fn push_columns(sql: &mut String, wanted: &[(ProfileField, &str)]) {
    for (_, column) in wanted {
        sql.push_str(", p.");
        sql.push_str(column);
    }
}

/// A change compared with what is stored, ready to be written: its values narrowed to the
/// fields whose value differs (`ProfileChange::against`).
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileWrite {
    /// The change, with only the values that differ.
    pub change: ProfileChange,
    /// Wire names of the changed fields, for the audit row.
    pub changed_fields: String,
}

/// Binds `$value`, a stored value of `$field`, to a `QueryBuilder` of either backend; a cleared
/// value is still typed, as PostgreSQL wants.
macro_rules! push_value {
    ($query:expr, $field:expr, $value:expr) => {
        match $value {
            Some(StoredValue::Text(text)) => $query.push_bind(text.clone()),
            Some(StoredValue::Integer(number)) => $query.push_bind(*number),
            Some(StoredValue::Flag(flag)) => $query.push_bind(*flag),
            None if $field.kind() == FieldKind::CountryId => $query.push_bind(None::<i64>),
            None => $query.push_bind(None::<String>),
        }
    };
}

/// Appends `UPDATE customer_profiles SET ...` for `$write` at time `$now` to a `QueryBuilder`
/// of either backend: the named columns, the next version, and the conditions (this member's
/// profile, at the expected version if one is given).
macro_rules! push_update {
    ($query:expr, $write:expr, $now:expr) => {
        $query.push("UPDATE customer_profiles SET ");
        for (field, value) in &$write.change.values {
            let Some(column) = column(*field) else {
                continue;
            };
            $query.push(column).push(" = ");
            push_value!($query, field, value);
            $query.push(", ");
        }
        $query
            .push("version = version + 1, updated_at = ")
            .push_bind($now);
        $query
            .push(" WHERE id = ")
            .push_bind($write.change.profile_id);
        $query
            .push(" AND user_id = ")
            .push_bind($write.change.user_id);
        if let Some(version) = $write.change.expected_version {
            $query.push(" AND version = ").push_bind(version);
        }
    };
}

/// The statements of an update, for the connections of one backend.
macro_rules! write_statements {
    ($backend:ident, $database:ty, $connection:ty) => {
        pub mod $backend {
            use sqlx::QueryBuilder;

            use super::{column, ProfileWrite};
            use crate::model::profile::{field::FieldKind, patch::StoredValue};

            /// Writes `write` on `connection` (inside the caller's transaction): its new version,
            /// or `None` when the profile no longer has the expected version (nothing written).
            pub async fn apply(
                connection: &mut $connection,
                write: &ProfileWrite,
                now: i64,
            ) -> Result<Option<i64>, sqlx::Error> {
                let mut query = QueryBuilder::<$database>::new("");
                push_update!(query, write, now);
                query.push(" RETURNING version");
                let Some(version) = query
                    .build_query_scalar::<i64>()
                    .fetch_optional(&mut *connection)
                    .await?
                else {
                    return Ok(None);
                };
                if let Some(password) = &write.change.password {
                    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                        .bind(&password.hash)
                        .bind(write.change.user_id)
                        .execute(&mut *connection)
                        .await?;
                    // Every other device signs in again; this session stays.
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
                        .bind(write.change.user_id)
                        .bind(write.change.session_id)
                        .execute(&mut *connection)
                        .await?;
                    crate::server::store::mail::insert_mail!(
                        &mut *connection,
                        &password.notice,
                        now
                    )?;
                }
                Ok(Some(version))
            }

            /// One audit row per written update, in one statement for them all.
            pub async fn audit(
                connection: &mut $connection,
                writes: &[&ProfileWrite],
                now: i64,
            ) -> Result<(), sqlx::Error> {
                if writes.is_empty() {
                    return Ok(());
                }
                let mut query = QueryBuilder::<$database>::new(
                    "INSERT INTO profile_audit (profile_id, at, actor_user_id, changed_fields) ",
                );
                query.push_values(writes, |mut row, write| {
                    row.push_bind(write.change.profile_id)
                        .push_bind(now)
                        .push_bind(write.change.user_id)
                        .push_bind(write.changed_fields.clone());
                });
                query.build().execute(&mut *connection).await?;
                // The member's security log, with where each change came from.
                let mut query = QueryBuilder::<$database>::new(
                    "INSERT INTO security_events \
                     (user_id, at, kind, detail, user_agent, client_addr) ",
                );
                query.push_values(writes, |mut row, write| {
                    row.push_bind(write.change.user_id)
                        .push_bind(now)
                        .push_bind($crate::model::security::EventKind::ProfileChanged.as_str())
                        .push_bind(write.changed_fields.clone())
                        .push_bind(write.change.origin.user_agent.clone())
                        .push_bind(write.change.origin.client_addr.clone());
                });
                query.build().execute(&mut *connection).await?;
                Ok(())
            }
        }
    };
}

write_statements!(sqlite, sqlx::Sqlite, sqlx::SqliteConnection);
write_statements!(postgres, sqlx::Postgres, sqlx::PgConnection);

/// A validated change of a profile, before it is compared with what is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileChange {
    pub profile_id: i64,
    pub user_id: i64,
    /// The session making the change (the one kept when the password changes).
    pub session_id: i64,
    /// Every stored field sent, with its new value (`None` clears it), in the order sent.
    pub values: Vec<(ProfileField, Option<StoredValue>)>,
    /// Write only if the profile still has this version (`If-Match`).
    pub expected_version: Option<i64>,
    /// A new password: stored, every other session of the user ends, its notice is queued.
    pub password: Option<NewPassword>,
    /// Where the change came from, for the audit row.
    pub origin: Origin,
}

/// A new password as it is written: its hash, and the message that tells the member (queued in
/// the same transaction).
#[derive(Clone, Debug, PartialEq)]
pub struct NewPassword {
    /// The PHC string.
    pub hash: String,
    pub notice: NewMail,
}

/// What a change did.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeOutcome {
    /// Written: the profile's new version and the fields whose value changed.
    Written {
        version: i64,
        changed: Vec<ProfileField>,
    },
    /// Every value sent was stored already and no password came: nothing was written.
    Unchanged { version: i64 },
    /// The profile no longer has the expected version: nothing was written.
    Stale,
    /// The member has no such profile.
    Missing,
}

impl ProfileChange {
    /// The update to write, from comparing the change with `current` (the profile with at
    /// least the fields it sends): only the fields whose value differs. When there is nothing
    /// to write, the outcome instead.
    pub fn against(&self, current: &StoredProfile) -> Result<ProfileWrite, ChangeOutcome> {
        if self
            .expected_version
            .is_some_and(|expected| expected != current.version)
        {
            return Err(ChangeOutcome::Stale);
        }
        let assignments: Vec<(ProfileField, Option<StoredValue>)> = self
            .values
            .iter()
            .filter(|(field, value)| current.values.get(field) != Some(value))
            .cloned()
            .collect();
        if assignments.is_empty() && self.password.is_none() {
            return Err(ChangeOutcome::Unchanged {
                version: current.version,
            });
        }
        let mut names: Vec<&str> = assignments.iter().map(|(f, _)| f.wire_name()).collect();
        if self.password.is_some() {
            names.push(PASSWORD_CHANGED);
        }
        Ok(ProfileWrite {
            // Field by field: `..self.clone()` would copy every sent value only to drop it.
            change: ProfileChange {
                profile_id: self.profile_id,
                user_id: self.user_id,
                session_id: self.session_id,
                values: assignments,
                expected_version: self.expected_version,
                password: self.password.clone(),
                origin: self.origin.clone(),
            },
            changed_fields: names.join(","),
        })
    }
}

impl ProfileWrite {
    /// The fields it writes.
    pub fn fields(&self) -> Vec<ProfileField> {
        self.change.values.iter().map(|(field, _)| *field).collect()
    }
}

/// How a new password is named in the audit and in the list of changed fields.
pub const PASSWORD_CHANGED: &str = "Password";

/// A change on its own in one PostgreSQL statement, which compares it with what is stored as
/// it writes: `old` locks the profile's row and reads the sent fields' stored values, `updated`
/// writes the sent columns and the next version only if some value differs (or a password
/// came) and the expected version holds, and the other data-modifying `WITH` clauses write the
/// audit row (naming only the fields that differed) and, for a new password, store it and end
/// the member's other sessions; all or nothing, in one round trip and without an explicit
/// transaction. The row lock matters: under READ COMMITTED `FOR UPDATE` waits for a concurrent
/// update of the row and then reads what it committed, so the comparison and `If-Match` see
/// the latest version, across instances.
pub async fn change_alone_postgres(
    connection: &mut sqlx::PgConnection,
    change: &ProfileChange,
    now: i64,
) -> Result<ChangeOutcome, sqlx::Error> {
    let password = change
        .password
        .as_ref()
        .map(|password| (password, change.user_id, change.session_id));
    let statement = ChangeStatement {
        owner: Owner::Profile {
            profile_id: change.profile_id,
            user_id: change.user_id,
        },
        values: sent_columns(&change.values),
        expected_version: change.expected_version,
        expected_profile: None,
        password,
        origin: &change.origin,
        now,
    };
    let mut query = statement.query();
    let Some(row) = query.build().fetch_optional(connection).await? else {
        return Ok(ChangeOutcome::Missing);
    };
    statement.outcome(&row, change.profile_id)
}

/// A change sent with a session token, on PostgreSQL in one statement that also checks the
/// session: the live session with `token_hash` (expiring after `now`), then the change of its
/// active profile as `change_alone_postgres` makes it. `None` when there is no such session
/// (nothing written). `expected`: the profile and version `If-Match` names, if any (a tag of
/// something else asks for version -1, which never exists). Never a password: checking the
/// current one needs the member first.
pub async fn change_by_session_postgres(
    connection: &mut sqlx::PgConnection,
    token_hash: &[u8],
    values: &[(ProfileField, Option<StoredValue>)],
    expected: Option<(Option<i64>, i64)>,
    now: i64,
    origin: &Origin,
) -> Result<Option<(StoredSession, ChangeOutcome)>, sqlx::Error> {
    let statement = ChangeStatement {
        owner: Owner::Session { token_hash },
        values: sent_columns(values),
        expected_version: expected.map(|(_, version)| version),
        expected_profile: expected.and_then(|(profile, _)| profile),
        password: None,
        origin,
        now,
    };
    let mut query = statement.query();
    let Some(row) = query.build().fetch_optional(connection).await? else {
        return Ok(None);
    };
    let at = 2 + statement.values.len();
    let session = StoredSession {
        id: row.try_get(at)?,
        user_id: row.try_get(at + 1)?,
        active_profile_id: row.try_get(at + 2)?,
        last_seen_at: row.try_get(at + 3)?,
        expires_at: row.try_get(at + 4)?,
        cookie_issued_at: row.try_get(at + 5)?,
    };
    let outcome = statement.outcome(&row, session.active_profile_id)?;
    Ok(Some((session, outcome)))
}

/// The sent fields that are columns (all but the password fields), with their columns.
fn sent_columns(
    values: &[(ProfileField, Option<StoredValue>)],
) -> Vec<(ProfileField, &'static str, &Option<StoredValue>)> {
    values
        .iter()
        .filter_map(|(field, value)| column(*field).map(|column| (*field, column, value)))
        .collect()
}

/// Whose profile a change statement changes.
enum Owner<'a> {
    /// This profile, if it is this member's.
    Profile { profile_id: i64, user_id: i64 },
    /// The active profile of the live session with this token hash.
    Session { token_hash: &'a [u8] },
}

/// The one PostgreSQL statement of a change (see `change_alone_postgres`).
struct ChangeStatement<'a> {
    owner: Owner<'a>,
    /// The sent fields that are columns, with their columns and new values.
    values: Vec<(ProfileField, &'static str, &'a Option<StoredValue>)>,
    expected_version: Option<i64>,
    /// Write only if the profile is this one (`If-Match` named it before the session was known).
    expected_profile: Option<i64>,
    /// A new password, the member, and the session that stays signed in.
    password: Option<(&'a NewPassword, i64, i64)>,
    /// Where the change came from, for the audit row.
    origin: &'a Origin,
    now: i64,
}

impl ChangeStatement<'_> {
    /// The statement. Its row: the stored version (`NULL`: no such profile), the new version
    /// (`NULL`: nothing written), whether each sent field changed, then, for a session owner,
    /// the session's columns; no row when the owner is not found.
    fn query(&self) -> sqlx::QueryBuilder<sqlx::Postgres> {
        let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new("WITH ");
        if let Owner::Session { token_hash } = self.owner {
            query.push(
                "s AS (SELECT id AS s_id, user_id AS s_user, active_profile_id AS s_profile, \
                 last_seen_at AS s_seen, expires_at AS s_expires, cookie_issued_at AS s_cookie \
                 FROM sessions WHERE token_hash = ",
            );
            query.push_bind(token_hash.to_vec());
            query
                .push(" AND expires_at > ")
                .push_bind(self.now)
                .push("), ");
        }
        query.push("old AS (SELECT id AS old_id, user_id AS old_user, version AS old_version");
        for (index, (_, column, _)) in self.values.iter().enumerate() {
            query.push(format_args!(", {column} AS old_{index}"));
        }
        match self.owner {
            Owner::Profile {
                profile_id,
                user_id,
            } => {
                query.push(" FROM customer_profiles WHERE id = ");
                query.push_bind(profile_id);
                query.push(" AND user_id = ").push_bind(user_id);
                query.push(" FOR UPDATE)");
            }
            Owner::Session { .. } => {
                query.push(
                    " FROM customer_profiles JOIN s ON id = s_profile AND user_id = s_user \
                     FOR UPDATE OF customer_profiles)",
                );
            }
        }
        query.push(", updated AS (UPDATE customer_profiles SET ");
        for (field, column, value) in &self.values {
            query.push(format_args!("{column} = "));
            push_value!(query, field, value);
            query.push(", ");
        }
        query
            .push("version = version + 1, updated_at = ")
            .push_bind(self.now);
        query.push(" FROM old WHERE id = old_id");
        if let Some(version) = self.expected_version {
            query.push(" AND old_version = ").push_bind(version);
        }
        if let Some(profile) = self.expected_profile {
            query.push(" AND old_id = ").push_bind(profile);
        }
        if self.password.is_none() {
            query.push(" AND (FALSE");
            for (index, (field, _, value)) in self.values.iter().enumerate() {
                query.push(format_args!(" OR old_{index} IS DISTINCT FROM "));
                push_value!(query, field, value);
            }
            query.push(")");
        }
        query.push(" RETURNING version");
        for (index, (_, column, _)) in self.values.iter().enumerate() {
            query.push(format_args!(
                ", old_{index} IS DISTINCT FROM {column} AS changed_{index}"
            ));
        }
        query.push("), audited AS (INSERT INTO profile_audit ");
        query.push("(profile_id, at, actor_user_id, changed_fields) SELECT old_id, ");
        // The NULL keeps the call valid when nothing was sent (and it joins nothing).
        query
            .push_bind(self.now)
            .push(", old_user, concat_ws(',', NULL::text");
        for (index, (field, _, _)) in self.values.iter().enumerate() {
            query.push(format_args!(", CASE WHEN changed_{index} THEN "));
            query.push_bind(field.wire_name()).push("::text END");
        }
        if self.password.is_some() {
            query.push(", ").push_bind(PASSWORD_CHANGED).push("::text");
        }
        query.push(") FROM updated, old RETURNING actor_user_id, changed_fields)");
        // The member's security log, with where the change came from.
        query.push(
            ", logged AS (INSERT INTO security_events \
             (user_id, at, kind, detail, user_agent, client_addr) SELECT actor_user_id, ",
        );
        query
            .push_bind(self.now)
            .push(", ")
            .push_bind(EventKind::ProfileChanged.as_str())
            .push(", changed_fields, ")
            .push_bind(self.origin.user_agent.clone())
            .push(", ")
            .push_bind(self.origin.client_addr.clone())
            .push(" FROM audited)");
        if let Some((password, user_id, session_id)) = self.password {
            query.push(", new_password AS (UPDATE users SET password_hash = ");
            query.push_bind(password.hash.clone());
            query.push(" WHERE id = ").push_bind(user_id);
            query.push(" AND EXISTS (SELECT 1 FROM updated))");
            // Every other device signs in again; this session stays.
            query.push(", signed_out AS (DELETE FROM sessions WHERE user_id = ");
            query.push_bind(user_id);
            query.push(" AND id <> ").push_bind(session_id);
            query.push(" AND EXISTS (SELECT 1 FROM updated))");
            let notice = &password.notice;
            query.push(
                ", notice AS (INSERT INTO outgoing_mail (kind, recipient, subject, text_body, \
                 html_body, created_at, next_attempt_at) SELECT ",
            );
            query.push_bind(notice.kind).push(", ");
            query.push_bind(notice.recipient.clone()).push(", ");
            query.push_bind(notice.subject.clone()).push(", ");
            query.push_bind(notice.text.clone()).push(", ");
            query.push_bind(notice.html.clone()).push(", ");
            query.push_bind(self.now).push(", ");
            query.push_bind(self.now);
            query.push(" WHERE EXISTS (SELECT 1 FROM updated))");
        }
        query.push(" SELECT old_version, version");
        for index in 0..self.values.len() {
            query.push(format_args!(", changed_{index}"));
        }
        match self.owner {
            Owner::Profile { .. } => query.push(" FROM old LEFT JOIN updated ON TRUE"),
            Owner::Session { .. } => query.push(
                ", s_id, s_user, s_profile, s_seen, s_expires, s_cookie \
                 FROM s LEFT JOIN old ON TRUE LEFT JOIN updated ON TRUE",
            ),
        };
        query
    }

    /// What the statement's row says happened to profile `profile_id`.
    fn outcome(
        &self,
        row: &sqlx::postgres::PgRow,
        profile_id: i64,
    ) -> Result<ChangeOutcome, sqlx::Error> {
        let Some(old_version) = row.try_get::<Option<i64>, _>(0)? else {
            return Ok(ChangeOutcome::Missing);
        };
        let Some(version) = row.try_get::<Option<i64>, _>(1)? else {
            let stale = self.expected_version.is_some_and(|v| v != old_version)
                || self.expected_profile.is_some_and(|p| p != profile_id);
            return Ok(if stale {
                ChangeOutcome::Stale
            } else {
                ChangeOutcome::Unchanged {
                    version: old_version,
                }
            });
        };
        let mut changed = Vec::new();
        for (index, (field, _, _)) in self.values.iter().enumerate() {
            if row.try_get::<Option<bool>, _>(index + 2)? == Some(true) {
                changed.push(*field);
            }
        }
        Ok(ChangeOutcome::Written { version, changed })
    }
}
