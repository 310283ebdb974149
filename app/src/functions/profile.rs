//! The profile pages' server functions: the same core and storage as the JSON API.

use leptos::{prelude::*, server_fn::codec::Json};
use serde_json::{Map, Value};

#[cfg(feature = "ssr")]
use super::context as ssr;
use super::error::PortalError;
use crate::model::profile::patch::ProfilePatch;

/// Every editable field of the active profile, by wire name.
#[server(prefix = "/api/fn", endpoint = "load_profile")]
pub async fn load_profile() -> Result<Map<String, Value>, PortalError> {
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    let profile = crate::server::profiles::editable(&state.pool, &session).await?;
    Ok(profile.fields)
}

/// Applies a page's slice of the profile. JSON input, so that a field left out, a `null` and a
/// value stay three different things on the way to the server.
#[server(prefix = "/api/fn", endpoint = "update_profile", input = Json)]
pub async fn update_profile(patch: ProfilePatch) -> Result<Vec<String>, PortalError> {
    let state = ssr::state()?;
    let session = ssr::require_session(&state).await?;
    let outcome = crate::server::profiles::update(&state.pool, &session, &patch, None).await?;
    Ok(outcome.changed)
}
