//! The member's sign-in address: verifying it, and changing it through a link to the new address
//! that the old address can undo.

use crate::model::{
    account::{normalize_email, ChangeEmail, FollowLink},
    field_error::FieldError,
    link::LinkPurpose,
};
use crate::server::{
    clock,
    error::ServiceError,
    identity::client::Origin,
    identity::client::Requester,
    identity::links::{self, IssuedLink, LinkProblem},
    identity::security_log::{self, EventKind},
    identity::sessions::Session,
    identity::settings::SecuritySettings,
    mail::{budget, compose, MailQueue},
    store::{
        tokens::{AddressChange, AddressMove, NewAddress},
        Store,
    },
};

/// Follows a verification link: the address it was sent to counts as verified.
pub async fn verify(store: &Store, form: &FollowLink, origin: &Origin) -> Result<(), ServiceError> {
    let token = links::live(store, LinkPurpose::VerifyEmail, &form.token).await?;
    let event = security_log::event(token.user_id, EventKind::EmailVerified, origin);
    if !store.verify_email(&token, clock::now(), &event).await? {
        // Used meanwhile, or the member moved to another address since it was sent.
        return Err(LinkProblem::Used.into_error(LinkPurpose::VerifyEmail));
    }
    Ok(())
}

/// Whether a new verification link went out: `false` when the address is verified already.
pub async fn resend_verification(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    session: &Session,
    requester: Requester<'_>,
) -> Result<bool, ServiceError> {
    if store.email_verified_at(session.user_id).await?.is_some() {
        return Ok(false);
    }
    let email = store.user_summary(session.user_id).await?.email;
    budget::spend(
        store,
        &security.limits,
        &normalize_email(&email),
        requester.client,
        None,
    )
    .await?;
    let now = clock::now();
    let link = IssuedLink::new(LinkPurpose::VerifyEmail, session.user_id, &email, now)?;
    let message = compose::verify_email(
        &email,
        mail.link(LinkPurpose::VerifyEmail.page(), &link.token),
        LinkPurpose::VerifyEmail.lifetime_secs(),
    );
    store.issue_token(&link.stored(now), &[message]).await?;
    mail.wake();
    Ok(true)
}

/// Asks to move the member to `form.new_email`, after checking their current password
/// (throttled as a sign-in is). The new address gets a confirmation link; nothing changes until
/// it is followed. When another account uses the new address, that address is told so instead,
/// and the member's answer is the same: whoever asks learns nothing about other accounts.
pub async fn request_change(
    store: &Store,
    security: &SecuritySettings,
    mail: &MailQueue,
    session: &Session,
    form: &ChangeEmail,
    requester: Requester<'_>,
) -> Result<String, ServiceError> {
    let current = store.user_summary(session.user_id).await?.email;
    let errors = form.validate(&current);
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    crate::server::identity::two_factor::confirm_identity(
        store,
        &security.limits,
        session.user_id,
        &form.current_password,
        &form.code,
        requester.client,
    )
    .await?;

    let new = form.new_email.trim().to_owned();
    let normalized = normalize_email(&new);
    budget::spend(store, &security.limits, &normalized, requester.client, None).await?;
    let now = clock::now();
    if store.account_by_email(&normalized).await?.is_some() {
        let message = compose::email_taken(&new, mail.page("/password/forgot"));
        store.queue_mail(&[message], now).await?;
    } else {
        let link = IssuedLink::new(LinkPurpose::ConfirmEmailChange, session.user_id, &new, now)?;
        let message = compose::confirm_email_change(
            &new,
            &current,
            mail.link(LinkPurpose::ConfirmEmailChange.page(), &link.token),
            LinkPurpose::ConfirmEmailChange.lifetime_secs(),
        );
        store.issue_token(&link.stored(now), &[message]).await?;
    }
    mail.wake();
    Ok(new)
}

/// Follows a confirmation link: the member signs in with the new address from now on, and the
/// old address gets a link that undoes the change. The new address's owner followed the link,
/// so if another account took the address meanwhile, saying so tells them nothing new.
pub async fn confirm_change(
    store: &Store,
    mail: &MailQueue,
    form: &FollowLink,
    origin: &Origin,
) -> Result<(), ServiceError> {
    let token = links::live(store, LinkPurpose::ConfirmEmailChange, &form.token).await?;
    let old = store.user_summary(token.user_id).await?.email;
    let now = clock::now();
    let undo = IssuedLink::new(LinkPurpose::UndoEmailChange, token.user_id, &old, now)?;
    let notice = compose::email_changed(
        &old,
        &token.email,
        mail.link(LinkPurpose::UndoEmailChange.page(), &undo.token),
        LinkPurpose::UndoEmailChange.lifetime_secs(),
    );
    let address = NewAddress {
        email: &token.email,
        email_normalized: &normalize_email(&token.email),
    };
    let outcome = store
        .change_email(
            &token,
            address,
            AddressMove::Confirmed {
                undo: &undo.stored(now),
            },
            now,
            &[notice],
            &security_log::event(token.user_id, EventKind::EmailChanged, origin),
        )
        .await?;
    address_change(outcome, LinkPurpose::ConfirmEmailChange)?;
    mail.wake();
    tracing::info!(user_id = token.user_id, "sign-in address changed");
    Ok(())
}

/// Follows an undo link (sent to the old address): the member signs in with the old address
/// again and every session of theirs ends.
pub async fn undo_change(
    store: &Store,
    mail: &MailQueue,
    form: &FollowLink,
    origin: &Origin,
) -> Result<(), ServiceError> {
    let token = links::live(store, LinkPurpose::UndoEmailChange, &form.token).await?;
    let now = clock::now();
    let notice = compose::email_change_undone(&token.email, mail.page("/password/forgot"));
    let address = NewAddress {
        email: &token.email,
        email_normalized: &normalize_email(&token.email),
    };
    let outcome = store
        .change_email(
            &token,
            address,
            AddressMove::Undone,
            now,
            &[notice],
            &security_log::event(token.user_id, EventKind::EmailChangeUndone, origin),
        )
        .await?;
    address_change(outcome, LinkPurpose::UndoEmailChange)?;
    mail.wake();
    tracing::info!(user_id = token.user_id, "sign-in address change undone");
    Ok(())
}

fn address_change(outcome: AddressChange, purpose: LinkPurpose) -> Result<(), ServiceError> {
    match outcome {
        AddressChange::Changed => Ok(()),
        AddressChange::Gone => Err(LinkProblem::Used.into_error(purpose)),
        AddressChange::Taken => Err(ServiceError::Validation(vec![FieldError {
            property_name: "Token".to_owned(),
            message: "Another account signs in with this address now, so the change cannot be \
                      made; nothing was changed."
                .to_owned(),
            attempted_value: None,
        }])),
    }
}
