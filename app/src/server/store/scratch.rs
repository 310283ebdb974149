//! Throwaway databases for the test suites and the benchmarks, on the backend the environment
//! names: a SQLite file by default; when `PORTAL_TEST_POSTGRES` holds the address of a
//! PostgreSQL server (any database on it that the user may connect to), a new database on that
//! server for each call. Also plain-SQL reads for tests, on either backend.

use std::path::Path;

use sqlx::{
    postgres::PgRow, sqlite::SqliteRow, ConnectOptions, Connection, Decode, FromRow, Postgres,
    Sqlite, Type,
};

use super::{
    accounts::NewMember, mail::NewMail, on_pool, open, tokens::NewToken, DatabaseError, Store,
};
use crate::model::link::LinkPurpose;

/// The variable that moves the tests and benchmarks to PostgreSQL.
pub const POSTGRES_ENV: &str = "PORTAL_TEST_POSTGRES";

/// The PostgreSQL server the tests run on, if the environment names one.
pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// The address of a new, empty database: `portal.db` in `dir`, or a database with a random name
/// on the server of `PORTAL_TEST_POSTGRES`.
pub async fn database_url(dir: &Path) -> Result<String, DatabaseError> {
    let Some(server) = postgres_server() else {
        return Ok(format!("sqlite://{}", dir.join("portal.db").display()));
    };
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|error| {
        DatabaseError::Query(sqlx::Error::Protocol(format!("random source: {error}")))
    })?;
    let name: String = std::iter::once("portal_test_".to_owned())
        .chain(random.iter().map(|byte| format!("{byte:02x}")))
        .collect();
    let options = open::postgres_options(&server)?;
    let mut admin = options.connect().await?;
    sqlx::query(super::built(&format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let mut url = url::Url::parse(&server).map_err(|error| DatabaseError::InvalidUrl {
        url: open::redacted(&server),
        source: sqlx::Error::Configuration(error.into()),
    })?;
    url.set_path(&name);
    Ok(url.to_string())
}

/// A new, empty, migrated database (see `database_url`).
pub async fn open(dir: &Path) -> Result<Store, DatabaseError> {
    Store::open(&database_url(dir).await?).await
}

/// A new SQLite database in `dir`, whatever the environment says: for what only SQLite has.
pub async fn open_sqlite(dir: &Path) -> Result<Store, DatabaseError> {
    Store::open(&format!("sqlite://{}", dir.join("sqlite.db").display())).await
}

/// A member made through the store alone, for tests: signed up at the default location with
/// `password_hash` and a verification message queued, as a sign-up leaves them, but with no
/// session yet. Their user and profile ids.
pub async fn member(
    store: &Store,
    email: &str,
    full_name: &str,
    password_hash: &str,
) -> (i64, i64) {
    let (location_id, _) = store
        .default_location()
        .await
        .expect("reads")
        .expect("a location");
    let verify = NewMail {
        kind: "verify_email",
        recipient: email.to_owned(),
        subject: "Verify your e-mail address".to_owned(),
        text: String::new(),
        html: String::new(),
    };
    let hash = format!("link of {email}");
    let (user_id, profile_id) = store
        .create_member(&NewMember {
            email,
            email_normalized: &email.to_lowercase(),
            password_hash,
            full_name,
            location_id,
            now: 1,
            verification: NewToken {
                token_hash: hash.as_bytes(),
                user_id: 0,
                purpose: LinkPurpose::VerifyEmail,
                email,
                now: 1,
                expires_at: i64::MAX,
            },
            mails: &[verify],
        })
        .await
        .expect("inserts")
        .expect("a new address");
    (user_id, profile_id)
}

/// A value that both backends can decode from a column.
pub trait ColumnValue:
    Send
    + Unpin
    + for<'r> Decode<'r, Sqlite>
    + Type<Sqlite>
    + for<'r> Decode<'r, Postgres>
    + Type<Postgres>
{
}

impl<T> ColumnValue for T where
    T: Send
        + Unpin
        + for<'r> Decode<'r, Sqlite>
        + Type<Sqlite>
        + for<'r> Decode<'r, Postgres>
        + Type<Postgres>
{
}

/// Plain SQL without parameters, for tests and tools that look at the tables directly. The SQL
/// must mean the same on both backends (`TRUE`, not `1`, for a flag).
impl Store {
    /// Runs one statement; how many rows it changed.
    pub async fn execute_sql(&self, sql: &str) -> Result<u64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(super::built(sql))
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
    }

    /// The single value of the first row.
    pub async fn scalar_sql<T>(&self, sql: &str) -> Result<T, sqlx::Error>
    where
        T: ColumnValue,
    {
        on_pool!(self, |pool| sqlx::query_scalar(super::built(sql))
            .fetch_one(pool)
            .await)
    }

    /// The single value of each row.
    pub async fn scalars_sql<T>(&self, sql: &str) -> Result<Vec<T>, sqlx::Error>
    where
        T: ColumnValue,
    {
        on_pool!(self, |pool| sqlx::query_scalar(super::built(sql))
            .fetch_all(pool)
            .await)
    }

    /// The first row, as a tuple.
    pub async fn row_sql<T>(&self, sql: &str) -> Result<T, sqlx::Error>
    where
        T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>,
    {
        on_pool!(self, |pool| sqlx::query_as(super::built(sql))
            .fetch_one(pool)
            .await)
    }
}
