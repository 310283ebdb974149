//! Limits on the mail anyone can ask the portal to send (reset links, verification links,
//! e-mail change links): each message costs from the budget of the address it goes to and of the
//! client asking. So nobody can flood an inbox through the portal, and a stranger who spends an
//! address's budget does not stop its owner: a request from a device that signed in to that
//! account before (its device cookie) spends that device's own budget instead.

use crate::server::{
    error::ServiceError,
    rate_limit::{Events, Key, Limit},
    settings::Limits,
    store::Store,
};

pub const TABLE: &str = "mail_requests";

pub fn events(limits: &Limits) -> Events {
    Events {
        table: TABLE,
        window_secs: limits.mail_window_secs,
    }
}

/// Spends one message to `address` (normalised) asked for by `client`, on the budget of
/// `device` (a verified device cookie of the address's account) while it lasts; a 429 when the
/// budgets are spent.
pub async fn spend(
    store: &Store,
    limits: &Limits,
    address: &str,
    client: &str,
    device: Option<&str>,
) -> Result<(), ServiceError> {
    let events = events(limits);
    if let Some(device) = device {
        let own = [Limit {
            column: "device",
            key: Key::Text(device),
            limit: limits.mails_per_device,
        }];
        match events.record(store, &own).await {
            Err(ServiceError::TooManyRequests { .. }) => {}
            spent => return spent,
        }
    }
    events
        .record(
            store,
            &[
                Limit {
                    column: "account",
                    key: Key::Text(address),
                    limit: limits.mails_per_address,
                },
                Limit {
                    column: "client_addr",
                    key: Key::Text(client),
                    limit: limits.mails_per_client,
                },
            ],
        )
        .await
}
