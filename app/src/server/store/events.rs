//! Tables of timed events that rate limits count: `password_failures`, `sign_ups`,
//! `summary_drafts`. Each has an `id`, the time `at` in Unix seconds, and key columns.

use super::{on_pool, Store};

/// The value of one key column of an event.
#[derive(Clone, Copy, Debug)]
pub enum Key<'a> {
    Text(&'a str),
    Id(i64),
}

/// Binds a key column's value, whichever type it has.
macro_rules! bind_key {
    ($query:expr, $key:expr) => {
        match $key {
            Key::Text(text) => $query.bind(text),
            Key::Id(id) => $query.bind(id),
        }
    };
}

impl Store {
    /// Inserts an event at `at` with these key columns and values; its id.
    pub async fn insert_event(
        &self,
        table: &'static str,
        keys: &[(&'static str, Key<'_>)],
        at: i64,
    ) -> Result<i64, sqlx::Error> {
        let columns: Vec<&str> = keys.iter().map(|(column, _)| *column).collect();
        let placeholders: Vec<String> = (1..=keys.len() + 1).map(|n| format!("${n}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}, at) VALUES ({}) RETURNING id",
            columns.join(", "),
            placeholders.join(", ")
        );
        on_pool!(self, |pool| {
            let mut query = sqlx::query_scalar(super::built(&sql));
            for (_, key) in keys {
                query = bind_key!(query, *key);
            }
            query.bind(at).fetch_one(pool).await
        })
    }

    pub async fn delete_event(&self, table: &'static str, id: i64) -> Result<(), sqlx::Error> {
        let sql = format!("DELETE FROM {table} WHERE id = $1");
        on_pool!(self, |pool| sqlx::query(super::built(&sql))
            .bind(id)
            .execute(pool)
            .await
            .map(drop))
    }

    /// The time of the event `offset` places behind the most recent one after `since` whose
    /// `column` holds `key`, if there is one.
    pub async fn nth_recent_event(
        &self,
        table: &'static str,
        (column, key): (&'static str, Key<'_>),
        since: i64,
        offset: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let sql = format!(
            "SELECT at FROM {table} WHERE {column} = $1 AND at > $2
             ORDER BY at DESC, id DESC LIMIT 1 OFFSET $3"
        );
        on_pool!(self, |pool| {
            let query = sqlx::query_scalar(super::built(&sql));
            bind_key!(query, key)
                .bind(since)
                .bind(offset)
                .fetch_optional(pool)
                .await
        })
    }

    /// Forgets every event of `table` whose `column` holds `key`.
    pub async fn delete_events_of(
        &self,
        table: &'static str,
        (column, key): (&'static str, Key<'_>),
    ) -> Result<(), sqlx::Error> {
        let sql = format!("DELETE FROM {table} WHERE {column} = $1");
        on_pool!(self, |pool| {
            let query = sqlx::query(super::built(&sql));
            bind_key!(query, key).execute(pool).await.map(drop)
        })
    }
}
