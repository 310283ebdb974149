//! A warning before leaving a page with unsaved changes: the browser's own prompt when the
//! page is closed or reloaded, and a confirmation before following a link inside the portal.

use leptos::{
    ev,
    prelude::*,
    wasm_bindgen::JsCast,
    web_sys::{Element, MouseEvent},
};

/// Set by a form while it holds changes that were not saved.
#[derive(Clone, Copy)]
pub struct UnsavedChanges(pub RwSignal<bool>);

const LEAVE_QUESTION: &str = "You have unsaved changes. Leave this page and lose them?";

pub fn provide_unsaved_changes() -> UnsavedChanges {
    let unsaved = UnsavedChanges(RwSignal::new(false));
    provide_context(unsaved);
    let handle = window_event_listener(ev::beforeunload, move |event| {
        if unsaved.0.get_untracked() {
            event.prevent_default();
            event.set_return_value(LEAVE_QUESTION);
        }
    });
    on_cleanup(move || handle.remove());
    unsaved
}

/// For `on:click` of an element around links: asks before a link click leaves unsaved
/// changes behind, and cancels the navigation unless the member agrees. The router ignores a
/// click whose default was prevented.
pub fn confirm_leaving(unsaved: UnsavedChanges) -> impl Fn(MouseEvent) + Copy {
    move |event: MouseEvent| {
        if !unsaved.0.get_untracked() {
            return;
        }
        let on_link = event
            .target()
            .and_then(|target| target.dyn_into::<Element>().ok())
            .and_then(|element| element.closest("a[href]").ok().flatten())
            .is_some();
        if on_link
            && !window()
                .confirm_with_message(LEAVE_QUESTION)
                .unwrap_or(true)
        {
            event.prevent_default();
        } else if on_link {
            unsaved.0.set(false);
        }
    }
}
