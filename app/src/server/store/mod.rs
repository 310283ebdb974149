//! The storage seam: every SQL statement of the portal, for SQLite and PostgreSQL side by side.
//! Services call a `Store` with domain values and get domain values back.
//!
//! A `Store` is an enum over the two pools (as vaultwarden's `db` is): one binary serves either
//! backend, chosen by `DATABASE_URL` at start-up, with no trait objects and no boxed futures on
//! the hot paths. Most statements are one text for both: `$1`-style placeholders (SQLite takes
//! them too), `RETURNING`, `ON CONFLICT`, `TRUE`/`FALSE`. The `on_pool!` macro expands a body once
//! per pool, so each expansion is checked against that backend's concrete types; where the two
//! dialects differ (transactions that take SQLite's write lock, pragmas, the catalog), the
//! methods say so in their own match arms.

pub mod account_data;
pub mod accounts;
pub mod backup;
pub mod catalog;
pub mod copy;
pub mod direct;
pub mod events;
pub mod keys;
pub mod mail;
pub mod open;
pub mod operator;
pub mod passkeys;
pub mod profiles;
pub mod schema;
pub mod scratch;
pub mod security_log;
pub mod sessions;
pub mod support;
pub mod tokens;
pub mod two_factor;

pub use open::DatabaseError;

use sqlx::{PgPool, SqlitePool};

/// Which database a `Store` talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database of the portal: a pool of SQLite or of PostgreSQL connections. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A statement this module put together from its own constants, table and column names (what
/// a request sends is always bound as a value, never spliced in), which sqlx asks us to vouch
/// for before it runs text that is not a `&'static str`.
fn built(sql: &str) -> sqlx::AssertSqlSafe<&str> {
    sqlx::AssertSqlSafe(sql)
}

/// Runs `$body` with `$pool` bound to the store's pool, whichever backend it is. The body is
/// compiled once per backend; both expansions must produce the same type. (Exported for the
/// benchmark's baseline server, which runs its own SQL on the portal's store.)
#[macro_export]
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::server::store::Store::Sqlite($pool) => $body,
            $crate::server::store::Store::Postgres($pool) => $body,
        }
    };
}
pub use crate::on_pool;

impl Store {
    /// Opens `url` (`postgres://...`, `sqlite://...` or a file path) and applies its migrations.
    pub async fn open(url: &str) -> Result<Store, DatabaseError> {
        open::open(url).await
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Answers whether the database accepts queries (for the health check).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(drop))
    }

    /// The pool's open connections and how many of them are idle.
    pub fn pool_use(&self) -> (u32, usize) {
        on_pool!(self, |pool| (pool.size(), pool.num_idle()))
    }

    /// Waits for the connections in use to be returned, then closes them all.
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    /// Deletes the rows of `table` whose time `at` is at or before `cutoff`; how many went.
    pub async fn delete_older(&self, table: &'static str, cutoff: i64) -> Result<u64, sqlx::Error> {
        let sql = format!("DELETE FROM {table} WHERE at <= $1");
        on_pool!(self, |pool| sqlx::query(built(&sql))
            .bind(cutoff)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
    }
}
