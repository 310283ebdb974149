//! The landing page: what the portal is and where each part of the profile is edited.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::model::profile::section::ProfileSection;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Welcome" />
        <h1>"Welcome to your member portal"</h1>
        <p class="lead">
            "Keep your details, your public directory profile, billing and notification "
            "preferences up to date in one place."
        </p>
        <ul class="card-grid">
            {ProfileSection::ALL
                .into_iter()
                .map(|section| {
                    view! {
                        <li class="card">
                            <h2>
                                <a href=section.path()>{section.title()}</a>
                            </h2>
                            <p>{section.summary()}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
