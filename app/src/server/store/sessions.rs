//! Sessions: stored by the SHA-256 of their token, with a sliding expiry.

use super::mail::NewMail;
use super::{
    mail::insert_mail,
    on_pool,
    security_log::{insert_event, NewEvent},
    Store,
};
use crate::model::security::Origin;

/// A live session as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSession {
    pub id: i64,
    pub user_id: i64,
    pub active_profile_id: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub cookie_issued_at: i64,
}

/// Who a page's header names: the active profile's name, the sign-in address and whether it
/// is verified.
pub type MemberBanner = (String, String, bool);

/// A session and its banner, as one query reads them.
#[derive(sqlx::FromRow)]
struct PageSessionRow {
    #[sqlx(flatten)]
    session: StoredSession,
    full_name: Option<String>,
    email: Option<String>,
    email_verified: bool,
}

/// A session about to be stored.
#[derive(Clone, Debug)]
pub struct NewSession<'a> {
    pub token_hash: &'a [u8],
    pub user_id: i64,
    pub profile_id: i64,
    pub now: i64,
    pub expires_at: i64,
    /// Messages the sign-in sends (a new-device notice), queued with the session.
    pub mails: &'a [NewMail],
    /// Where the browser signed in from.
    pub origin: &'a Origin,
    /// The security log's entry for it (`signed_in`, `signed_up`), written with the session.
    pub event_kind: &'static str,
    /// Its detail: how the second step was passed (`totp`, `recovery_code`), if there was one.
    pub event_detail: &'static str,
}

/// A live session of a member, as their security page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSession {
    pub id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user_agent: String,
    pub client_addr: String,
}

/// Which of a member's sessions to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// This one, if it is the member's.
    One(i64),
    /// Every one but this.
    AllBut(i64),
    /// Every one.
    All,
}

/// A session that was ended: where it had signed in from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndedSession {
    pub user_agent: String,
    pub client_addr: String,
}

impl Store {
    /// Starts the session, logs it and queues its mails; `false` (and nothing written) when the
    /// member is disabled, which no door of sign-in gets past.
    pub async fn insert_session(&self, session: &NewSession<'_>) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, active_profile_id, created_at,
                                       last_seen_at, expires_at, cookie_issued_at,
                                       user_agent, client_addr)
                 SELECT $1, $2, $3, $4, $4, $5, $4, $6, $7
                 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2 AND disabled_at IS NULL)",
            )
            .bind(session.token_hash)
            .bind(session.user_id)
            .bind(session.profile_id)
            .bind(session.now)
            .bind(session.expires_at)
            .bind(&session.origin.user_agent)
            .bind(&session.origin.client_addr)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Ok(false);
            }
            insert_event!(
                &mut *tx,
                &NewEvent {
                    user_id: session.user_id,
                    kind: session.event_kind,
                    detail: session.event_detail,
                    origin: session.origin,
                    at: session.now,
                }
            )?;
            for mail in session.mails {
                insert_mail!(&mut *tx, mail, session.now)?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Whether the profile wants a notice of sign-ins from new browsers.
    pub async fn wants_new_sign_in_notice(&self, profile_id: i64) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT notify_on_new_sign_in FROM customer_profiles WHERE id = $1"
        )
        .bind(profile_id)
        .fetch_one(pool)
        .await)
    }

    /// The session with this token hash, if it expires after `now`.
    pub async fn live_session(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<StoredSession>, sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, user_id, active_profile_id, last_seen_at, expires_at, cookie_issued_at
                 FROM sessions WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await
        })
    }

    /// `live_session` and, in the same query, the session's `member_banner` (`None` if its
    /// active profile is not the user's): a page needs both, and each query through the pool is
    /// two thread hand-offs.
    pub async fn live_session_with_banner(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<(StoredSession, Option<MemberBanner>)>, sqlx::Error> {
        let row: Option<PageSessionRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT s.id, s.user_id, s.active_profile_id, s.last_seen_at, s.expires_at,
                        s.cookie_issued_at, p.full_name, u.email,
                        u.email_verified_at IS NOT NULL AS email_verified
                 FROM sessions s
                 LEFT JOIN users u ON u.id = s.user_id
                 LEFT JOIN customer_profiles p
                        ON p.id = s.active_profile_id AND p.user_id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.map(|row| {
            let banner = (row.full_name.zip(row.email))
                .map(|(name, email)| (name, email, row.email_verified));
            (row.session, banner)
        }))
    }

    /// Records that session `id` was used at `now`, now expiring at `expires_at`; `cookie_sent`:
    /// its cookie went out again with this response.
    pub async fn touch_session(
        &self,
        id: i64,
        now: i64,
        expires_at: i64,
        cookie_sent: bool,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE sessions SET last_seen_at = $1, expires_at = $2,
                 cookie_issued_at = CASE WHEN $3 THEN $1 ELSE cookie_issued_at END
             WHERE id = $4",
        )
        .bind(now)
        .bind(expires_at)
        .bind(cookie_sent)
        .bind(id)
        .execute(pool)
        .await
        .map(drop))
    }

    /// `user_id`'s sessions that are live at `now`, the most recently used first.
    pub async fn member_sessions(
        &self,
        user_id: i64,
        now: i64,
    ) -> Result<Vec<MemberSession>, sqlx::Error> {
        let rows: Vec<(i64, i64, i64, String, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, created_at, last_seen_at, user_agent, client_addr FROM sessions
                 WHERE user_id = $1 AND expires_at > $2
                 ORDER BY last_seen_at DESC, id DESC",
            )
            .bind(user_id)
            .bind(now)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(id, created_at, last_seen_at, user_agent, client_addr)| MemberSession {
                    id,
                    created_at,
                    last_seen_at,
                    user_agent,
                    client_addr,
                },
            )
            .collect())
    }

    /// Ends `user_id`'s sessions that `ending` names and, when any ended, writes `event` with
    /// the detail `describe` makes of them, in one transaction; the sessions ended.
    pub async fn end_sessions(
        &self,
        user_id: i64,
        ending: Ending,
        event: NewEvent<'_>,
        describe: impl FnOnce(&[EndedSession]) -> String,
    ) -> Result<Vec<EndedSession>, sqlx::Error> {
        let (id, comparison) = match ending {
            Ending::One(id) => (id, "="),
            Ending::AllBut(id) => (id, "<>"),
            // No session has id 0.
            Ending::All => (0, "<>"),
        };
        let sql = format!(
            "DELETE FROM sessions WHERE user_id = $1 AND id {comparison} $2
             RETURNING user_agent, client_addr"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let rows: Vec<(String, String)> = sqlx::query_as(super::built(&sql))
                .bind(user_id)
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
            let ended: Vec<EndedSession> = rows
                .into_iter()
                .map(|(user_agent, client_addr)| EndedSession {
                    user_agent,
                    client_addr,
                })
                .collect();
            if !ended.is_empty() {
                let detail = describe(&ended);
                insert_event!(
                    &mut *tx,
                    &NewEvent {
                        detail: &detail,
                        user_id,
                        ..event
                    }
                )?;
            }
            tx.commit().await?;
            Ok(ended)
        })
    }

    /// Points session `id` at `profile_id` if that profile is `user_id`'s; whether it was.
    pub async fn switch_session_profile(
        &self,
        id: i64,
        user_id: i64,
        profile_id: i64,
    ) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE sessions SET active_profile_id = $1
             WHERE id = $2
               AND EXISTS (SELECT 1 FROM customer_profiles WHERE id = $1 AND user_id = $3)",
        )
        .bind(profile_id)
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected() == 1))
    }

    /// Deletes the sessions that expired at or before `now`; how many.
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= $1"
        )
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    }
}
