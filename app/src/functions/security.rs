//! The server functions of the security page: the same core as the JSON API's
//! `/api/account/*`. Ending sessions answers a form post (with or without JavaScript) with a
//! redirect back to the page, which says what happened.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::context as ssr;
use super::error::PortalError;
use crate::model::security::{LogPage, SessionInfo};

/// Where the page is, and its query parameter saying what a form did.
pub const SECURITY_PATH: &str = "/profile/security";

/// What the security page shows: every live session and a page of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecurityOverview {
    pub sessions: Vec<SessionInfo>,
    pub log: LogPage,
}

#[server(prefix = "/api/fn", endpoint = "security_page")]
pub async fn security_page(page: i64) -> Result<SecurityOverview, PortalError> {
    use crate::server::security_log;
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    Ok(SecurityOverview {
        sessions: security_log::sessions(&state.store, &session).await?,
        log: security_log::log_page(&state.store, session.user_id, page).await?,
    })
}

#[server(prefix = "/api/fn", endpoint = "end_session")]
pub async fn end_session(id: i64) -> Result<(), PortalError> {
    use crate::server::{security_log, session_cookie::expired_session_cookie};
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    let caller = ssr::caller();
    security_log::end_session(&state.store, &session, id, &caller.origin()).await?;
    if id == session.id {
        ssr::set_cookie(expired_session_cookie(caller.https));
        leptos_axum::redirect("/login");
    } else {
        leptos_axum::redirect(&format!("{SECURITY_PATH}?notice=session-ended"));
    }
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<(), PortalError> {
    use crate::server::security_log;
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    let ended =
        security_log::end_other_sessions(&state.store, &session, &ssr::caller().origin()).await?;
    leptos_axum::redirect(&format!(
        "{SECURITY_PATH}?notice=others-ended&ended={ended}"
    ));
    Ok(())
}
