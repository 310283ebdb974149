//! Drafting the profile summary for review: a drafter chosen at start-up (a language model
//! behind an OpenAI-compatible API, or the built-in composer), a per-member hourly quota, and
//! the one call the JSON API and the professional page both use. Nothing here saves the draft.

pub mod openai;
pub mod quota;
pub mod review;

use std::{fmt::Debug, future::Future, pin::Pin};

use crate::model::profile::draft::{compose, ProfessionalFacts};
use crate::server::{error::ServiceError, identity::sessions::Session, profiles, store::Store};

pub type DraftFuture<'a> = Pin<Box<dyn Future<Output = Result<String, DraftError>> + Send + 'a>>;

/// Writes a Markdown profile summary from a member's professional facts.
pub trait SummaryDrafter: Debug + Send + Sync {
    /// Whether drafts come from a language model (the API's `OpenAiProfileAvailable`).
    fn uses_language_model(&self) -> bool;

    fn draft<'a>(&'a self, facts: &'a ProfessionalFacts) -> DraftFuture<'a>;
}

/// The drafter when no backend is configured: deterministic, no network.
#[derive(Debug)]
pub struct BuiltInComposer;

impl SummaryDrafter for BuiltInComposer {
    fn uses_language_model(&self) -> bool {
        false
    }

    fn draft<'a>(&'a self, facts: &'a ProfessionalFacts) -> DraftFuture<'a> {
        Box::pin(std::future::ready(Ok(compose(facts))))
    }
}

/// Why a backend produced no draft. The detail is logged; members see a plain sentence.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("the backend did not answer within {0} s")]
    Timeout(u64),
    #[error("the backend could not be reached: {0}")]
    Unreachable(String),
    #[error("the backend answered HTTP {0}")]
    Status(u16),
    #[error("the backend's answer is not a usable chat completion: {0}")]
    Malformed(String),
}

impl From<DraftError> for ServiceError {
    fn from(error: DraftError) -> Self {
        tracing::warn!(%error, "no profile draft");
        match error {
            DraftError::Timeout(secs) => ServiceError::GatewayTimeout(format!(
                "The writing assistant did not answer in time ({secs} s). Nothing was changed; try again in a moment."
            )),
            DraftError::Unreachable(_) | DraftError::Status(_) => ServiceError::BadGateway(
                "The writing assistant is not available right now. Nothing was changed; try again later."
                    .to_owned(),
            ),
            DraftError::Malformed(_) => ServiceError::BadGateway(
                "The writing assistant answered with something that is not a summary. Nothing was changed; try again."
                    .to_owned(),
            ),
        }
    }
}

/// A draft for review, not saved anywhere.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub markdown: String,
    pub by_language_model: bool,
}

/// Drafts a summary from the member's saved professional facts. Too little to write about is a
/// validation error naming the fields to fill; a draft counts against the hourly quota even when
/// the backend then fails, since the backend may have done the work.
/// `drafts_per_hour` is the member's quota (`Limits::drafts_per_hour`).
pub async fn draft_summary(
    store: &Store,
    drafter: &dyn SummaryDrafter,
    drafts_per_hour: i64,
    session: &Session,
) -> Result<Draft, ServiceError> {
    let profile = profiles::editable(store, session).await?;
    let facts =
        ProfessionalFacts::from_profile(&profile.values).map_err(ServiceError::Validation)?;
    quota::take(store, session.user_id, drafts_per_hour).await?;
    let drafted = drafter.draft(&facts).await;
    let backend = if drafter.uses_language_model() {
        "language_model"
    } else {
        "built_in"
    };
    let outcome = match &drafted {
        Ok(_) => "drafted",
        Err(DraftError::Timeout(_)) => "timed_out",
        Err(DraftError::Unreachable(_)) => "unreachable",
        Err(DraftError::Status(_)) => "refused",
        Err(DraftError::Malformed(_)) => "malformed",
    };
    metrics::counter!("portal_drafts_total", "backend" => backend, "outcome" => outcome)
        .increment(1);
    let markdown = drafted?;
    Ok(Draft {
        markdown,
        by_language_model: drafter.uses_language_model(),
    })
}
