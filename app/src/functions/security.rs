//! The server functions of the security page: the same core as the JSON API's
//! `/api/account/*`. Ending sessions answers a form post (with or without JavaScript) with a
//! redirect back to the page, which says what happened.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::context as ssr;
use super::error::PortalError;
use crate::model::{
    security::{LogPage, SessionInfo},
    two_factor::{PasskeySummary, TwoFactorStatus},
};

/// Where the page is, and its query parameter saying what a form did.
pub const SECURITY_PATH: &str = "/profile/security";

/// What the security page shows: every live session and a page of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecurityOverview {
    pub sessions: Vec<SessionInfo>,
    pub log: LogPage,
    /// Until when (Unix seconds) this session may download the member's data, if it confirmed
    /// the password in the last 10 minutes.
    pub export_until: Option<i64>,
    pub two_factor: TwoFactorStatus,
    pub passkeys: Vec<PasskeySummary>,
}

/// Where the account's deletion is confirmed.
pub const DELETE_PATH: &str = "/profile/security/delete";

#[server(prefix = "/api/fn", endpoint = "security_page")]
pub async fn security_page(page: i64) -> Result<SecurityOverview, PortalError> {
    use crate::server::{identity::security_log, identity::two_factor, privacy::account_data};
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    Ok(SecurityOverview {
        sessions: security_log::sessions(&state.store, &session).await?,
        log: security_log::log_page(&state.store, session.user_id, page).await?,
        export_until: account_data::reauthenticated_until(&state.store, &session).await?,
        two_factor: two_factor::status(&state.store, session.user_id).await?,
        passkeys: crate::server::identity::passkeys::list(&state.store, session.user_id).await?,
    })
}

#[server(prefix = "/api/fn", endpoint = "end_session")]
pub async fn end_session(id: i64) -> Result<(), PortalError> {
    use crate::server::{identity::security_log, identity::session_cookie::expired_session_cookie};
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
    use crate::server::identity::security_log;
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    let ended =
        security_log::end_other_sessions(&state.store, &session, &ssr::caller().origin()).await?;
    leptos_axum::redirect(&format!(
        "{SECURITY_PATH}?notice=others-ended&ended={ended}"
    ));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "confirm_password")]
pub async fn confirm_password(
    current_password: String,
    #[server(default)] code: String,
) -> Result<(), PortalError> {
    use crate::{model::account, server::privacy::account_data};
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    account_data::reauthenticate(
        &state.store,
        &state.security.limits,
        &session,
        &account::ConfirmPassword {
            current_password,
            code,
        },
        &ssr::caller().client,
    )
    .await?;
    leptos_axum::redirect(&format!("{SECURITY_PATH}?notice=confirmed#your-data"));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "delete_account")]
pub async fn delete_account(
    current_password: String,
    email: String,
    #[server(default)] code: String,
) -> Result<(), PortalError> {
    use crate::{
        model::account,
        server::{identity::session_cookie::expired_session_cookie, privacy::account_data},
    };
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    let caller = ssr::caller();
    account_data::delete(
        &state.store,
        &state.security.limits,
        &state.mail,
        &session,
        &account::DeleteAccount {
            current_password,
            email: email.clone(),
            code,
        },
        &caller.client,
    )
    .await
    .map_err(|error| PortalError::from(error).keeping("email", &email))?;
    ssr::set_cookie(expired_session_cookie(caller.https));
    leptos_axum::redirect("/login?notice=account-deleted");
    Ok(())
}
