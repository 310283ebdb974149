//! The signed-in member, shared by the layout and the pages that need a session.

use leptos::{either::Either, prelude::*};
use leptos_router::{components::Redirect, hooks::use_location};

use crate::functions::{
    auth::{current_member, Member},
    error::PortalError,
};

/// Who is signed in, refetched on every navigation (sign-in and sign-out both navigate).
#[derive(Clone, Copy)]
pub struct MemberResource(pub Resource<Result<Option<Member>, PortalError>>);

pub fn provide_member_resource() -> MemberResource {
    let location = use_location();
    let resource = MemberResource(Resource::new(
        move || location.pathname.get(),
        |_| current_member(),
    ));
    provide_context(resource);
    resource
}

/// Renders `children` for a signed-in member; anyone else is sent to the sign-in page, which
/// brings them back here afterwards.
#[component]
pub fn RequireMember(children: ChildrenFn) -> impl IntoView {
    let MemberResource(member) = expect_context::<MemberResource>();
    let location = use_location();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match member.await {
                    Ok(Some(_)) => Either::Left(children.with_value(|children| children())),
                    _ => {
                        let here = location.pathname.get_untracked();
                        Either::Right(view! { <Redirect path=format!("/login?next={here}") /> })
                    }
                }
            })}
        </Suspense>
    }
}
