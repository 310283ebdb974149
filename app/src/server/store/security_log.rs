//! The security log (`security_events`): what happened to a member's account, newest first.
//! Events are written in the transaction of the change they record (`insert_event!`).

use super::{on_pool, Store};
use crate::model::security::Origin;

/// An event about to be stored.
#[derive(Clone, Copy, Debug)]
pub struct NewEvent<'a> {
    pub user_id: i64,
    /// `security_log::EventKind::as_str`.
    pub kind: &'static str,
    /// What the event is about, never what was typed (field names, a device, a count).
    pub detail: &'a str,
    pub origin: &'a Origin,
    pub at: i64,
}

/// Inserts `$event` (a `&NewEvent`) on `$executor` (a transaction or pool of either backend).
macro_rules! insert_event {
    ($executor:expr, $event:expr) => {{
        let event: &$crate::server::store::security_log::NewEvent = $event;
        sqlx::query(
            "INSERT INTO security_events (user_id, at, kind, detail, user_agent, client_addr)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(event.user_id)
        .bind(event.at)
        .bind(event.kind)
        .bind(event.detail)
        .bind(&event.origin.user_agent)
        .bind(&event.origin.client_addr)
        .execute($executor)
        .await
    }};
}
pub(crate) use insert_event;

/// One entry of the log as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedEvent {
    pub at: i64,
    /// `security_log::EventKind::as_str`.
    pub kind: String,
    pub detail: String,
    pub user_agent: String,
    pub client_addr: String,
}

/// A page of the member's log, newest first (ties in time: the order they were written in).
const LOG: &str = "SELECT at, kind, detail, user_agent, client_addr FROM security_events
     WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3";

impl Store {
    pub async fn insert_security_event(&self, event: &NewEvent<'_>) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| insert_event!(pool, event).map(drop))
    }

    /// Inserts `event` unless the member has an event of the same kind after `since`: how an
    /// event that an attacker can repeat at will (a throttled sign-in) is logged once a window.
    pub async fn insert_security_event_once(
        &self,
        event: &NewEvent<'_>,
        since: i64,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "INSERT INTO security_events (user_id, at, kind, detail, user_agent, client_addr)
             SELECT $1, $2, $3, $4, $5, $6
             WHERE NOT EXISTS (SELECT 1 FROM security_events
                               WHERE user_id = $1 AND kind = $3 AND at > $7)",
        )
        .bind(event.user_id)
        .bind(event.at)
        .bind(event.kind)
        .bind(event.detail)
        .bind(&event.origin.user_agent)
        .bind(&event.origin.client_addr)
        .bind(since)
        .execute(pool)
        .await
        .map(drop))
    }

    /// `limit` entries of `user_id`'s log from the `offset`-th newest on.
    pub async fn security_log(
        &self,
        user_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<LoggedEvent>, sqlx::Error> {
        let rows: Vec<(i64, String, String, String, String)> = on_pool!(self, |pool| {
            sqlx::query_as(LOG)
                .bind(user_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(at, kind, detail, user_agent, client_addr)| LoggedEvent {
                at,
                kind,
                detail,
                user_agent,
                client_addr,
            })
            .collect())
    }
}
