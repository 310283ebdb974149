//! `/login` and `/signup`: forms that work with and without JavaScript, checked in the browser
//! with the same rules the server applies.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::form::{keep_focus, sync_from_form, FormAlert, TextField},
    functions::{
        auth::{sign_up_policy, SignIn, SignUp},
        error::PortalError,
    },
    model::{
        account::{validate_email, validate_full_name},
        password_policy::{PasswordCandidate, PasswordPolicy},
    },
};

/// The error of the last submit: from the action in the browser, or (without JavaScript) the
/// one Leptos put in the redirect URL.
fn last_error(value: impl Get<Value = Option<Result<(), PortalError>>>) -> Option<PortalError> {
    value.get().and_then(Result::err)
}

fn next_param() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("next").unwrap_or_default())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let kept = action.value().get_untracked().and_then(Result::err);
    let email = RwSignal::new(
        kept.and_then(|error| error.kept_value("email"))
            .unwrap_or_default(),
    );
    let password = RwSignal::new(String::new());
    let next = next_param();
    let local_errors = RwSignal::new(Vec::<(&'static str, String)>::new());

    let messages = move |property: &'static str| {
        Signal::derive(move || {
            let local: Vec<String> = local_errors
                .read()
                .iter()
                .filter(|(field, _)| *field == property)
                .map(|(_, message)| message.clone())
                .collect();
            if !local.is_empty() {
                return local;
            }
            last_error(action.value())
                .map(|error| error.field_messages(property))
                .unwrap_or_default()
        })
    };
    let alert = Signal::derive(move || {
        local_errors
            .read()
            .is_empty()
            .then(|| last_error(action.value()).map(|error| error.message()))
            .flatten()
    });
    let check = move || {
        let mut errors = Vec::new();
        if let Some(error) = validate_email("Email", &email.get_untracked()) {
            errors.push(("Email", error.message));
        }
        if password.get_untracked().is_empty() {
            errors.push(("Password", "Password is required.".to_owned()));
        }
        local_errors.set(errors);
    };

    view! {
        <Title text="Sign in" />
        <section class="auth-card card">
            <h1>"Sign in"</h1>
            <FormAlert message=alert />
            <form
                method="post"
                action=SignIn::url()
                novalidate
                on:submit=move |event| {
                    event.prevent_default();
                    sync_from_form(&event, &[("email", email), ("password", password)]);
                    check();
                    if local_errors.read_untracked().is_empty() {
                        action
                            .dispatch(SignIn {
                                email: email.get_untracked(),
                                password: password.get_untracked(),
                                next: Some(next.get_untracked()),
                            });
                    }
                }
            >
                <input type="hidden" name="next" value=next />
                <TextField
                    name="email"
                    label="E-mail address"
                    kind="email"
                    autocomplete="username"
                    value=email
                    messages=messages("Email")
                />
                <TextField
                    name="password"
                    label="Password"
                    kind="password"
                    autocomplete="current-password"
                    value=password
                    messages=messages("Password")
                />
                <button type="submit" class="button-primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <p class="auth-switch">
                "New here? " <a href=move || format!("/signup?next={}", next.get())>"Create an account"</a>
            </p>
        </section>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let kept = action.value().get_untracked().and_then(Result::err);
    let kept_value = |name: &str| {
        kept.as_ref()
            .and_then(|error| error.kept_value(name))
            .unwrap_or_default()
    };
    let email = RwSignal::new(kept_value("email"));
    let full_name = RwSignal::new(kept_value("full_name"));
    let password = RwSignal::new(String::new());
    let next = next_param();
    let policy = Resource::new(|| (), |_| sign_up_policy());
    let touched = RwSignal::new(Vec::<&'static str>::new());
    let submitted = RwSignal::new(false);

    let touch = move |field: &'static str| {
        Callback::new(move |()| {
            touched.update(|fields| {
                if !fields.contains(&field) {
                    fields.push(field);
                }
            })
        })
    };
    let current_policy = move || {
        policy
            .get()
            .and_then(Result::ok)
            .unwrap_or_else(PasswordPolicy::default)
    };
    // The same rules the server runs, minus the common-password list it alone holds.
    let local_messages = move |property: &'static str| -> Vec<String> {
        match property {
            "Email" => validate_email("Email", &email.get())
                .map(|error| error.message)
                .into_iter()
                .collect(),
            "FullName" => validate_full_name(&full_name.get())
                .map(|error| error.message)
                .into_iter()
                .collect(),
            _ => current_policy()
                .violations(&PasswordCandidate {
                    password: &password.get(),
                    email: Some(&email.get()),
                    ..PasswordCandidate::default()
                })
                .into_iter()
                .map(|rule| format!("Password {}.", rule.failure_message()))
                .collect(),
        }
    };
    let messages = move |property: &'static str| {
        Signal::derive(move || {
            let shown = submitted.get() || touched.read().contains(&property);
            let local = if shown {
                local_messages(property)
            } else {
                Vec::new()
            };
            if !local.is_empty() {
                return local;
            }
            last_error(action.value())
                .map(|error| error.field_messages(property))
                .unwrap_or_default()
        })
    };
    let alert = Signal::derive(move || {
        last_error(action.value())
            .filter(
                |error| matches!(error, PortalError::Rejected { errors, .. } if errors.is_empty()),
            )
            .map(|error| error.message())
    });

    view! {
        <Title text="Create an account" />
        <section class="auth-card card">
            <h1>"Create an account"</h1>
            <FormAlert message=alert />
            <form
                method="post"
                action=SignUp::url()
                novalidate
                on:submit=move |event| {
                    event.prevent_default();
                    sync_from_form(
                        &event,
                        &[("email", email), ("full_name", full_name), ("password", password)],
                    );
                    submitted.set(true);
                    let valid = ["Email", "FullName", "Password"]
                        .into_iter()
                        .all(|field| local_messages(field).is_empty());
                    if valid {
                        action
                            .dispatch(SignUp {
                                email: email.get_untracked(),
                                password: password.get_untracked(),
                                full_name: full_name.get_untracked(),
                                next: Some(next.get_untracked()),
                            });
                    }
                }
            >
                <input type="hidden" name="next" value=next />
                <TextField
                    name="full_name"
                    label="Full name"
                    kind="text"
                    autocomplete="name"
                    value=full_name
                    messages=messages("FullName")
                    on_blur=touch("FullName")
                />
                <TextField
                    name="email"
                    label="E-mail address"
                    kind="email"
                    autocomplete="email"
                    value=email
                    messages=messages("Email")
                    on_blur=touch("Email")
                />
                <TextField
                    name="password"
                    label="Password"
                    kind="password"
                    autocomplete="new-password"
                    value=password
                    messages=messages("Password")
                    on_blur=touch("Password")
                />
                <Transition fallback=|| ()>
                    <ul class="checklist" aria-label="Password rules">
                        {move || {
                            current_policy()
                                .checklist(&PasswordCandidate {
                                    password: &password.get(),
                                    email: Some(&email.get()),
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
                        <li class="checklist-note">"Not a commonly used password (checked when you submit)"</li>
                    </ul>
                </Transition>
                <button
                    type="submit"
                    class="button-primary"
                    disabled=move || action.pending().get()
                    on:mousedown=keep_focus
                >
                    {move || if action.pending().get() { "Creating your account…" } else { "Create account" }}
                </button>
            </form>
            <p class="auth-switch">
                "Already a member? " <a href=move || format!("/login?next={}", next.get())>"Sign in"</a>
            </p>
        </section>
    }
}
