//! The profile pages' server functions: the same core and storage as the JSON API. A page
//! sends its form as it stands plus the values it was filled with; the shared core turns the
//! difference into the patch.

use std::sync::Arc;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::context as ssr;
use super::error::PortalError;
use crate::model::{
    country::CountryChoices,
    directory::DirectoryEntry,
    password_policy::PasswordPolicy,
    profile::{field::FormValues, section::ProfileSection},
};
#[cfg(feature = "ssr")]
use crate::model::{
    profile::{field::ProfileField, patch::StoredValue},
    support::{SupportField, SupportProfile},
};

/// What a profile page is filled with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfilePage {
    pub values: FormValues,
    /// For the country selects, on pages with one. Only the server's render uses it: the
    /// options are in the page's HTML already, so the browser's copy of the form leaves the
    /// list out.
    #[serde(skip)]
    pub countries: Option<Arc<CountryChoices>>,
    /// Each country's Id and two-letter code, on the page with the billing country (the tax
    /// number's VAT prefix depends on it).
    pub country_codes: Option<Vec<(i64, String)>>,
    /// The password rules of the member's location, on the credentials page.
    pub policy: Option<PasswordPolicy>,
    /// The stored profile summary rendered as the directory shows it, on the professional page.
    pub summary_html: Option<String>,
    /// The member's e-mail address, on the credentials page (a new password must differ).
    pub email: Option<String>,
}

/// What a save did, and the page's values as now stored (normalised: trimmed, `www.x.com` as
/// `https://www.x.com`, a social URL as its handle).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedPage {
    pub values: FormValues,
    /// Wire names of the fields that changed (`Password` for a new password).
    pub changed: Vec<String>,
}

/// The query a profile page is sent back to after a save without JavaScript.
pub const SAVED_QUERY: &str = "saved";

#[server(prefix = "/api/fn", endpoint = "load_profile_page")]
pub async fn load_profile_page(section: ProfileSection) -> Result<ProfilePage, PortalError> {
    use crate::{
        model::profile::{field::FieldKind, section::FormField},
        server::{identity::accounts, profiles},
    };
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    if section == ProfileSection::Support {
        let stored = crate::server::profiles::support::read(&state.store, session.user_id).await?;
        return Ok(ProfilePage {
            values: stored.profile.form_values(),
            countries: None,
            country_codes: None,
            policy: None,
            summary_html: None,
            email: None,
        });
    }
    // Only the page's own columns.
    let profile =
        profiles::editable_fields(&state.store, &session, section.profile_fields()).await?;
    let has_country = section
        .fields()
        .iter()
        .any(|field| field.kind() == FieldKind::CountryId);
    let countries = if has_country {
        Some(state.countries.choices(&state.store).await?)
    } else {
        None
    };
    let has_billing_country = section
        .fields()
        .contains(&FormField::Profile(ProfileField::BillingCountryId));
    Ok(ProfilePage {
        values: section.form_values(&profile.values),
        country_codes: countries
            .as_ref()
            .filter(|_| has_billing_country)
            .map(|choices| choices.codes()),
        countries,
        policy: if section == ProfileSection::Credentials {
            Some(accounts::policy_for_profile(&state.store, profile.id).await?)
        } else {
            None
        },
        email: if section == ProfileSection::Credentials {
            Some(
                accounts::current_session(&state.store, &session)
                    .await?
                    .user
                    .email,
            )
        } else {
            None
        },
        summary_html: (section == ProfileSection::Professional).then(|| {
            match profile.values.get(&ProfileField::ProfileSummary) {
                Some(Some(StoredValue::Text(summary))) => {
                    crate::server::profiles::markdown::render(summary)
                }
                _ => String::new(),
            }
        }),
    })
}

/// Saves what changed on one page. Without JavaScript the browser is sent back to the page
/// (with `?saved=1`, or with the error and every non-secret value it typed).
#[server(prefix = "/api/fn", endpoint = "save_profile_page")]
pub async fn save_profile_page(
    section: ProfileSection,
    #[server(default)] values: FormValues,
    #[server(default)] loaded: FormValues,
) -> Result<SavedPage, PortalError> {
    use crate::server::profiles;
    let state = ssr::state()?;
    let keep_typed = |error: PortalError| {
        section
            .fields()
            .iter()
            .filter(|field| !field.is_secret())
            .filter_map(|field| values.get(field.wire_name()).map(|v| (field, v)))
            .fold(error, |error, (field, value)| {
                error.keeping(field.wire_name(), value)
            })
    };
    let session = ssr::require_session(&state).await.map_err(keep_typed)?;
    if section == ProfileSection::Support {
        let saved = replace_support_profile(&state, &session, &values)
            .await
            .map_err(keep_typed)?;
        if ssr::plain_form_post() {
            leptos_axum::redirect(&format!("{}?{SAVED_QUERY}=1", section.path()));
        }
        return Ok(saved);
    }
    let patch = section.patch_from_form(&values, &loaded);
    let caller = ssr::caller();
    let outcome = profiles::update(
        profiles::Services {
            store: &state.store,
            writer: &state.profile_writer,
            mail: &state.mail,
            countries: &state.countries,
        },
        &session,
        &patch,
        None,
        (&state.security.limits, &caller.origin()),
    )
    .await
    .map_err(|error| keep_typed(error.into()))?;
    let profile = profiles::editable(&state.store, &session).await?;
    if ssr::plain_form_post() {
        leptos_axum::redirect(&format!("{}?{SAVED_QUERY}=1", section.path()));
    }
    Ok(SavedPage {
        values: section.form_values(&profile.values),
        changed: outcome.changed,
    })
}

/// The support page saves by replacing the whole support profile with what its form holds,
/// through the same model and repository as `PUT /v1/profiles/supportprofile`.
#[cfg(feature = "ssr")]
async fn replace_support_profile(
    state: &crate::server::state::AppState,
    session: &crate::server::identity::sessions::Session,
    values: &FormValues,
) -> Result<SavedPage, PortalError> {
    use crate::server::{error::ServiceError, profiles::support};
    let valid = SupportProfile::from_form(values)
        .validate_form()
        .map_err(|errors| PortalError::from(ServiceError::Validation(errors)))?;
    let replaced = support::replace(
        &state.store,
        session.user_id,
        &valid,
        None,
        &ssr::caller().origin(),
    )
    .await?;
    let changed = SupportField::ALL
        .into_iter()
        .filter(|field| replaced.changed.contains(&field.api_name()))
        .map(|field| field.form_name().to_owned())
        .collect();
    Ok(SavedPage {
        values: replaced.stored.profile.form_values(),
        changed,
    })
}

/// The profile summary as the directory will show it: Markdown rendered and sanitised here,
/// so that neither a Markdown engine nor a sanitiser is shipped to the browser.
#[server(prefix = "/api/fn", endpoint = "preview_markdown")]
pub async fn preview_markdown(markdown: String) -> Result<String, PortalError> {
    use crate::model::profile::field::SUMMARY_MAX_CHARS;
    let state = ssr::state()?;
    ssr::require_session(&state).await?;
    // Enough for a summary that is a little too long (the form says so); not a free renderer.
    let text: String = markdown.chars().take(SUMMARY_MAX_CHARS * 2).collect();
    Ok(crate::server::profiles::markdown::render(&text))
}

/// Drafts a summary from the member's saved professional fields and returns it for review,
/// rendered beside `current` (the summary in the form) with the words it drops and adds marked.
/// The draft itself travels in the `data-markdown` attribute of its column. Saves nothing.
#[server(prefix = "/api/fn", endpoint = "draft_profile_summary")]
pub async fn draft_profile_summary(current: String) -> Result<String, PortalError> {
    use crate::server::profiles::drafting;
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    let draft = drafting::draft_summary(
        &state.store,
        state.drafter.as_ref(),
        state.security.limits.drafts_per_hour,
        &session,
    )
    .await
    .map_err(|error| {
        let mut error = PortalError::from(error);
        // The review shows one message: what to fill in before asking again.
        if let PortalError::Rejected {
            message, errors, ..
        } = &mut error
        {
            let mut sentences: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            sentences.dedup();
            if !sentences.is_empty() {
                *message = sentences.join(" ");
            }
        }
        error
    })?;
    Ok(drafting::review::render(&current, &draft))
}

/// The public profiles, for signed-in members.
#[server(prefix = "/api/fn", endpoint = "member_directory")]
pub async fn member_directory() -> Result<Arc<Vec<DirectoryEntry>>, PortalError> {
    let state = ssr::state()?;
    ssr::require_session(&state).await?;
    // The list as kept by the directory's cache: the page clones its entries, not their text.
    Ok(crate::server::profiles::directory::public_profiles(&state.store, &state.directory).await?)
}
