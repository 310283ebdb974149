//! The router: the JSON API, the Leptos pages and server functions, and the static site files.

use app::{server::state::AppState, shell, App};
use axum::{
    extract::DefaultBodyLimit,
    routing::{get, patch, post},
    Router,
};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

use crate::api;

/// The partner support-profile API (seed 000), each path under both of its names.
fn support_profile_routes() -> Router<AppState> {
    let resource = || {
        get(api::support::read)
            .put(api::support::replace)
            .layer(DefaultBodyLimit::max(api::support::MAX_BODY_BYTES))
    };
    Router::new()
        .route("/v1/profiles/support", resource())
        .route("/v1/profiles/supportprofile", resource())
        .layer(axum::middleware::from_fn(api::partner::request_ids))
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .merge(support_profile_routes())
        .route("/api/health", get(api::health::health))
        .route("/api/auth/signup", post(api::auth::sign_up))
        .route("/api/auth/login", post(api::auth::log_in))
        .route("/api/auth/logout", post(api::auth::log_out))
        .route("/login/me", get(api::auth::me))
        .route("/en/profile", get(api::profile::read))
        .route(
            "/api/public/coworker/profile",
            patch(api::profile::patch).layer(DefaultBodyLimit::max(api::profile::MAX_BODY_BYTES)),
        )
        .route(
            "/en/profile/GenerateOpenAiProfile",
            post(api::profile::generate_summary),
        )
        .route("/api/public/countries", get(api::profile::countries))
        .route(
            "/api/public/coworkers/profiles",
            get(api::auth::linked_profiles),
        )
        .route(
            "/api/public/coworkers/profiles/{id}/activate",
            post(api::auth::activate_profile),
        )
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        // Anything else: a file of the built site (wasm, js, css, assets) or the 404 page.
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(
            crate::csrf::reject_cross_site_cookie_requests,
        ))
        .layer(axum::middleware::from_fn(
            crate::security_headers::add_security_headers,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
