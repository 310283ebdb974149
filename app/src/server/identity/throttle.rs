//! Password-guessing throttles: too many failed passwords within a window, and further attempts
//! are refused before any password is checked.
//!
//! Each attempt counts against budgets that nobody else can exhaust for an honest member:
//! - a sign-in from a client without the account's device cookie: the account's budget for
//!   such clients, and the client address's;
//! - a sign-in from a device that signed in to the account before (a valid device cookie): that
//!   device's own small budget only, so a stranger who exhausted the account's budget does not
//!   lock its owner out (when the device's budget is spent, it is treated as any other client);
//! - the current password checked through a session (changing the password): the member's
//!   budget and the client address's.
//!
//! Every attempt is recorded *before* its password is verified and forgotten only when it
//! succeeds, so parallel guesses cannot slip past a limit while their hashes are computed.
//! The counts live in the database, so every server instance sees the same ones.

use crate::server::{
    error::ServiceError,
    rate_limit::{Events, Key, Limit},
    settings::Limits,
    store::Store,
};

pub const TABLE: &str = "password_failures";

/// One password check and who it counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt<'a> {
    /// A sign-in to `account` (a normalised e-mail address) without its device cookie.
    Untrusted { account: &'a str, client: &'a str },
    /// A sign-in from the device with this id, which signed in to the account before.
    KnownDevice { device: &'a str },
    /// The current password of `user_id`, checked through one of their sessions.
    CurrentPassword { user_id: i64, client: &'a str },
    /// A second-factor code of `user_id` (after a right password, or through a session): the
    /// same budgets as their current password.
    SecondFactor { user_id: i64, client: &'a str },
}

fn failures(limits: &Limits) -> Events {
    Events {
        table: TABLE,
        window_secs: limits.sign_in_window_secs,
    }
}

/// Records `attempt`, counted as a failure until [`succeeded`] says otherwise; refuses it with
/// `TooManyRequests` (recording nothing) when it would exceed one of its limits.
pub async fn begin(
    store: &Store,
    limits: &Limits,
    attempt: Attempt<'_>,
) -> Result<(), ServiceError> {
    let per_client = |client| Limit {
        column: "client_addr",
        key: Key::Text(client),
        limit: limits.sign_in_per_client,
    };
    let budgets = match attempt {
        Attempt::Untrusted { account, client } => vec![
            Limit {
                column: "account",
                key: Key::Text(account),
                limit: limits.sign_in_per_account,
            },
            per_client(client),
        ],
        Attempt::KnownDevice { device } => vec![Limit {
            column: "device",
            key: Key::Text(device),
            limit: limits.sign_in_per_device,
        }],
        Attempt::CurrentPassword { user_id, client }
        | Attempt::SecondFactor { user_id, client } => vec![
            Limit {
                column: "user_id",
                key: Key::Id(user_id),
                limit: limits.sign_in_per_account,
            },
            per_client(client),
        ],
    };
    failures(limits).record(store, &budgets).await
}

/// The password was right: the failures counted against the attempt's own budget, this one
/// included, are forgotten. (A known device's success leaves the account's budget for other
/// clients as it is, so whoever exhausted it stays locked out.)
pub async fn succeeded(store: &Store, attempt: Attempt<'_>) -> Result<(), ServiceError> {
    let key = match attempt {
        Attempt::Untrusted { account, .. } => ("account", Key::Text(account)),
        Attempt::KnownDevice { device } => ("device", Key::Text(device)),
        Attempt::CurrentPassword { user_id, .. } | Attempt::SecondFactor { user_id, .. } => {
            ("user_id", Key::Id(user_id))
        }
    };
    Ok(store.delete_events_of(TABLE, key).await?)
}

/// Counts a passkey ceremony started by someone not signed in from `client`, on a budget of the
/// client's own apart from its password budget (the same size), so a flood of them cannot fill
/// the ceremony table and passkey sign-ins cannot lock out password ones.
pub async fn count_passkey_start(
    store: &Store,
    limits: &Limits,
    client: &str,
) -> Result<(), ServiceError> {
    let key = format!("passkey {client}");
    failures(limits)
        .record(
            store,
            &[Limit {
                column: "client_addr",
                key: Key::Text(&key),
                limit: limits.sign_in_per_client,
            }],
        )
        .await
}

/// Begins a sign-in attempt for `account` from `client`, on the device's own budget when the
/// request presented a valid device cookie (`device`) and that budget is not spent.
pub async fn begin_sign_in<'a>(
    store: &Store,
    limits: &Limits,
    account: &'a str,
    client: &'a str,
    device: Option<&'a str>,
) -> Result<Attempt<'a>, ServiceError> {
    if let Some(device) = device {
        let known = Attempt::KnownDevice { device };
        match begin(store, limits, known).await {
            Ok(()) => return Ok(known),
            Err(ServiceError::TooManyRequests { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    let untrusted = Attempt::Untrusted { account, client };
    begin(store, limits, untrusted).await?;
    Ok(untrusted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::identity::testing::member;

    fn limits() -> Limits {
        Limits {
            sign_in_per_account: 3,
            sign_in_per_client: 5,
            sign_in_per_device: 2,
            ..Limits::default()
        }
    }

    fn refused(result: Result<impl Sized, ServiceError>) -> bool {
        matches!(result, Err(ServiceError::TooManyRequests { .. }))
    }

    #[tokio::test]
    async fn a_known_device_signs_in_while_strangers_are_locked_out() {
        let (_dir, store, _) = member().await;
        let limits = limits();
        for n in 0..3 {
            begin_sign_in(&store, &limits, "jane", &format!("10.0.0.{n}"), None)
                .await
                .expect("a stranger's guess");
        }
        assert!(refused(
            begin_sign_in(&store, &limits, "jane", "10.0.0.9", None).await
        ));
        let attempt = begin_sign_in(&store, &limits, "jane", "10.0.0.9", Some("dev1"))
            .await
            .expect("the owner's device is not locked out");
        assert_eq!(attempt, Attempt::KnownDevice { device: "dev1" });
        succeeded(&store, attempt).await.expect("forget");
        assert!(
            refused(begin_sign_in(&store, &limits, "jane", "10.0.0.9", None).await),
            "the device's success does not reopen the account to strangers"
        );
    }

    #[tokio::test]
    async fn a_device_that_spent_its_budget_counts_as_any_other_client() {
        let (_dir, store, _) = member().await;
        let limits = limits();
        for _ in 0..2 {
            let attempt = begin_sign_in(&store, &limits, "jane", "10.0.0.1", Some("dev1"))
                .await
                .expect("within the device's budget");
            assert_eq!(attempt, Attempt::KnownDevice { device: "dev1" });
        }
        let attempt = begin_sign_in(&store, &limits, "jane", "10.0.0.1", Some("dev1"))
            .await
            .expect("on the account's budget now");
        assert_eq!(
            attempt,
            Attempt::Untrusted {
                account: "jane",
                client: "10.0.0.1"
            }
        );
    }

    #[tokio::test]
    async fn current_password_guesses_count_per_member_and_per_address() {
        let (_dir, store, _) = member().await;
        let limits = limits();
        for _ in 0..3 {
            begin(
                &store,
                &limits,
                Attempt::CurrentPassword {
                    user_id: 1,
                    client: "10.0.0.1",
                },
            )
            .await
            .expect("within the member's budget");
        }
        assert!(refused(
            begin(
                &store,
                &limits,
                Attempt::CurrentPassword {
                    user_id: 1,
                    client: "10.0.0.2"
                }
            )
            .await
        ));
        begin(
            &store,
            &limits,
            Attempt::CurrentPassword {
                user_id: 2,
                client: "10.0.0.2",
            },
        )
        .await
        .expect("another member is not affected");
    }
}
