//! The statements of SQLite's profile writer, run synchronously through rusqlite on the
//! writer's own thread (see `server::profiles::sqlite_writer`): the same SQL as the sqlx
//! statements in `profiles`, without a round trip to a connection's worker thread per statement.
//!
//! Why SQLite's writer keeps its own copy of the update and audit statements, measured: sqlx
//! runs each SQLite connection on a thread of its own, so every statement is two thread
//! wake-ups, and at 8 clients more than half of the server's samples were the kernel's context
//! switches. On this thread a PATCH is one hand-off to the writer and one answer back; the peer
//! bench's PATCH went from 1.37x and 2.28x the Node peer's requests (at 8 and 64 clients) to
//! 2.79x to 4.30x in four runs (docs/performance.md). The writer tests (`profile_writer/tests.rs`)
//! run the same checks through both copies (`WriteMode::Batched` and `WriteMode::EachAlone`).

use std::{path::Path, time::Duration};

use rusqlite::{types::Value, Connection, OpenFlags, OptionalExtension, Row};

use super::{
    open::BUSY_TIMEOUT,
    profiles::{column, session_with_profile_sql, wanted_columns, ProfileWrite, StoredProfile},
    sessions::StoredSession,
};
use crate::model::profile::{
    field::{FieldKind, ProfileField},
    patch::StoredValue,
};
use crate::model::security::EventKind;

/// Prepared statements kept per connection: the session read and the update differ by the
/// fields sent, the audit inserts by the size of the batch.
const STATEMENT_CACHE: usize = 128;

/// The size the write-ahead log file is cut back to when the writer starts it over, so a burst
/// does not leave a large file behind: bigger than what the writer appends between two
/// checkpoints at full speed (about 50 MB on 2 cores), so it is not cut and grown again each
/// time.
const WAL_SIZE_LIMIT: i64 = 64 << 20;

/// A write connection to the database file at `path` (which the pool has created and
/// migrated), with the pool's settings, and no automatic checkpoints: one would run inside a
/// commit, while the batch's requests wait for their answers; the writer checkpoints after
/// answering them (see `sqlite_writer::checkpoint`). When it starts the log over, SQLite cuts
/// the file back to `WAL_SIZE_LIMIT`.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    open_with(path, BUSY_TIMEOUT)
}

/// As `open`, waiting at most `busy_timeout` for SQLite's write lock.
pub fn open_with(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(busy_timeout)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.pragma_update(None, "wal_autocheckpoint", 0)?;
    connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(connection)
}

/// The live session with `token_hash` at `now` and `fields` of its active profile (`None`
/// when that profile is gone), as `Store::profile` reads a profile.
pub fn session_with_profile(
    connection: &Connection,
    token_hash: &[u8],
    now: i64,
    fields: impl Iterator<Item = ProfileField>,
) -> rusqlite::Result<Option<(StoredSession, Option<StoredProfile>)>> {
    let wanted = wanted_columns(fields);
    let mut statement = connection.prepare_cached(&session_with_profile_sql(&wanted))?;
    statement
        .query_row((token_hash, now), |row| {
            let session = StoredSession {
                id: row.get("session_id")?,
                user_id: row.get("session_user_id")?,
                active_profile_id: row.get("active_profile_id")?,
                last_seen_at: row.get("last_seen_at")?,
                expires_at: row.get("expires_at")?,
                cookie_issued_at: row.get("cookie_issued_at")?,
            };
            let Some(id) = row.get::<_, Option<i64>>("id")? else {
                return Ok((session, None));
            };
            let mut values = std::collections::BTreeMap::new();
            for (field, column) in &wanted {
                values.insert(*field, read_value(row, *field, column)?);
            }
            let version = row.get("version")?;
            Ok((
                session,
                Some(StoredProfile {
                    id,
                    version,
                    values,
                }),
            ))
        })
        .optional()
}

/// `field`'s stored value in `column` of `row`, as its kind stores it.
fn read_value(
    row: &Row,
    field: ProfileField,
    column: &str,
) -> rusqlite::Result<Option<StoredValue>> {
    Ok(match field.kind() {
        FieldKind::Flag => Some(StoredValue::Flag(row.get(column)?)),
        FieldKind::CountryId => row.get::<_, Option<i64>>(column)?.map(StoredValue::Integer),
        _ => row.get::<_, Option<String>>(column)?.map(StoredValue::Text),
    })
}

/// A stored value as SQLite binds it (a flag is 0 or 1, as sqlx binds it).
fn bound(value: &Option<StoredValue>) -> Value {
    match value {
        Some(StoredValue::Text(text)) => Value::Text(text.clone()),
        Some(StoredValue::Integer(number)) => Value::Integer(*number),
        Some(StoredValue::Flag(flag)) => Value::Integer(i64::from(*flag)),
        None => Value::Null,
    }
}

/// Writes `write` (inside the caller's transaction; never a password, which the pool's
/// writer stores): its new version, or `None` when the profile no longer has the expected
/// version (nothing written).
pub fn apply(
    connection: &Connection,
    write: &ProfileWrite,
    now: i64,
) -> rusqlite::Result<Option<i64>> {
    let mut sql = String::from("UPDATE customer_profiles SET ");
    let mut values = Vec::with_capacity(write.change.values.len() + 4);
    for (field, value) in &write.change.values {
        let Some(column) = column(*field) else {
            continue;
        };
        sql.push_str(column);
        sql.push_str(" = ?, ");
        values.push(bound(value));
    }
    sql.push_str("version = version + 1, updated_at = ? WHERE id = ? AND user_id = ?");
    values.extend([
        Value::Integer(now),
        Value::Integer(write.change.profile_id),
        Value::Integer(write.change.user_id),
    ]);
    if let Some(version) = write.change.expected_version {
        sql.push_str(" AND version = ?");
        values.push(Value::Integer(version));
    }
    sql.push_str(" RETURNING version");
    connection
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(values), |row| row.get(0))
        .optional()
}

/// One audit row and one security-log entry per written update, in one statement each.
pub fn audit(connection: &Connection, writes: &[&ProfileWrite], now: i64) -> rusqlite::Result<()> {
    if writes.is_empty() {
        return Ok(());
    }
    let rows = |columns: usize| {
        let row = format!("({})", vec!["?"; columns].join(", "));
        vec![row; writes.len()].join(", ")
    };
    let audit = format!(
        "INSERT INTO profile_audit (profile_id, at, actor_user_id, changed_fields) VALUES {}",
        rows(4)
    );
    let values = writes.iter().flat_map(|write| {
        [
            Value::Integer(write.change.profile_id),
            Value::Integer(now),
            Value::Integer(write.change.user_id),
            Value::Text(write.changed_fields.clone()),
        ]
    });
    connection
        .prepare_cached(&audit)?
        .execute(rusqlite::params_from_iter(values))?;
    let log = format!(
        "INSERT INTO security_events (user_id, at, kind, detail, user_agent, client_addr) VALUES {}",
        rows(6)
    );
    let values = writes.iter().flat_map(|write| {
        [
            Value::Integer(write.change.user_id),
            Value::Integer(now),
            Value::Text(EventKind::ProfileChanged.as_str().to_owned()),
            Value::Text(write.changed_fields.clone()),
            Value::Text(write.change.origin.user_agent.clone()),
            Value::Text(write.change.origin.client_addr.clone()),
        ]
    });
    connection
        .prepare_cached(&log)?
        .execute(rusqlite::params_from_iter(values))?;
    Ok(())
}
