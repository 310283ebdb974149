//! The member portal: the Leptos application shared by the server (SSR) and the browser (hydrate).
// The view types of the sign-in and profile pages nest deeper than the default limit of 128
// when compiled without `erase_components` (the release build).
#![recursion_limit = "256"]

pub mod components;
pub mod functions;
pub mod html;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use components::layout::Layout;
use pages::{
    directory::DirectoryPage,
    home::HomePage,
    not_found::NotFound,
    profile::{
        AuthenticatorSetupPage, DeleteAccountPage, ProfileSectionPage, RecoveryCodesPage,
        SecurityPrivacyPage,
    },
    recovery::{
        ConfirmEmailPage, ForgotPasswordPage, ResetPasswordPage, UndoEmailChangePage,
        VerifyEmailPage,
    },
    sign_in::{LoginPage, SignInCodePage, SignupPage},
};

/// The name of the wasm, js and css bundles (`/pkg/portal.*`); cargo-leptos `name` in Cargo.toml.
pub const BUNDLE_NAME: &str = "portal";

/// The HTML document around the application, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    server::web::security::use_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // What a search result shows under the title (Lighthouse's SEO audit asks for it).
                <meta
                    name="description"
                    content="Member Portal: keep your personal details, directory profile, billing, notification choices and sign-in security up to date."
                />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                {bundle_tags(options)}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The stylesheet and the islands' scripts: /pkg/portal.<hash>.css, .js and .wasm, from the
/// hashes cargo-leptos wrote beside the binary. Rendered once at start-up (`PageHead`) when the
/// application state is there, as it is for every page.
#[cfg(feature = "ssr")]
fn bundle_tags(options: LeptosOptions) -> impl IntoView {
    use leptos::either::Either;
    match use_context::<server::state::AppState>() {
        Some(state) => Either::Left(state.page_head.view()),
        None => Either::Right(leptos_bundle_tags(options)),
    }
}

#[cfg(not(feature = "ssr"))]
fn bundle_tags(options: LeptosOptions) -> impl IntoView {
    leptos_bundle_tags(options)
}

/// The tags as Leptos renders them.
pub(crate) fn leptos_bundle_tags(options: LeptosOptions) -> impl IntoView {
    view! {
        <HashedStylesheet options=options.clone() id="leptos" />
        <HydrationScripts options islands=true />
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title formatter=|page: String| format!("{page} · Member Portal") />
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/login/code") view=SignInCodePage />
                    // Async: the password policy is in the first HTML, so the form is there
                    // without JavaScript too.
                    <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async />
                    // Async: the session is known before the first byte, so a signed-out
                    // visitor gets a real 302 to the sign-in page.
                    <Route path=path!("/profile") view=ProfileSectionPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/profile/professional")
                        view=ProfileSectionPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/profile/billing")
                        view=ProfileSectionPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/profile/notifications")
                        view=ProfileSectionPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/profile/password")
                        view=ProfileSectionPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/profile/support")
                        view=ProfileSectionPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/profile/security")
                        view=SecurityPrivacyPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/profile/security/delete")
                        view=DeleteAccountPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/profile/security/authenticator")
                        view=AuthenticatorSetupPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/profile/security/recovery-codes")
                        view=RecoveryCodesPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/directory") view=DirectoryPage ssr=SsrMode::Async />
                    <Route path=path!("/password/forgot") view=ForgotPasswordPage />
                    // Async: whether the link works is known before the first byte.
                    <Route
                        path=path!("/password/reset")
                        view=ResetPasswordPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/email/verify") view=VerifyEmailPage ssr=SsrMode::Async />
                    <Route path=path!("/email/confirm") view=ConfirmEmailPage ssr=SsrMode::Async />
                    <Route path=path!("/email/undo") view=UndoEmailChangePage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}

/// Brings the islands of the server-rendered page (the forms) to life. Called by the wasm entry
/// point; it lives here so that linking it also links the islands this crate exports.
#[cfg(feature = "hydrate")]
pub fn hydrate_islands() {
    // A server function that redirects (sign-in, sign-up) loads the page it names.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        let _ = window().location().set_href(location);
    });
    leptos::mount::hydrate_islands();
    // Lets end-to-end tests (and CSS) tell an interactive page from a static one; a page with
    // islands is marked once they are (`components::hydrated::keep_typed`).
    components::hydrated::mark_page_if_hydrated();
}
