//! A warning before leaving a page with unsaved changes. Every link in the portal loads a new
//! page (only the forms are interactive), so the browser's own prompt covers links, reloads
//! and closing the tab alike.

use leptos::{ev, prelude::*};

/// Asks the browser to confirm leaving while `unsaved` is true.
pub fn warn_before_leaving(unsaved: Signal<bool>) {
    let handle = window_event_listener(ev::beforeunload, move |event| {
        if unsaved.get_untracked() {
            event.prevent_default();
            event.set_return_value("You have unsaved changes.");
        }
    });
    on_cleanup(move || handle.remove());
}
