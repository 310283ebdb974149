//! The frame around every page: the site header and the navigation between the profile pages.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::pages::profile::ProfileSection;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">
                    "◆"
                </span>
                "Member Portal"
            </a>
        </header>
        <div class="site-body">
            <nav class="section-nav" aria-label="Your profile">
                <h2 class="section-nav-title">"Your profile"</h2>
                <ul>
                    {ProfileSection::ALL
                        .into_iter()
                        .map(|section| {
                            view! {
                                <li>
                                    <A href=section.path() exact=true>
                                        {section.title()}
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <main id="main" class="content">
                {children()}
            </main>
        </div>
    }
}
