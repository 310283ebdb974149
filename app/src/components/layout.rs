//! The frame around every page: the site header with the member's name and sign-out, and the
//! navigation between the profile pages.

use leptos::{either::Either, prelude::*, server_fn::ServerFn};
use leptos_router::components::A;

use super::session::{provide_member_resource, MemberResource};
use crate::{
    functions::{auth::SignOut, security::SECURITY_PATH},
    model::profile::section::ProfileSection,
};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let member = provide_member_resource();
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
            <nav class="site-nav" aria-label="Portal">
                <A href="/directory">"Directory"</A>
            </nav>
            <Transition fallback=|| ()>
                <MemberMenu member />
            </Transition>
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
                    <li>
                        // Not exact: its sub-pages (the authenticator set-up, recovery codes,
                        // deletion) are part of it.
                        <A href=SECURITY_PATH>
                            "Security and privacy"
                        </A>
                    </li>
                </ul>
            </nav>
            <main id="main" class="content">
                {children()}
            </main>
        </div>
    }
}

/// The member's name and a sign-out button (a plain form post), or a sign-in link.
#[component]
fn MemberMenu(member: MemberResource) -> impl IntoView {
    move || {
        Suspend::new(async move {
            match member.0.await {
                Ok(Some(member)) => Either::Left(view! {
                    <div class="member-menu">
                        <span class="member-name" title=member.email.clone()>
                            {member.full_name.clone()}
                        </span>
                        <form method="post" action=SignOut::url()>
                            <button type="submit" class="button-quiet">
                                "Sign out"
                            </button>
                        </form>
                    </div>
                }),
                _ => Either::Right(view! {
                    <div class="member-menu">
                        <a href="/login">"Sign in"</a>
                        <a href="/signup" class="button-light">
                            "Create account"
                        </a>
                    </div>
                }),
            }
        })
    }
}
