//! `/profile/security`: where the member is signed in (each session with its device and
//! address, ended with a button) and the security log, a page at a time. Server-rendered
//! forms and links only: the page works without JavaScript and adds nothing to the bundle.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::session::RequireMember,
    functions::security::{
        security_page, ConfirmPassword, DeleteAccount, EndOtherSessions, EndSession, DELETE_PATH,
        SECURITY_PATH,
    },
    functions::{error::PortalError, two_factor::load_two_factor},
    model::security::{LogEntry, SessionInfo},
    pages::recovery::{returned, Returned},
};

use super::two_factor::{CodeField, PasskeysPanel, TwoFactorPanel};
use crate::components::time::{when, Time};

#[component]
pub fn SecurityPrivacyPage() -> impl IntoView {
    let query = use_query_map();
    let page = query
        .read_untracked()
        .get("page")
        .and_then(|page| page.parse::<i64>().ok())
        .filter(|page| *page >= 1)
        .unwrap_or(1);
    let notice = query
        .read_untracked()
        .get("notice")
        .and_then(|notice| match notice.as_str() {
            "session-ended" => Some(
                "The session ended: that device is signed out the next time it opens a page."
                    .to_owned(),
            ),
            "confirmed" => Some(
                "Password confirmed: you can download your data for the next 10 minutes."
                    .to_owned(),
            ),
            "passkey-added" => Some(
                "Passkey added: use it to sign in from the sign-in page, or in place of a code."
                    .to_owned(),
            ),
            "passkey-removed" => Some("Passkey removed: it no longer signs you in.".to_owned()),
            "totp-off" => {
                Some("Two-factor sign-in is off: signing in needs only your password.".to_owned())
            }
            // Only a number is shown: the address is anyone's to write.
            "others-ended" => Some(
                match query
                    .read_untracked()
                    .get("ended")
                    .and_then(|count| count.parse::<u32>().ok())
                {
                    Some(0) => "There were no other sessions to end.".to_owned(),
                    Some(1) => "1 other session ended.".to_owned(),
                    Some(count) => format!("{count} other sessions ended."),
                    None => "Every other session ended.".to_owned(),
                },
            ),
            _ => None,
        });
    let notice = StoredValue::new(notice);
    let end_error = StoredValue::new(returned::<EndSession>());
    let confirm_error = StoredValue::new(returned::<ConfirmPassword>());
    let data = Resource::new(move || page, security_page);
    view! {
        <RequireMember>
            {move || {
                view! {
                        <Title text="Security and privacy" />
                        <h1>"Security and privacy"</h1>
                        <p class="lead">"Where you are signed in, and what happened to your account."</p>
                        {notice.get_value().map(|notice| view! { <p class="notice" role="status">{notice}</p> })}
                        <Returned error=end_error.get_value() />
                        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                            {move || Suspend::new(async move {
                                match data.await {
                                    Ok(data) => view! {
                                        <Sessions sessions=data.sessions />
                                        <TwoFactorPanel status=data.two_factor.clone() />
                                        <PasskeysPanel passkeys=data.passkeys.clone() needs_code=data.two_factor.totp_enabled />
                                        <Log entries=data.log.entries page=data.log.page has_older=data.log.has_older />
                                        <YourData export_until=data.export_until confirm_error=confirm_error.get_value() needs_code=data.two_factor.totp_enabled />
                                    }
                                        .into_any(),
                                    Err(error) => view! { <p class="form-alert" role="alert">{error.message()}</p> }
                                        .into_any(),
                                }
                            })}
                        </Suspense>
                }
            }}
        </RequireMember>
    }
}

/// The accessible name of each session's sign-out button. It starts with the button's words,
/// so speech input finds it (WCAG 2.5.3), and tells the sessions apart: the device, when and
/// where it signed in, and where two still read the same, which of them it is.
fn sign_out_labels(sessions: &[SessionInfo]) -> Vec<String> {
    let labels: Vec<String> = sessions
        .iter()
        .map(|session| {
            let mut label = format!(
                "Sign out this device: {}, signed in {}",
                session.device.description(),
                when(session.signed_in_at).0
            );
            if !session.client_address.is_empty() {
                label.push_str(&format!(" from {}", session.client_address));
            }
            label
        })
        .collect();
    labels
        .iter()
        .enumerate()
        .map(|(index, label)| {
            let alike = labels.iter().filter(|other| *other == label).count();
            if alike == 1 {
                return label.clone();
            }
            let nth = labels[..=index]
                .iter()
                .filter(|other| *other == label)
                .count();
            format!("{label} ({nth} of {alike})")
        })
        .collect()
}

#[component]
fn Sessions(sessions: Vec<SessionInfo>) -> impl IntoView {
    let others = sessions.iter().filter(|session| !session.current).count();
    let labels = sign_out_labels(&sessions);
    view! {
        <section class="card security-panel" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Where you are signed in"</h2>
            <ul class="session-list">
                {sessions
                    .into_iter()
                    .zip(labels)
                    .map(|(session, label)| {
                        view! {
                            <li class="session" data-testid="session">
                                <p class="session-device">
                                    <strong>{session.device.description()}</strong>
                                    {session.current.then(|| view! { <span class="badge verified" data-testid="current-session">"This device"</span> })}
                                </p>
                                <p class="hint">
                                    "Signed in " <Time unix=session.signed_in_at />
                                    {(!session.client_address.is_empty()).then(|| format!(" from {}", session.client_address))}
                                    ". Last active " <Time unix=session.last_active_at /> "."
                                </p>
                                {(!session.current).then(|| view! {
                                    <form method="post" action=EndSession::url()>
                                        <input type="hidden" name="id" value=session.id.to_string() />
                                        <button type="submit" class="button-secondary" aria-label=label>"Sign out this device"</button>
                                    </form>
                                })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {(others > 0).then(|| view! {
                <form method="post" action=EndOtherSessions::url()>
                    <button type="submit" class="button-primary">"Sign out every other device"</button>
                </form>
            })}
        </section>
    }
}

#[component]
fn Log(entries: Vec<LogEntry>, page: i64, has_older: bool) -> impl IntoView {
    view! {
        <section class="card security-panel" aria-labelledby="log-title">
            <h2 id="log-title">"Security log"</h2>
            <p class="hint">"Sign-ins (also failed ones), sign-outs, sessions ended, password and e-mail changes, and what you changed in your profiles (the names of the fields, never what you typed). Old entries are deleted after a while."</p>
            {if entries.is_empty() {
                view! { <p>"Nothing on this page."</p> }.into_any()
            } else {
                view! {
                    <ol class="security-log">
                        {entries
                            .into_iter()
                            .map(|entry| view! {
                                <li data-kind=entry.kind.clone()>
                                    <Time unix=entry.at />
                                    <span class="log-what">{entry.description}</span>
                                    <span class="hint">
                                        {entry.device.description()}
                                        {(!entry.client_address.is_empty()).then(|| format!(" · {}", entry.client_address))}
                                    </span>
                                </li>
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
            <nav class="pager" aria-label="Pages of the security log">
                {(page > 1).then(|| view! { <a href=format!("{SECURITY_PATH}?page={}", page - 1)>"Newer entries"</a> })}
                {has_older.then(|| view! { <a href=format!("{SECURITY_PATH}?page={}", page + 1)>"Older entries"</a> })}
            </nav>
        </section>
    }
}

/// The export (after a password confirmation) and the way to the account's deletion.
#[component]
fn YourData(
    export_until: Option<i64>,
    confirm_error: Option<PortalError>,
    /// Two-factor sign-in is on: the confirmation takes a code too.
    needs_code: bool,
) -> impl IntoView {
    view! {
        <section class="card security-panel" id="your-data" aria-labelledby="data-title">
            <h2 id="data-title">"Your data"</h2>
            <h3>"Download your data"</h3>
            <p class="hint">"One JSON file with everything stored about you: your account, every profile with its notification settings, your support contact, your sessions and this security log."</p>
            {match export_until {
                Some(until) => view! {
                    <p>
                        <a class="button-primary" href="/api/account/export" download>"Download my data (JSON)"</a>
                    </p>
                    <p class="hint">"Available until " <Time unix=until /> "."</p>
                }
                    .into_any(),
                None => view! {
                    <Returned error=confirm_error />
                    <form method="post" action=ConfirmPassword::url()>
                        <div class="field">
                            <label for="export_password">"Your password"</label>
                            <input id="export_password" name="current_password" type="password" autocomplete="current-password" required />
                        </div>
                        {needs_code.then(|| view! { <CodeField id="export_code" label="Code from your app, or a recovery code" /> })}
                        <button type="submit" class="button-secondary">"Confirm and prepare the download"</button>
                    </form>
                }
                    .into_any(),
            }}
            <h3>"Delete your account"</h3>
            <p class="hint">"Deletes your account with every profile, your support contact, your sessions and this log. It cannot be undone."</p>
            <p><a href=DELETE_PATH>"Delete my account…"</a></p>
        </section>
    }
}

/// `/profile/security/delete`: what deleting the account does, and the form that does it.
#[component]
pub fn DeleteAccountPage() -> impl IntoView {
    let error = returned::<DeleteAccount>();
    let status = Resource::new(|| (), |_| load_two_factor());
    let typed = error
        .as_ref()
        .and_then(|error| error.kept_value("email"))
        .unwrap_or_default();
    view! {
        <RequireMember>
            {
                let (error, typed) = (error.clone(), typed.clone());
                move || {
                    let (error, typed) = (error.clone(), typed.clone());
                    view! {
                        <Title text="Delete your account" />
                        <h1>"Delete your account"</h1>
                        <section class="card security-panel" aria-labelledby="delete-title">
                            <h2 id="delete-title">"What is deleted"</h2>
                            <ul>
                                <li>"Your account and every one of your profiles, with their notification settings"</li>
                                <li>"Your support contact profile and the record of its changes"</li>
                                <li>"Every session: each device is signed out"</li>
                                <li>"Your security log, mailed links and unsent messages to your address"</li>
                            </ul>
                            <p class="hint">"Changes you made to other members' profiles stay in their records, without your name. A last message tells your address the account is gone; the address can then sign up again."</p>
                            <Returned error=error />
                            <form method="post" action=DeleteAccount::url()>
                                <div class="field">
                                    <label for="delete_email">"Type your sign-in e-mail address"</label>
                                    <input id="delete_email" name="email" type="email" autocomplete="off" required value=typed />
                                </div>
                                <div class="field">
                                    <label for="delete_password">"Your password"</label>
                                    <input id="delete_password" name="current_password" type="password" autocomplete="current-password" required />
                                </div>
                                <Suspense>
                                    {move || Suspend::new(async move {
                                        status.await.ok().filter(|status| status.totp_enabled).map(|_| view! {
                                            <CodeField id="delete_code" label="Code from your app, or a recovery code" />
                                        })
                                    })}
                                </Suspense>
                                <button type="submit" class="button-danger">"Delete my account permanently"</button>
                            </form>
                            <p><a href=SECURITY_PATH>"Keep my account"</a></p>
                        </section>
                    }
                }
            }
        </RequireMember>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::security::Device;

    fn session(id: i64, browser: &str, signed_in_at: i64, address: &str) -> SessionInfo {
        SessionInfo {
            id,
            device: Device {
                browser: browser.to_owned(),
                system: "Linux".to_owned(),
                category: "pc".to_owned(),
            },
            user_agent: String::new(),
            client_address: address.to_owned(),
            signed_in_at,
            last_active_at: signed_in_at,
            current: false,
        }
    }

    #[test]
    fn each_sign_out_button_starts_with_its_words_and_names_one_session() {
        let sessions = [
            session(1, "Chrome", 1_765_000_000, "192.0.2.7"),
            session(2, "Chrome", 1_765_000_000, "192.0.2.7"),
            session(3, "Chrome", 1_765_090_000, "192.0.2.7"),
            session(4, "Firefox", 1_765_000_000, ""),
        ];
        let labels = sign_out_labels(&sessions);
        assert_eq!(
            labels,
            [
                "Sign out this device: Chrome on Linux, signed in 2025-12-06 05:46 UTC from 192.0.2.7 (1 of 2)",
                "Sign out this device: Chrome on Linux, signed in 2025-12-06 05:46 UTC from 192.0.2.7 (2 of 2)",
                "Sign out this device: Chrome on Linux, signed in 2025-12-07 06:46 UTC from 192.0.2.7",
                "Sign out this device: Firefox on Linux, signed in 2025-12-06 05:46 UTC",
            ]
        );
    }
}
