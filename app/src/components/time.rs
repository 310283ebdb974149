//! A moment as the pages show it: in UTC, to the minute, with its machine-readable form.

use chrono::DateTime;
use leptos::prelude::*;

/// `2026-12-01 21:30 UTC`, and the same time for a `<time datetime>`.
pub fn when(unix: i64) -> (String, String) {
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
pub fn Time(unix: i64) -> impl IntoView {
    let (text, machine) = when(unix);
    view! { <time datetime=machine>{text}</time> }
}
