//! What every request handler and server function can reach.

use std::{ops::Deref, sync::Arc};

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::server::{
    identity::settings::SecuritySettings, mail::MailQueue, profiles::countries::CountryList,
    profiles::directory::DirectoryCache, profiles::drafting::SummaryDrafter,
    profiles::profile_writer::ProfileWriter, store::Store, web::page_head::PageHead,
};

/// The services, behind one pointer: axum and Leptos clone the state for every route, layer and
/// render a request passes through, and a clone of the fields themselves (a score of reference
/// counts, most of them in the Leptos options) was a twentieth of a page's time.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        AppState(Arc::new(services))
    }
}

impl Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What Leptos' handlers take from the state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

#[derive(Debug)]
pub struct Services {
    pub leptos_options: LeptosOptions,
    /// The database (SQLite or PostgreSQL).
    pub store: Store,
    /// Writes profile updates in group commits (see `profile_writer`).
    pub profile_writer: ProfileWriter,
    /// How long a session stays valid after it was last used.
    pub session_ttl_secs: i64,
    /// Writes profile summary drafts (a language model, or the built-in composer).
    pub drafter: Arc<dyn SummaryDrafter>,
    /// Throttle limits, trusted proxies, the public origin, the device cookies' key.
    pub security: Arc<SecuritySettings>,
    /// Where messages are queued, and the origin of the links in them.
    pub mail: MailQueue,
    /// The head tags that load the bundle, rendered once.
    pub page_head: Arc<PageHead>,
    /// The countries, read once.
    pub countries: CountryList,
    /// The member directory as last read, until the database's version of it moves on.
    pub directory: DirectoryCache,
}
