//! The server functions of recovery by mail and the sign-in address: the same core as the
//! JSON API's `/api/auth/password/*` and `/api/auth/email/*`. Each answers a form post (with or
//! without JavaScript) with a redirect to the page that says what happened.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::context as ssr;
use super::error::PortalError;
use crate::model::{link::LinkPurpose, password_policy::PasswordPolicy};

/// What a followed link turned out to be, for its page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FollowedLink {
    /// It works: the address it is about and, for a reset, the password policy to meet.
    Live {
        email: String,
        policy: Option<PasswordPolicy>,
    },
    /// It does not: why, in a sentence.
    Refused { message: String },
}

/// The query parameter of the page a form is sent back to when it did its work.
pub const DONE_QUERY: &str = "done";

#[server(prefix = "/api/fn", endpoint = "link_state")]
pub async fn link_state(purpose: LinkPurpose, token: String) -> Result<FollowedLink, PortalError> {
    use crate::server::{identity::accounts, identity::links};
    let state = ssr::state()?;
    Ok(match links::follow(&state.store, purpose, &token).await? {
        Ok(stored) => FollowedLink::Live {
            policy: match purpose {
                LinkPurpose::ResetPassword => {
                    Some(accounts::policy_for_member(&state.store, stored.user_id).await?)
                }
                _ => None,
            },
            email: stored.email,
        },
        Err(problem) => FollowedLink::Refused {
            message: problem.message(purpose),
        },
    })
}

#[server(prefix = "/api/fn", endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), PortalError> {
    use crate::{model::account, server::identity::recovery};
    let state = ssr::state()?;
    let caller = ssr::caller();
    recovery::request_reset(
        &state.store,
        &state.security,
        &state.mail,
        &account::ForgotPassword {
            email: email.clone(),
        },
        caller.requester(),
    )
    .await
    .map_err(|error| PortalError::from(error).keeping("email", &email))?;
    leptos_axum::redirect(&format!("/password/forgot?{DONE_QUERY}=1"));
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "reset_password")]
pub async fn reset_password(token: String, new_password: String) -> Result<(), PortalError> {
    use crate::{model::account, server::identity::recovery};
    let state = ssr::state()?;
    recovery::reset(
        &state.store,
        &state.mail,
        account::ResetPassword {
            token,
            new_password,
        },
        &ssr::caller().origin(),
    )
    .await?;
    leptos_axum::redirect("/login?notice=password-reset");
    Ok(())
}

/// Follows a verification, confirmation or undo link (the button on its page).
#[server(prefix = "/api/fn", endpoint = "follow_link")]
pub async fn follow_link(purpose: LinkPurpose, token: String) -> Result<(), PortalError> {
    use crate::{model::account, server::identity::email_address};
    let state = ssr::state()?;
    let form = account::FollowLink { token };
    let origin = ssr::caller().origin();
    let next = match purpose {
        LinkPurpose::VerifyEmail => {
            email_address::verify(&state.store, &form, &origin).await?;
            format!("/email/verify?{DONE_QUERY}=1")
        }
        LinkPurpose::ConfirmEmailChange => {
            email_address::confirm_change(&state.store, &state.mail, &form, &origin).await?;
            "/login?notice=email-changed".to_owned()
        }
        LinkPurpose::UndoEmailChange => {
            email_address::undo_change(&state.store, &state.mail, &form, &origin).await?;
            "/login?notice=email-restored".to_owned()
        }
        LinkPurpose::ResetPassword => {
            return Err(PortalError::rejected(
                "A reset link is followed by choosing a new password.",
            ))
        }
    };
    leptos_axum::redirect(&next);
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), PortalError> {
    use crate::server::identity::email_address;
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    let sent = email_address::resend_verification(
        &state.store,
        &state.security,
        &state.mail,
        &session,
        ssr::caller().requester(),
    )
    .await?;
    // Verified meanwhile (in another tab, say): nothing went out, and the page says so.
    leptos_axum::redirect(if sent {
        "/profile/password?notice=verification-sent"
    } else {
        "/profile/password?notice=verified-already"
    });
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "change_email")]
pub async fn change_email(
    new_email: String,
    current_password: String,
    code: Option<String>,
) -> Result<(), PortalError> {
    use crate::{model::account, server::identity::email_address};
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    email_address::request_change(
        &state.store,
        &state.security,
        &state.mail,
        &session,
        &account::ChangeEmail {
            new_email: new_email.clone(),
            current_password,
            code: code.unwrap_or_default(),
        },
        ssr::caller().requester(),
    )
    .await
    .map_err(|error| PortalError::from(error).keeping("new_email", &new_email))?;
    leptos_axum::redirect("/profile/password?notice=email-change-sent");
    Ok(())
}
