//! The router: the JSON API, the Leptos pages and server functions, and the static site files.

use std::sync::LazyLock;

use app::{server::state::AppState, shell, App};
use axum::{extract::DefaultBodyLimit, Router};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, router::UtoipaMethodRouterExt, routes};

use crate::api::{
    self,
    openapi::{self as document, ApiDoc, ServedDocument},
};
use crate::page_cache::PageCache;

/// The JSON API. Every route is added by `routes!`, which reads the handler's
/// `#[utoipa::path]`: the route and its OpenAPI description are registered together, so the
/// document at `/api/openapi.json` describes exactly what is routed.
pub fn api() -> OpenApiRouter<AppState> {
    // The partner support-profile API (seed 000), each path under both of its names and both
    // spellings of its version.
    let support = OpenApiRouter::new()
        .routes(routes!(
            api::support::read_support,
            api::support::replace_support
        ))
        .routes(routes!(
            api::support::read_supportprofile,
            api::support::replace_supportprofile
        ))
        .routes(routes!(
            api::support::read_support_v1_0,
            api::support::replace_support_v1_0
        ))
        .routes(routes!(
            api::support::read_supportprofile_v1_0,
            api::support::replace_supportprofile_v1_0
        ))
        .layer(DefaultBodyLimit::max(api::support::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(api::partner::request_ids));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(support)
        .routes(routes!(api::openapi::openapi_json))
        .routes(routes!(api::health::health))
        .routes(routes!(api::auth::sign_up))
        .routes(routes!(api::auth::log_in))
        .routes(routes!(api::auth::log_in_second_factor))
        .routes(routes!(api::auth::log_out))
        .routes(routes!(api::auth::me))
        .routes(routes!(api::profile::read))
        .routes(
            routes!(api::profile::patch).layer(DefaultBodyLimit::max(api::profile::MAX_BODY_BYTES)),
        )
        .routes(routes!(api::profile::generate_summary))
        .routes(routes!(api::profile::countries))
        .routes(routes!(api::auth::linked_profiles))
        .routes(routes!(api::auth::activate_profile))
        .routes(routes!(api::email::forgot_password))
        .routes(routes!(api::email::reset_password))
        .routes(routes!(api::email::verify_email))
        .routes(routes!(api::email::resend_verification))
        .routes(routes!(api::email::change_email))
        .routes(routes!(api::email::confirm_email_change))
        .routes(routes!(api::email::undo_email_change))
        .routes(routes!(api::security::list_sessions))
        .routes(routes!(api::security::end_session))
        .routes(routes!(api::security::end_other_sessions))
        .routes(routes!(api::security::security_log))
        .routes(routes!(api::security::reauthenticate))
        .routes(routes!(api::security::export_data))
        .routes(routes!(api::security::delete_account))
        .routes(routes!(api::two_factor::status))
        .routes(routes!(api::two_factor::begin_totp))
        .routes(routes!(api::two_factor::confirm_totp))
        .routes(routes!(api::two_factor::disable_totp))
        .routes(routes!(api::two_factor::regenerate_recovery_codes))
        .routes(routes!(api::passkeys::list))
        .routes(routes!(api::passkeys::start_registration))
        .routes(routes!(api::passkeys::finish_registration))
        .routes(routes!(api::passkeys::remove))
        .routes(routes!(api::passkeys::start_sign_in))
        .routes(routes!(api::passkeys::sign_in))
        .routes(routes!(api::passkeys::start_second_step))
        .routes(routes!(api::passkeys::second_step))
}

/// The OpenAPI document of the JSON API, as `/api/openapi.json` serves it.
pub fn api_document() -> serde_json::Value {
    document::finish(api().into_openapi())
}

/// The pages' routes, listed once per process. While Leptos lists them it tells every resource
/// in the process not to load (a global flag, leptos#4773), and a resource first polled in that
/// window never loads: a page rendering meanwhile would never finish. Listed once, before the
/// first router serves, no render can meet the flag, however many routers are built (every test
/// builds its own while others render).
static PAGE_ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

pub fn router(state: AppState) -> Router {
    let routes = PAGE_ROUTES.clone();
    let (api, openapi) = api().split_for_parts();
    let api = api.layer(axum::Extension(ServedDocument::new(&document::finish(
        openapi,
    ))));
    let pages = Router::new()
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::client_context::look_up_page_session,
        ));
    api.merge(pages)
        // Anything else: a file of the built site (wasm, js, css, assets; precompressed when the
        // release build made .br and .gz copies) or the 404 page (see `static_files`).
        .fallback(crate::static_files::site_file_or_not_found)
        // Inside the security headers, which make the nonce it fills in.
        .layer(axum::middleware::from_fn_with_state(
            PageCache::default(),
            crate::page_cache::serve_signed_out_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::csrf::reject_cross_site_requests,
        ))
        .layer(axum::middleware::from_fn(
            crate::security_headers::add_security_headers,
        ))
        // Inside the client context (it logs the client that resolves), around everything else.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::access_log::access_log,
        ))
        // Outside the others: they read the client it resolves.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::client_context::client_context,
        ))
        // Pages and JSON are compressed as they are sent (brotli or gzip, as the client accepts);
        // files that were precompressed already go out as they are.
        .layer(CompressionLayer::new())
        .with_state(state)
}
