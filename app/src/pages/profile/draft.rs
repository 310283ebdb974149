//! "Draft with AI" on the professional page: a suggested summary shown beside the one in the
//! form, words dropped and added marked, to accept (which fills the field and saves through the
//! form, like any other change) or discard (which changes nothing).
//!
//! The server renders the review, buttons included, and the page only shows it and reacts to
//! clicks on those buttons: the browser ships no diff code and almost no view code for it.

use std::time::Duration;

use leptos::{
    prelude::*,
    wasm_bindgen::JsCast,
    web_sys::{Element, HtmlElement, HtmlFormElement, MouseEvent},
};

use super::form_state::FieldState;
use crate::{functions::profile::draft_profile_summary, html::escape_html};

/// The id of the "Draft with AI" button, which gets the focus back when a review closes.
const TRIGGER_ID: &str = "draft-summary";

#[component]
pub fn SummaryDraft(state: FieldState) -> impl IntoView {
    let draft = Action::new(|current: &String| draft_profile_summary(current.clone()));
    // One memo for both readers (each `Action::pending` call makes a new one).
    let drafting = draft.pending();
    let open = RwSignal::new(false);
    let trigger = || document().get_element_by_id(TRIGGER_ID);

    let review = move || {
        if !open.get() {
            return String::new();
        }
        let body = match draft.value().get() {
            _ if drafting.get() => {
                r#"<p class="hint" role="status">Drafting a summary…</p>"#.to_owned()
            }
            Some(Ok(review)) => return review,
            Some(Err(error)) => format!(
                r#"<p class="form-alert" role="alert">{}</p>"#,
                escape_html(&error.message())
            ),
            None => String::new(),
        };
        format!(
            r#"<section class="draft-review" aria-labelledby="draft-review-title"><h2 id="draft-review-title">Suggested summary</h2>{body}<div class="draft-actions"><button type="button" class="button-secondary" data-draft="discard">Close</button></div></section>"#
        )
    };

    let on_review_click = move |event: MouseEvent| {
        let Some(button) = event
            .target()
            .and_then(|target| target.dyn_into::<Element>().ok())
            .and_then(|target| target.closest("[data-draft]").ok().flatten())
        else {
            return;
        };
        let accepted = (button.get_attribute("data-draft").as_deref() == Some("accept"))
            .then(|| button.closest(".draft-review").ok().flatten())
            .flatten()
            .and_then(|review| review.query_selector("[data-markdown]").ok().flatten())
            .and_then(|column| column.get_attribute("data-markdown"));
        open.set(false);
        let Some(markdown) = accepted else {
            if let Some(trigger) = trigger().and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
                let _ = trigger.focus();
            }
            return;
        };
        state.set(markdown);
        let form = trigger()
            .and_then(|trigger| trigger.closest("form").ok().flatten())
            .and_then(|form| form.dyn_into::<HtmlFormElement>().ok());
        // Submitted once the textarea shows the draft, so the form saves what the member sees.
        set_timeout(
            move || {
                if let Some(form) = form {
                    let _ = form.request_submit();
                }
            },
            Duration::ZERO,
        );
    };

    // Without JavaScript the stylesheet hides the request: the button could not do anything.
    view! {
        <div class="draft-request">
            <button
                type="button"
                id=TRIGGER_ID
                class="button-secondary"
                disabled=move || drafting.get()
                on:click=move |_| {
                    open.set(true);
                    draft.dispatch(state.value_untracked());
                }
            >
                "Draft with AI"
            </button>
            <span class="hint">
                "A suggestion from your saved profile; nothing changes until you accept it."
            </span>
        </div>
        <div on:click=on_review_click inner_html=review></div>
    }
}
