//! The member's security page: their live sessions (with the browser and system each signed in
//! from, parsed from its User-Agent by `woothee`), ending them, and the security log of what
//! happened to the account.

pub use crate::model::security::{Device, EventKind, LogEntry, LogPage, SessionInfo};
use crate::server::{
    clock,
    error::ServiceError,
    identity::client::Origin,
    identity::sessions::Session,
    store::{
        security_log::{LoggedEvent, NewEvent},
        sessions::{EndedSession, Ending},
        Store,
    },
};

/// Writes an event to `user_id`'s log, now.
pub async fn record(
    store: &Store,
    user_id: i64,
    kind: EventKind,
    detail: &str,
    origin: &Origin,
) -> Result<(), ServiceError> {
    Ok(store
        .insert_security_event(&NewEvent {
            user_id,
            kind: kind.as_str(),
            detail,
            origin,
            at: clock::now(),
        })
        .await?)
}

/// As `record`, unless the log has an event of `kind` in the last `window_secs`.
pub async fn record_once(
    store: &Store,
    user_id: i64,
    kind: EventKind,
    origin: &Origin,
    window_secs: i64,
) -> Result<(), ServiceError> {
    let now = clock::now();
    Ok(store
        .insert_security_event_once(
            &NewEvent {
                user_id,
                kind: kind.as_str(),
                detail: "",
                origin,
                at: now,
            },
            now - window_secs,
        )
        .await?)
}

const UNKNOWN: &str = "UNKNOWN";

/// The browser and system `user_agent` names, read by `woothee`.
pub fn device(user_agent: &str) -> Device {
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    let known = |value: &str| (!value.is_empty() && value != UNKNOWN).then(|| value.to_owned());
    let browser = parsed.as_ref().and_then(|ua| {
        known(ua.name).map(|name| {
            let major = ua.version.split('.').next().unwrap_or_default();
            match known(major) {
                Some(major) => format!("{name} {major}"),
                None => name,
            }
        })
    });
    Device {
        browser: browser.unwrap_or_else(|| "Unknown browser".to_owned()),
        system: parsed
            .as_ref()
            .and_then(|ua| known(ua.os))
            .unwrap_or_else(|| "Unknown system".to_owned()),
        category: parsed
            .as_ref()
            .and_then(|ua| known(ua.category))
            .unwrap_or_else(|| "unknown".to_owned()),
    }
}

/// The member's live sessions, the most recently used first.
pub async fn sessions(store: &Store, session: &Session) -> Result<Vec<SessionInfo>, ServiceError> {
    Ok(store
        .member_sessions(session.user_id, clock::now())
        .await?
        .into_iter()
        .map(|stored| SessionInfo {
            id: stored.id,
            device: device(&stored.user_agent),
            user_agent: stored.user_agent,
            client_address: stored.client_addr,
            signed_in_at: stored.created_at,
            last_active_at: stored.last_seen_at,
            current: stored.id == session.id,
        })
        .collect())
}

fn ended_device(ended: &[EndedSession]) -> String {
    ended
        .first()
        .map(|session| {
            let described = device(&session.user_agent).description();
            match session.client_addr.as_str() {
                "" => described,
                addr => format!("{described} ({addr})"),
            }
        })
        .unwrap_or_default()
}

/// Ends `session_id` if it is one of the member's (404 otherwise, and nothing ends); it is
/// signed out on its next request. Ending the current one is signing out.
pub async fn end_session(
    store: &Store,
    session: &Session,
    session_id: i64,
    origin: &Origin,
) -> Result<(), ServiceError> {
    let kind = if session_id == session.id {
        EventKind::SignedOut
    } else {
        EventKind::SessionEnded
    };
    let ended = store
        .end_sessions(
            session.user_id,
            Ending::One(session_id),
            event(session.user_id, kind, origin),
            |ended| match kind {
                EventKind::SessionEnded => ended_device(ended),
                _ => String::new(),
            },
        )
        .await?;
    if ended.is_empty() {
        return Err(ServiceError::NotFound(
            "You have no session with this id (it may have ended already).".to_owned(),
        ));
    }
    Ok(())
}

/// Ends every session of the member but the one making the request; how many ended.
pub async fn end_other_sessions(
    store: &Store,
    session: &Session,
    origin: &Origin,
) -> Result<usize, ServiceError> {
    let ended = store
        .end_sessions(
            session.user_id,
            Ending::AllBut(session.id),
            event(session.user_id, EventKind::OtherSessionsEnded, origin),
            |ended| ended.len().to_string(),
        )
        .await?;
    Ok(ended.len())
}

/// Signs `session` out (its own request); one that ended meanwhile is signed out already.
pub async fn sign_out(
    store: &Store,
    session: &Session,
    origin: &Origin,
) -> Result<(), ServiceError> {
    match end_session(store, session, session.id, origin).await {
        Err(ServiceError::NotFound(_)) => Ok(()),
        other => other,
    }
}

/// An event of `kind` without detail for `user_id`'s log, now: for a change to store with it.
pub fn event(user_id: i64, kind: EventKind, origin: &Origin) -> NewEvent<'_> {
    NewEvent {
        user_id,
        kind: kind.as_str(),
        detail: "",
        origin,
        at: clock::now(),
    }
}

/// Entries per page of the log.
pub const PAGE_SIZE: i64 = 25;

impl LogEntry {
    fn of(logged: LoggedEvent) -> Self {
        let kind = EventKind::parse(&logged.kind);
        let fields = match kind {
            Some(EventKind::ProfileChanged | EventKind::SupportProfileReplaced) => logged
                .detail
                .split(',')
                .filter(|field| !field.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        LogEntry {
            at: logged.at,
            description: kind
                .map_or_else(|| logged.kind.clone(), |kind| kind.describe(&logged.detail)),
            kind: logged.kind,
            fields,
            device: device(&logged.user_agent),
            client_address: logged.client_addr,
        }
    }
}

/// The member's whole log, newest first (for their data export).
pub async fn whole_log(store: &Store, user_id: i64) -> Result<Vec<LogEntry>, ServiceError> {
    Ok(store
        .security_log(user_id, i64::MAX, 0)
        .await?
        .into_iter()
        .map(LogEntry::of)
        .collect())
}

/// Page `page` (1: the newest) of the member's log.
pub async fn log_page(store: &Store, user_id: i64, page: i64) -> Result<LogPage, ServiceError> {
    let page = page.clamp(1, i64::MAX / PAGE_SIZE);
    let mut rows = store
        .security_log(user_id, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
        .await?;
    let has_older = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    Ok(LogPage {
        page,
        entries: rows.into_iter().map(LogEntry::of).collect(),
        has_older,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_agent_becomes_a_browser_and_a_system() {
        let chrome = device(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/131.0.6778.85 Safari/537.36",
        );
        assert_eq!(chrome.description(), "Chrome 131 on Linux");
        assert_eq!(chrome.category, "pc");
        let iphone = device(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        );
        assert_eq!(iphone.description(), "Safari 17 on iPhone");
        assert_eq!(iphone.category, "smartphone");
        let curl = device("curl/8.5.0");
        assert_eq!(curl.system, "Unknown system");
        assert_eq!(
            device("").description(),
            "Unknown browser on Unknown system"
        );
    }
}
