//! The five profile pages. Each edits one slice of the profile through the same form, filled
//! on the server so that it arrives complete in the first HTML.

mod controls;
mod draft;
mod email;
mod form;
mod form_state;
mod security;
mod two_factor;

use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

use crate::{
    components::session::RequireMember,
    functions::profile::{load_profile_page, SaveProfilePage, SAVED_QUERY},
    model::profile::section::ProfileSection,
};
use email::SignInAddress;
use form::ProfileForm;
pub use security::{DeleteAccountPage, SecurityPrivacyPage};
pub use two_factor::{AuthenticatorSetupPage, CodeField, RecoveryCodesPage};

/// Renders whichever section the current address names, for signed-in members only.
#[component]
pub fn ProfileSectionPage() -> impl IntoView {
    let location = use_location();
    let query = use_query_map();
    // A save posted without JavaScript comes back here: refused (the error and what was
    // typed are in the address) or done (`?saved=1`).
    let action = ServerAction::<SaveProfilePage>::new();
    // One render per request: only the form below is an island, so nothing here changes
    // after it.
    let section = ProfileSection::from_path(&location.pathname.get_untracked())
        .unwrap_or(ProfileSection::Personal);
    view! {
        <RequireMember>
            <Title text=section.title() />
            <h1>{section.title()}</h1>
            <p class="lead">{section.summary()}</p>
            // The page renders once, on the server, after its data came (`SsrMode::Async`):
            // a plain future, without a resource or a Suspense, which would only add a task, a
            // fallback nobody sees and a second walk over the form. Made only for a signed-in
            // member: a visitor is redirected without a load.
            {Suspend::new(async move {
                match load_profile_page(section).await {
                    Ok(page) => {
                        let returned = action.value().get_untracked().and_then(Result::err);
                        let saved = query.read_untracked().get(SAVED_QUERY).is_some();
                        Either::Left(view! { <ProfileForm section page returned saved /> })
                    }
                    Err(error) => {
                        Either::Right(
                            view! { <p class="form-alert" role="alert">{error.message()}</p> },
                        )
                    }
                }
            })}
            {(section == ProfileSection::Credentials).then(|| view! { <SignInAddress /> })}
        </RequireMember>
    }
}
