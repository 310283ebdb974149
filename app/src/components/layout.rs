//! The frame around every page: the site header with the member's name and sign-out, and the
//! navigation between the profile pages.
//!
//! Only the islands (the forms) are hydrated, so the frame is plain HTML made on the server
//! once per request. Its links are the same for everyone: they are written out once, for
//! each page they can mark current, instead of being built link by link on every request.

use std::sync::LazyLock;

use leptos::{either::Either, prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_location;

use super::session::signed_in_member;
use crate::{
    functions::{auth::SignOut, security::SECURITY_PATH},
    html::escape_html,
    model::profile::section::ProfileSection,
};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let path = use_location().pathname.get_untracked();
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
            <nav class="site-nav" aria-label="Portal" inner_html=SITE_NAV.for_path(&path) />
            <MemberMenu />
        </header>
        <div class="site-body">
            <nav
                class="section-nav"
                aria-label="Your profile"
                inner_html=SECTION_NAV.for_path(&path)
            />
            <main id="main" class="content">
                {children()}
            </main>
        </div>
    }
}

/// The member's name and a sign-out button (a plain form post), or a sign-in link.
#[component]
fn MemberMenu() -> impl IntoView {
    match signed_in_member() {
        Some(member) => Either::Left(view! {
            <div class="member-menu">
                <span class="member-name" title=member.email>
                    {member.full_name}
                </span>
                <form method="post" action=SignOut::url()>
                    <button type="submit" class="button-quiet">
                        "Sign out"
                    </button>
                </form>
            </div>
        }),
        None => Either::Right(view! {
            <div class="member-menu">
                <a href="/login">"Sign in"</a>
                <a href="/signup" class="button-light">
                    "Create account"
                </a>
            </div>
        }),
    }
}

/// A link of a navigation: where it goes, what it says, and whether only its own address makes
/// it current (`exact`) or its sub-pages do too.
struct NavLink {
    href: &'static str,
    title: &'static str,
    exact: bool,
}

impl NavLink {
    fn is_current(&self, path: &str) -> bool {
        let path = match path.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        path == self.href
            || (!self.exact
                && path
                    .strip_prefix(self.href)
                    .is_some_and(|rest| rest.starts_with('/')))
    }
}

/// A navigation's inner HTML, made once for each link it can mark current (`aria-current`)
/// and once with none current.
struct NavHtml {
    links: Vec<NavLink>,
    /// `by_current[i]`: link `i` is current; the last entry: none is.
    by_current: Vec<String>,
}

impl NavHtml {
    fn new(heading: Option<&str>, links: Vec<NavLink>, in_list: bool) -> Self {
        let render = |current: Option<usize>| {
            let mut html = String::new();
            if let Some(heading) = heading {
                html.push_str(&format!(
                    "<h2 class=\"section-nav-title\">{}</h2>",
                    escape_html(heading)
                ));
            }
            if in_list {
                html.push_str("<ul>");
            }
            for (index, link) in links.iter().enumerate() {
                let marked = if current == Some(index) {
                    " aria-current=\"page\""
                } else {
                    ""
                };
                let anchor = format!(
                    "<a href=\"{}\"{marked}>{}</a>",
                    escape_html(link.href),
                    escape_html(link.title)
                );
                if in_list {
                    html.push_str(&format!("<li>{anchor}</li>"));
                } else {
                    html.push_str(&anchor);
                }
            }
            if in_list {
                html.push_str("</ul>");
            }
            html
        };
        let by_current = (0..links.len())
            .map(Some)
            .chain([None])
            .map(render)
            .collect();
        NavHtml { links, by_current }
    }

    /// The HTML for a page at `path`: the first link it is under is current.
    fn for_path(&'static self, path: &str) -> &'static str {
        let current = self
            .links
            .iter()
            .position(|link| link.is_current(path))
            .unwrap_or(self.links.len());
        &self.by_current[current]
    }
}

/// The header's navigation.
static SITE_NAV: LazyLock<NavHtml> = LazyLock::new(|| {
    NavHtml::new(
        None,
        vec![NavLink {
            href: "/directory",
            title: "Directory",
            exact: false,
        }],
        false,
    )
});

/// The profile pages: the five sections and the support contact, each only on its own
/// address, and security and privacy with its sub-pages (the authenticator set-up, recovery
/// codes, deletion).
static SECTION_NAV: LazyLock<NavHtml> = LazyLock::new(|| {
    let sections = ProfileSection::ALL.into_iter().map(|section| NavLink {
        href: section.path(),
        title: section.title(),
        exact: true,
    });
    let security = NavLink {
        href: SECURITY_PATH,
        title: "Security and privacy",
        exact: false,
    };
    NavHtml::new(
        Some("Your profile"),
        sections.chain([security]).collect(),
        true,
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_at_a_path_marks_exactly_its_own_entry() {
        let billing = SECTION_NAV.for_path("/profile/billing");
        assert_eq!(billing.matches("aria-current").count(), 1, "{billing}");
        assert!(billing.contains("<a href=\"/profile/billing\" aria-current=\"page\">"));
        assert!(billing.contains("<a href=\"/profile\">Personal information</a>"));
        // Exact entries: /profile is not current under /profile/billing, nor on a sub-path.
        let personal = SECTION_NAV.for_path("/profile/");
        assert!(personal.contains("<a href=\"/profile\" aria-current=\"page\">"));
        assert!(!SECTION_NAV
            .for_path("/profile/billing/extra")
            .contains("aria-current"));
        // Security and privacy covers its sub-pages, and only those.
        for path in ["/profile/security", "/profile/security/authenticator"] {
            let html = SECTION_NAV.for_path(path);
            assert!(
                html.contains("<a href=\"/profile/security\" aria-current=\"page\">"),
                "{path}: {html}"
            );
        }
        assert!(!SECTION_NAV
            .for_path("/profile/securityx")
            .contains("aria-current"));
        assert!(!SECTION_NAV.for_path("/directory").contains("aria-current"));
        assert!(SITE_NAV.for_path("/directory").contains("aria-current"));
        assert!(!SITE_NAV.for_path("/login").contains("aria-current"));
    }

    #[test]
    fn the_section_navigation_lists_every_section_then_security() {
        let html = SECTION_NAV.for_path("/login");
        assert!(html.starts_with("<h2 class=\"section-nav-title\">Your profile</h2><ul><li>"));
        let hrefs: Vec<&str> = html
            .split("href=\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        let mut expected: Vec<&str> = ProfileSection::ALL.iter().map(|s| s.path()).collect();
        expected.push(SECURITY_PATH);
        assert_eq!(hrefs, expected);
    }
}
