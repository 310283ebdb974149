//! `/directory`: the public profiles of members, for signed-in members.

use leptos::{either::EitherOf3, prelude::*};
use leptos_meta::Title;

use crate::{
    components::session::RequireMember, functions::profile::member_directory,
    model::directory::DirectoryEntry,
};

#[component]
pub fn DirectoryPage() -> impl IntoView {
    view! {
        <Title text="Member directory" />
        <h1>"Member directory"</h1>
        <p class="lead">"Members who chose to show their professional profile."</p>
        <RequireMember>
            // A plain future, as on the profile pages (see `ProfileSectionPage`).
            {Suspend::new(async move {
                match member_directory().await {
                    Ok(entries) if entries.is_empty() => {
                        EitherOf3::A(view! {
                            <p class="muted">
                                "No public profiles yet. Make yours public on your "
                                <a href="/profile/professional">"professional profile"</a>
                                " page."
                            </p>
                        })
                    }
                    Ok(entries) => {
                        EitherOf3::B(view! {
                            <ul class="directory">
                                {entries
                                    .iter()
                                    .cloned()
                                    .map(|entry| view! { <DirectoryCard entry /> })
                                    .collect_view()}
                            </ul>
                        })
                    }
                    Err(error) => {
                        EitherOf3::C(
                            view! { <p class="form-alert" role="alert">{error.message()}</p> },
                        )
                    }
                }
            })}
        </RequireMember>
    }
}

#[component]
fn DirectoryCard(entry: DirectoryEntry) -> impl IntoView {
    let heading_id = format!("member-{}", entry.id);
    let labelled_by = heading_id.clone();
    let role = [entry.position.clone(), entry.company_name.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <li class="card directory-card" aria-labelledby=labelled_by>
            <h2 id=heading_id>{entry.full_name}</h2>
            {(!role.is_empty()).then(|| view! { <p class="role">{role}</p> })}
            {entry.industry.map(|industry| view! { <p class="muted">{industry}</p> })}
            <div class="markdown bio" inner_html=entry.bio_html></div>
            {(!entry.tags.is_empty())
                .then(|| {
                    view! {
                        <ul class="chips" aria-label="Tags">
                            {entry.tags.iter().cloned().map(|tag| view! { <li class="chip">{tag}</li> }).collect_view()}
                        </ul>
                    }
                })}
            <ul class="links">
                {entry
                    .website
                    .map(|website| {
                        let href = website.clone();
                        view! {
                            <li>
                                <a href=href rel="noopener noreferrer nofollow">{website}</a>
                            </li>
                        }
                    })}
                {entry
                    .social
                    .iter()
                    .map(|link| {
                        view! {
                            <li>
                                <a href=link.url() rel="noopener noreferrer nofollow">
                                    {link.label()}": "{link.handle.clone()}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </li>
    }
}
