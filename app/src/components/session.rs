//! The signed-in member, shared by the layout and the pages that need a session.

use leptos::{either::Either, prelude::*};
use leptos_router::{components::Redirect, hooks::use_location};

use crate::functions::auth::Member;

/// Who is signed in, as the server found it before rendering the page: it looks a page
/// request's session up, with the header's name and address, before the render starts (see
/// `server::identity::sessions::PageSession`), so the frame and the pages read it without waiting.
/// `None` for a visitor, and when that look-up failed (the page's own data then reports it).
pub fn signed_in_member() -> Option<Member> {
    #[cfg(feature = "ssr")]
    {
        crate::functions::context::page_banner().map(|(full_name, email, email_verified)| Member {
            full_name,
            email,
            email_verified,
        })
    }
    // Only the islands run in the browser, and none of them asks.
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Renders `children` for a signed-in member; anyone else is sent to the sign-in page, which
/// brings them back here afterwards.
#[component]
pub fn RequireMember<C: IntoView + 'static>(children: TypedChildren<C>) -> impl IntoView {
    // Typed, not `Children`: a boxed `AnyView` of the page would be copied (`into_owned`) and
    // rendered through a table of functions on every request.
    if signed_in_member().is_some() {
        Either::Left(children.into_inner()())
    } else {
        let here = use_location().pathname.get_untracked();
        Either::Right(view! { <Redirect path=format!("/login?next={here}") /> })
    }
}
