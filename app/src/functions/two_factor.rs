//! The server functions of two-factor sign-in's pages: the same core as the JSON API's
//! `/api/account/two-factor/*`. Each answers a form post with a redirect to the page that
//! shows what happened.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::context as ssr;
use super::error::PortalError;
use crate::model::two_factor::TwoFactorStatus;

/// Where the authenticator app is set up.
pub const SETUP_PATH: &str = "/profile/security/authenticator";
/// Where new recovery codes are shown, once.
pub const CODES_PATH: &str = "/profile/security/recovery-codes";

/// What the set-up page shows: the key as text and as a QR code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetupKey {
    /// Base32, in groups of four for typing.
    pub secret: String,
    /// A `data:image/svg+xml` URL.
    pub qr_code: String,
}

#[server(prefix = "/api/fn", endpoint = "load_two_factor")]
pub async fn load_two_factor() -> Result<TwoFactorStatus, PortalError> {
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    Ok(crate::server::identity::two_factor::status(&state.store, session.user_id).await?)
}

#[server(prefix = "/api/fn", endpoint = "start_totp")]
pub async fn start_totp() -> Result<(), PortalError> {
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    crate::server::identity::two_factor::begin(&state.store, &session).await?;
    leptos_axum::redirect(SETUP_PATH);
    Ok(())
}

/// The set-up waiting for its first code, if one is.
#[server(prefix = "/api/fn", endpoint = "totp_setup")]
pub async fn totp_setup() -> Result<Option<SetupKey>, PortalError> {
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    let pending =
        crate::server::identity::two_factor::pending(&state.store, session.user_id).await?;
    Ok(pending.map(|enrolment| SetupKey {
        secret: enrolment
            .secret
            .as_bytes()
            .chunks(4)
            .map(|group| String::from_utf8_lossy(group).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        qr_code: enrolment.qr_code,
    }))
}

#[server(prefix = "/api/fn", endpoint = "confirm_totp")]
pub async fn confirm_totp(code: String) -> Result<(), PortalError> {
    use crate::model::two_factor::TotpCode;
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    crate::server::identity::two_factor::confirm(
        &state.store,
        &state.security.limits,
        &session,
        &TotpCode { code },
        &ssr::caller().origin(),
    )
    .await?;
    leptos_axum::redirect(CODES_PATH);
    Ok(())
}

/// The recovery codes made last, if no page showed them yet; they are forgotten now.
#[server(prefix = "/api/fn", endpoint = "take_recovery_codes")]
pub async fn take_recovery_codes() -> Result<Option<Vec<String>>, PortalError> {
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    Ok(
        crate::server::identity::two_factor::take_recovery_codes(&state.store, session.user_id)
            .await?,
    )
}

#[server(prefix = "/api/fn", endpoint = "disable_totp")]
pub async fn disable_totp(current_password: String, code: String) -> Result<(), PortalError> {
    use crate::model::account::ConfirmPassword;
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    crate::server::identity::two_factor::disable(
        &state.store,
        &state.security.limits,
        &session,
        &ConfirmPassword {
            current_password,
            code,
        },
        &ssr::caller().origin(),
    )
    .await?;
    leptos_axum::redirect(&format!(
        "{}?notice=totp-off#two-factor",
        super::security::SECURITY_PATH
    ));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "regenerate_recovery_codes")]
pub async fn regenerate_recovery_codes(
    current_password: String,
    code: String,
) -> Result<(), PortalError> {
    use crate::model::account::ConfirmPassword;
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    crate::server::identity::two_factor::regenerate(
        &state.store,
        &state.security.limits,
        &session,
        &ConfirmPassword {
            current_password,
            code,
        },
        &ssr::caller().origin(),
    )
    .await?;
    leptos_axum::redirect(CODES_PATH);
    Ok(())
}

/// Removes one of the member's passkeys (a plain form post; adding one needs the browser's
/// WebAuthn and goes through the JSON API, see `public/passkeys.js`).
#[server(prefix = "/api/fn", endpoint = "remove_passkey")]
pub async fn remove_passkey(id: i64) -> Result<(), PortalError> {
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    crate::server::identity::passkeys::remove(&state.store, &session, id, &ssr::caller().origin())
        .await?;
    leptos_axum::redirect(&format!(
        "{}?notice=passkey-removed#passkeys",
        super::security::SECURITY_PATH
    ));
    Ok(())
}
