//! Signing up, in and out from the pages, and who is signed in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::context as ssr;
use super::error::PortalError;
use crate::model::password_policy::PasswordPolicy;

/// The signed-in member, as the layout shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub full_name: String,
    pub email: String,
    /// Whether the member followed a link mailed to the address.
    pub email_verified: bool,
}

#[server(prefix = "/api/fn", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), PortalError> {
    use crate::{
        model::account::SignIn,
        server::{
            identity::accounts::{self, SignInStep},
            identity::session_cookie::challenge_cookie,
            identity::two_factor::CHALLENGE_SECS,
            web::redirect::safe_next,
        },
    };
    let state = ssr::state()?;
    let caller = ssr::caller();
    let form = SignIn {
        email: email.clone(),
        password,
    };
    let step = accounts::sign_in(
        &state.store,
        &state.security,
        &state.mail,
        form,
        caller.requester(),
        state.session_ttl_secs,
    )
    .await
    .map_err(|error| PortalError::from(error).keeping("email", &email))?;
    let next = safe_next(next.as_deref());
    match step {
        SignInStep::SignedIn(signed_in) => {
            ssr::start_session(&signed_in, &state);
            leptos_axum::redirect(&next);
        }
        SignInStep::SecondFactor(challenge, _) => {
            ssr::set_cookie(challenge_cookie(
                &challenge.token,
                CHALLENGE_SECS,
                caller.https,
            ));
            leptos_axum::redirect(&format!(
                "{SECOND_STEP_PATH}?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ));
        }
    }
    Ok(())
}

/// The page of a sign-in's second step (the code).
pub const SECOND_STEP_PATH: &str = "/login/code";

/// The second step of a sign-in: a code from the authenticator app, or a recovery code, with
/// the challenge cookie the first step set.
#[server(prefix = "/api/fn", endpoint = "sign_in_code")]
pub async fn sign_in_code(code: String, next: Option<String>) -> Result<(), PortalError> {
    use crate::{
        model::two_factor::SecondFactor,
        server::{
            identity::accounts,
            identity::session_cookie::{challenge_cookie, CHALLENGE_COOKIE},
            identity::two_factor,
            web::redirect::safe_next,
        },
    };
    let state = ssr::state()?;
    let caller = ssr::caller();
    let Some(challenge) = ssr::request_cookie(CHALLENGE_COOKIE) else {
        return Err(two_factor::challenge_expired().into());
    };
    let signed_in = accounts::sign_in_second_step(
        &state.store,
        &state.security,
        &state.mail,
        &SecondFactor { challenge, code },
        caller.requester(),
        state.session_ttl_secs,
    )
    .await?;
    ssr::set_cookie(challenge_cookie("", 0, caller.https));
    ssr::start_session(&signed_in, &state);
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    password: String,
    full_name: String,
    next: Option<String>,
) -> Result<(), PortalError> {
    use crate::{
        model::account::SignUp,
        server::{identity::accounts, web::redirect::safe_next},
    };
    let state = ssr::state()?;
    let caller = ssr::caller();
    let form = SignUp {
        email: email.clone(),
        password,
        full_name: full_name.clone(),
    };
    let signed_in = accounts::sign_up(
        &state.store,
        &state.security,
        &state.mail,
        form,
        caller.requester(),
        state.session_ttl_secs,
    )
    .await
    .map_err(|error| {
        PortalError::from(error)
            .keeping("email", &email)
            .keeping("full_name", &full_name)
    })?;
    ssr::start_session(&signed_in, &state);
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), PortalError> {
    use crate::server::{identity::security_log, identity::session_cookie::expired_session_cookie};
    let state = ssr::state()?;
    if let Some(session) = ssr::session(&state).await? {
        security_log::sign_out(&state.store, &session, &ssr::caller().origin()).await?;
    }
    ssr::set_cookie(expired_session_cookie(ssr::caller().https));
    leptos_axum::redirect("/login");
    Ok(())
}

/// The password policy new members sign up under, for the live checklist; refused with the
/// reason while the operator has closed sign-up, so the page says so before anyone fills it in.
#[server(prefix = "/api/fn", endpoint = "sign_up_policy")]
pub async fn sign_up_policy() -> Result<PasswordPolicy, PortalError> {
    use crate::server::{identity::accounts, operations::operator};
    let state = ssr::state()?;
    if !operator::sign_up_open(&state.store).await? {
        return Err(accounts::sign_up_closed().into());
    }
    let (_, policy) = accounts::default_location(&state.store).await?;
    Ok(policy)
}
