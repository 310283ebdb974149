//! The single-use links the portal mails (password reset, address verification, e-mail change
//! and its undo): how long each works, how one is made, and what a followed link turns out to be.

use crate::model::{field_error::FieldError, link::LinkPurpose};
use crate::server::{
    clock,
    error::ServiceError,
    identity::sessions::{new_token, token_hash},
    store::{
        tokens::{NewToken, StoredToken},
        Store,
    },
};

/// How long expired and used links are kept, so that following one says what happened to it
/// instead of "unknown".
pub const KEPT_AFTER_EXPIRY_SECS: i64 = 7 * 24 * 60 * 60;

/// A link made for a member: its token (mailed, never stored) and what is stored of it.
#[derive(Clone, Debug)]
pub struct IssuedLink {
    pub token: String,
    pub token_hash: Vec<u8>,
    pub expires_at: i64,
    pub purpose: LinkPurpose,
    pub user_id: i64,
    pub email: String,
}

impl IssuedLink {
    pub fn new(
        purpose: LinkPurpose,
        user_id: i64,
        email: &str,
        now: i64,
    ) -> Result<Self, ServiceError> {
        let token = new_token()?;
        Ok(IssuedLink {
            token_hash: token_hash(&token),
            token,
            expires_at: now + purpose.lifetime_secs(),
            purpose,
            user_id,
            email: email.to_owned(),
        })
    }

    pub fn stored(&self, now: i64) -> NewToken<'_> {
        NewToken {
            token_hash: &self.token_hash,
            user_id: self.user_id,
            purpose: self.purpose,
            email: &self.email,
            now,
            expires_at: self.expires_at,
        }
    }
}

/// Why a followed link does not work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkProblem {
    /// Not a link the portal made, or one replaced by a newer link.
    Unknown,
    Expired,
    Used,
}

impl LinkProblem {
    pub fn message(self, purpose: LinkPurpose) -> String {
        let what = purpose.noun();
        match self {
            LinkProblem::Unknown => format!(
                "This {what} is not valid: it may be incomplete, or a newer link replaced it."
            ),
            LinkProblem::Expired => format!("This {what} has expired."),
            LinkProblem::Used => format!("This {what} was used already; it works only once."),
        }
    }

    /// The refusal every door shows: an error on the `Token` field.
    pub fn into_error(self, purpose: LinkPurpose) -> ServiceError {
        ServiceError::Validation(vec![FieldError {
            property_name: "Token".to_owned(),
            message: self.message(purpose),
            attempted_value: None,
        }])
    }
}

/// What `token` (from a link of `purpose`) is: a live link, or why it does not work.
pub async fn follow(
    store: &Store,
    purpose: LinkPurpose,
    token: &str,
) -> Result<Result<StoredToken, LinkProblem>, ServiceError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(Err(LinkProblem::Unknown));
    }
    let Some(stored) = store.token(purpose, &token_hash(token)).await? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    Ok(if stored.used_at.is_some() {
        Err(LinkProblem::Used)
    } else if stored.expires_at <= clock::now() {
        Err(LinkProblem::Expired)
    } else {
        Ok(stored)
    })
}

/// As `follow`, with a link that does not work as the error every door shows.
pub async fn live(
    store: &Store,
    purpose: LinkPurpose,
    token: &str,
) -> Result<StoredToken, ServiceError> {
    follow(store, purpose, token)
        .await?
        .map_err(|problem| problem.into_error(purpose))
}
