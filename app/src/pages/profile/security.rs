//! `/profile/security`: where the member is signed in (each session with its device and
//! address, ended with a button) and the security log, a page at a time. Server-rendered
//! forms and links only: the page works without JavaScript and adds nothing to the bundle.

use chrono::DateTime;
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::session::RequireMember,
    functions::security::{security_page, EndOtherSessions, EndSession, SECURITY_PATH},
    model::security::{LogEntry, SessionInfo},
    pages::recovery::{returned, Returned},
};

/// `2026-12-01 21:30 UTC`, and the same time for a `<time datetime>`.
fn when(unix: i64) -> (String, String) {
    DateTime::from_timestamp(unix, 0).map_or_else(
        || (String::new(), String::new()),
        |time| {
            (
                time.format("%Y-%m-%d %H:%M UTC").to_string(),
                time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
        },
    )
}

#[component]
fn Time(unix: i64) -> impl IntoView {
    let (text, machine) = when(unix);
    view! { <time datetime=machine>{text}</time> }
}

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
            "others-ended" => Some(match query.read_untracked().get("ended").as_deref() {
                Some("0") => "There were no other sessions to end.".to_owned(),
                Some("1") => "1 other session ended.".to_owned(),
                Some(count) => format!("{count} other sessions ended."),
                None => "Every other session ended.".to_owned(),
            }),
            _ => None,
        });
    let end_error = returned::<EndSession>();
    let data = Resource::new(move || page, security_page);
    view! {
        <RequireMember>
            {
                let (notice, end_error) = (notice.clone(), end_error.clone());
                move || {
                    let (notice, end_error) = (notice.clone(), end_error.clone());
                    view! {
                        <Title text="Security and privacy" />
                        <h1>"Security and privacy"</h1>
                        <p class="lead">"Where you are signed in, and what happened to your account."</p>
                        {notice.map(|notice| view! { <p class="notice" role="status">{notice}</p> })}
                        <Returned error=end_error />
                        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                            {move || Suspend::new(async move {
                                match data.await {
                                    Ok(data) => view! {
                                        <Sessions sessions=data.sessions />
                                        <Log entries=data.log.entries page=data.log.page has_older=data.log.has_older />
                                    }
                                        .into_any(),
                                    Err(error) => view! { <p class="form-alert" role="alert">{error.message()}</p> }
                                        .into_any(),
                                }
                            })}
                        </Suspense>
                    }
                }
            }
        </RequireMember>
    }
}

#[component]
fn Sessions(sessions: Vec<SessionInfo>) -> impl IntoView {
    let others = sessions.iter().filter(|session| !session.current).count();
    view! {
        <section class="card security-panel" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Where you are signed in"</h2>
            <ul class="session-list">
                {sessions
                    .into_iter()
                    .map(|session| {
                        let label = format!("Sign out {}", session.device.description());
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
