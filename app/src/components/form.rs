//! Form pieces shared by the pages: a labelled input with its messages, a form-level alert,
//! and the password checklist.

use leptos::{
    prelude::*,
    wasm_bindgen::JsCast,
    web_sys::{HtmlFormElement, HtmlInputElement, MouseEvent, SubmitEvent},
};

use crate::model::password_policy::{PasswordCandidate, PasswordPolicy};

/// Copies what the submitted form's inputs hold into their signals, so that a value no event
/// told the island about (a password manager's fill that fires no `input`) is sent as shown.
pub fn sync_from_form(event: &SubmitEvent, fields: &[(&str, RwSignal<String>)]) {
    let Some(form) = event
        .target()
        .and_then(|target| target.dyn_into::<HtmlFormElement>().ok())
    else {
        return;
    };
    for (name, signal) in fields {
        if let Some(input) = form
            .elements()
            .named_item(name)
            .and_then(|element| element.dyn_into::<HtmlInputElement>().ok())
        {
            signal.set(input.value());
        }
    }
}

/// For `on:mousedown` of a submit button. A field shows its messages when it loses focus; if
/// pressing the button took the focus, the messages appearing above it would push the button
/// away before the mouse is released, and the click would be lost. The submit checks every
/// field anyway.
pub fn keep_focus(event: MouseEvent) {
    event.prevent_default();
}

/// A labelled input bound to `value`, with the messages about it shown beside it and announced
/// through `aria-invalid` / `aria-describedby`.
#[component]
pub fn TextField(
    /// The input's id and form name.
    name: &'static str,
    label: &'static str,
    /// The input type: text, email, password, ...
    kind: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
    #[prop(into)] messages: Signal<Vec<String>>,
    /// Called when the field loses focus (to check it).
    #[prop(optional, into)]
    on_blur: Option<Callback<()>>,
) -> impl IntoView {
    let error_id = format!("{name}-error");
    let invalid = move || !messages.read().is_empty();
    view! {
        <div class="field" class:invalid=invalid>
            <label for=name>{label}</label>
            <input
                id=name
                name=name
                type=kind
                autocomplete=autocomplete
                // The attribute carries the value into the server-rendered page (and so into
                // a form without JavaScript); the property keeps it in step afterwards.
                value=value.get_untracked()
                prop:value=move || value.get()
                on:input:target=move |event| value.set(event.target().value())
                aria-invalid=move || invalid().then_some("true")
                aria-describedby={
                    let error_id = error_id.clone();
                    move || invalid().then(|| error_id.clone())
                }
                on:blur=move |_| {
                    if let Some(on_blur) = on_blur {
                        on_blur.run(());
                    }
                }
            />
            <Show when=invalid>
                <ul class="field-messages" id=error_id.clone()>
                    {move || {
                        messages
                            .get()
                            .into_iter()
                            .map(|message| view! { <li>{message}</li> })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </div>
    }
}

/// A message about the whole form (e.g. wrong credentials), read out when it appears.
#[component]
pub fn FormAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.read().is_some()>
            <p class="form-alert" role="alert">
                {move || message.get()}
            </p>
        </Show>
    }
}

/// The password rules of a policy, ticked off as `password` is typed. `note` names the rules
/// only the server can check (the common-password list, the current password).
#[component]
pub fn PasswordChecklist(
    policy: PasswordPolicy,
    #[prop(into)] password: Signal<String>,
    /// The account's e-mail address, when known (a password may not equal it).
    #[prop(into)]
    email: Signal<Option<String>>,
    note: &'static str,
) -> impl IntoView {
    view! {
        <ul class="checklist" aria-label="Password rules">
            {move || {
                let email = email.get();
                policy
                    .checklist(&PasswordCandidate {
                        password: &password.get(),
                        email: email.as_deref(),
                        ..PasswordCandidate::default()
                    })
                    .into_iter()
                    .map(|(rule, met)| {
                        view! {
                            <li class:met=met data-met=if met { "true" } else { "false" }>
                                {rule.description()}
                            </li>
                        }
                    })
                    .collect_view()
            }}
            <li class="checklist-note">{note}</li>
        </ul>
    }
}
