//! The single-use links the portal mails: what each is for, how long it works, which page it
//! opens and where a member gets a new one.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkPurpose {
    ResetPassword,
    VerifyEmail,
    ConfirmEmailChange,
    UndoEmailChange,
}

impl LinkPurpose {
    /// The name stored in `account_tokens.purpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::ResetPassword => "reset_password",
            LinkPurpose::VerifyEmail => "verify_email",
            LinkPurpose::ConfirmEmailChange => "confirm_email_change",
            LinkPurpose::UndoEmailChange => "undo_email_change",
        }
    }

    /// How long a link of this purpose works.
    pub fn lifetime_secs(self) -> i64 {
        match self {
            LinkPurpose::ResetPassword => 30 * 60,
            LinkPurpose::VerifyEmail => 3 * 24 * 60 * 60,
            LinkPurpose::ConfirmEmailChange => 24 * 60 * 60,
            LinkPurpose::UndoEmailChange => 7 * 24 * 60 * 60,
        }
    }

    /// The page the link opens.
    pub fn page(self) -> &'static str {
        match self {
            LinkPurpose::ResetPassword => "/password/reset",
            LinkPurpose::VerifyEmail => "/email/verify",
            LinkPurpose::ConfirmEmailChange => "/email/confirm",
            LinkPurpose::UndoEmailChange => "/email/undo",
        }
    }

    /// Where a member gets a new link when this one no longer works.
    pub fn new_link_page(self) -> &'static str {
        match self {
            LinkPurpose::ResetPassword => "/password/forgot",
            LinkPurpose::VerifyEmail | LinkPurpose::ConfirmEmailChange => "/profile/password",
            // An undo cannot be asked for again; resetting the password is what is left.
            LinkPurpose::UndoEmailChange => "/password/forgot",
        }
    }

    /// What the link is called in messages and pages.
    pub fn noun(self) -> &'static str {
        match self {
            LinkPurpose::ResetPassword => "password reset link",
            LinkPurpose::VerifyEmail => "verification link",
            LinkPurpose::ConfirmEmailChange => "confirmation link",
            LinkPurpose::UndoEmailChange => "undo link",
        }
    }
}
