//! The five profile pages. Each edits one slice of the profile; until their forms arrive they
//! describe what they will hold, and the personal page previews the salutation.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::{
    components::session::RequireMember,
    model::gender::{salutation, Gender},
};

/// One profile page: its address, its title and what it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileSection {
    Personal,
    Professional,
    Billing,
    Notifications,
    Credentials,
}

impl ProfileSection {
    pub const ALL: [ProfileSection; 5] = [
        ProfileSection::Personal,
        ProfileSection::Professional,
        ProfileSection::Billing,
        ProfileSection::Notifications,
        ProfileSection::Credentials,
    ];

    pub fn path(self) -> &'static str {
        match self {
            ProfileSection::Personal => "/profile",
            ProfileSection::Professional => "/profile/professional",
            ProfileSection::Billing => "/profile/billing",
            ProfileSection::Notifications => "/profile/notifications",
            ProfileSection::Credentials => "/profile/password",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProfileSection::Personal => "Personal information",
            ProfileSection::Professional => "Professional profile",
            ProfileSection::Billing => "Billing information",
            ProfileSection::Notifications => "Notifications",
            ProfileSection::Credentials => "Password",
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            ProfileSection::Personal => "Your name, date of birth, phone numbers and address.",
            ProfileSection::Professional => {
                "What other members see in the directory: position, company, bio and links."
            }
            ProfileSection::Billing => "Who invoices are made out to and where they are sent.",
            ProfileSection::Notifications => "Which e-mails you receive from the community.",
            ProfileSection::Credentials => "Change the password you sign in with.",
        }
    }

    /// The section served at `path`, ignoring a trailing slash.
    pub fn from_path(path: &str) -> Option<ProfileSection> {
        let path = match path.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        ProfileSection::ALL
            .into_iter()
            .find(|section| section.path() == path)
    }
}

/// Renders whichever section the current address names, for signed-in members only.
#[component]
pub fn ProfileSectionPage() -> impl IntoView {
    let location = use_location();
    view! {
        <RequireMember>
            {move || {
                let section = ProfileSection::from_path(&location.pathname.get())
                    .unwrap_or(ProfileSection::Personal);
                view! {
                    <Title text=section.title() />
                    <h1>{section.title()}</h1>
                    <p class="lead">{section.summary()}</p>
                    {(section == ProfileSection::Personal).then(SalutationPreview)}
                }
            }}
        </RequireMember>
    }
}

/// Shows, as the member types, how the portal will greet them.
#[component]
fn SalutationPreview() -> impl IntoView {
    let full_name = RwSignal::new(String::new());
    let gender = RwSignal::new(Gender::NotSet);

    view! {
        <section class="card salutation-preview" aria-labelledby="salutation-heading">
            <h2 id="salutation-heading">"How we greet you"</h2>
            <div class="field">
                <label for="preview-full-name">"Full name"</label>
                <input id="preview-full-name" type="text" autocomplete="name" bind:value=full_name />
            </div>
            <div class="field">
                <label for="preview-gender">"Gender"</label>
                <select
                    id="preview-gender"
                    on:change=move |event| {
                        gender.set(event_target_value(&event).parse().unwrap_or_default())
                    }
                >
                    {Gender::ALL
                        .into_iter()
                        .map(|option| view! { <option value=option.as_str()>{option.label()}</option> })
                        .collect_view()}
                </select>
            </div>
            <p class="salutation" aria-live="polite">
                {move || salutation(gender.get(), &full_name.get())}
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_is_found_by_its_own_path() {
        for section in ProfileSection::ALL {
            assert_eq!(ProfileSection::from_path(section.path()), Some(section));
            let with_slash = format!("{}/", section.path());
            assert_eq!(ProfileSection::from_path(&with_slash), Some(section));
        }
        assert_eq!(ProfileSection::from_path("/profile/unknown"), None);
        assert_eq!(ProfileSection::from_path("/"), None);
    }
}
