//! Forgot password: a reset link by mail, and the new password it sets.

use crate::model::{
    account::{normalize_email, password_errors, validate_email, ForgotPassword, ResetPassword},
    link::LinkPurpose,
    password_policy::PasswordCandidate,
};
use crate::server::{
    clock,
    error::ServiceError,
    identity::accounts::policy_for_member,
    identity::client::Origin,
    identity::client::Requester,
    identity::links::{self, IssuedLink},
    identity::passwords,
    identity::security_log::{self, EventKind},
    identity::settings::SecuritySettings,
    mail::{budget, compose, MailQueue},
    store::Store,
};

/// Mails a reset link to the account that signs in as `form.email`, or, when no account does,
/// a message saying so to that address. The caller's answer is the same either way and comes
/// after the same work: the address's rule and the mail budgets (see `mail::budget`), spent
/// whether or not an account exists. Looking the account up and queueing its message happen
/// after the answer, in a task of their own, so the answer's timing says nothing about the
/// account either. (A crash in between loses that one request; the member asks again.)
pub async fn request_reset(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    form: &ForgotPassword,
    requester: Requester<'_>,
) -> Result<(), ServiceError> {
    if let Some(error) = validate_email("Email", &form.email) {
        return Err(ServiceError::Validation(vec![error]));
    }
    let typed = form.email.trim();
    let normalized = normalize_email(typed);
    let device = requester
        .device_cookie
        .and_then(|cookie| security.device_key.verify(&normalized, cookie));
    budget::spend(
        store,
        &security.limits,
        &normalized,
        requester.client,
        device.as_deref(),
    )
    .await?;
    let (store, mail, typed) = (store.clone(), mail.clone(), typed.to_owned());
    tokio::spawn(async move {
        if let Err(error) = queue_reset(&store, &mail, &normalized, &typed).await {
            tracing::error!(%error, "a password reset request could not be queued");
        }
    });
    Ok(())
}

/// The reset link of the account of `normalized`, or the no-account message to `typed`, queued.
async fn queue_reset(
    store: &Store,
    mail: &MailQueue,
    normalized: &str,
    typed: &str,
) -> Result<(), ServiceError> {
    let now = clock::now();
    match store.account_by_email(normalized).await? {
        Some((user_id, email)) => {
            let link = IssuedLink::new(LinkPurpose::ResetPassword, user_id, &email, now)?;
            let message = compose::reset_password(
                &email,
                mail.link(LinkPurpose::ResetPassword.page(), &link.token),
                LinkPurpose::ResetPassword.lifetime_secs(),
            );
            store.issue_token(&link.stored(now), &[message]).await?;
        }
        None => {
            let message = compose::no_account(typed, mail.page("/signup"));
            store.queue_mail(&[message], now).await?;
        }
    }
    mail.wake();
    Ok(())
}

/// Sets the new password of a reset link under the member's location's policy, ends every
/// session of the member and tells their address. A link that does not work, or a password
/// that fails a rule, changes nothing.
pub async fn reset(
    store: &Store,
    mail: &MailQueue,
    form: ResetPassword,
    origin: &Origin,
) -> Result<(), ServiceError> {
    let token = links::live(store, LinkPurpose::ResetPassword, &form.token).await?;
    let policy = policy_for_member(store, token.user_id).await?;
    let violations = policy.violations(&PasswordCandidate {
        password: &form.new_password,
        email: Some(&token.email),
        current_password: None,
        is_common: Some(passwords::is_common(&form.new_password)),
    });
    if !violations.is_empty() {
        return Err(ServiceError::Validation(password_errors(
            "NewPassword",
            "New password",
            &violations,
        )));
    }
    let hash = passwords::hash(form.new_password).await?;
    let notice = compose::password_changed(&token.email, mail.page("/password/forgot"), true);
    if !store
        .reset_password(
            &token,
            &hash,
            clock::now(),
            &[notice],
            &security_log::event(token.user_id, EventKind::PasswordReset, origin),
        )
        .await?
    {
        // Used by a request that got there first.
        return Err(links::LinkProblem::Used.into_error(LinkPurpose::ResetPassword));
    }
    mail.wake();
    tracing::info!(user_id = token.user_id, "password reset by mail link");
    Ok(())
}
