//! `/login` and `/signup`: forms that work with and without JavaScript, checked in the browser
//! with the same rules the server applies.

use leptos::{either::Either, prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        form::{keep_focus, sync_from_form, FormAlert, PasswordChecklist, TextField},
        hydrated::keep_typed,
    },
    functions::{
        auth::{sign_in, sign_up, sign_up_policy, SignIn, SignInCode, SignUp},
        error::PortalError,
    },
    model::{
        account::{validate_email, validate_full_name},
        password_policy::{PasswordCandidate, PasswordPolicy},
    },
};

fn next_param() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("next").unwrap_or_default())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let next = next_param().get_untracked();
    // Without JavaScript a refused sign-in comes back in the address.
    let returned = ServerAction::<SignIn>::new()
        .value()
        .get_untracked()
        .and_then(Result::err);
    let signup = format!("/signup?next={next}");
    // Where a link from a message leads after it did its work.
    let notice = use_query_map()
        .read_untracked()
        .get("notice")
        .and_then(|notice| match notice.as_str() {
            "password-reset" => Some("Your password is changed and every device was signed out. Sign in with the new password."),
            "email-changed" => Some("Your new address is confirmed: sign in with it from now on."),
            "email-restored" => Some("The change is undone: sign in with your previous address. Every device was signed out."),
            "account-deleted" => Some("Your account is deleted, and every device was signed out. The address can sign up again."),
            _ => None,
        });
    view! {
        <Title text="Sign in" />
        <section class="auth-card card">
            <h1>"Sign in"</h1>
            {notice.map(|notice| view! { <p class="notice" role="status">{notice}</p> })}
            <LoginForm next=next.clone() returned />
            <p class="auth-switch">
                <a href="/password/forgot">"Forgot your password?"</a>
            </p>
            <p class="auth-switch">"New here? " <a href=signup>"Create an account"</a></p>
            // Last: it appears once passkeys.js finds WebAuthn, and nothing below it moves.
            <PasskeyButton purpose="sign-in" label="Use a passkey" next=next.clone() />
        </section>
    }
}

/// Where a sign-in goes once done: `next` if it is a page of this site (decided on the server,
/// which renders this page).
fn safe_target(next: &str) -> String {
    #[cfg(feature = "ssr")]
    return crate::server::web::redirect::safe_next(Some(next));
    #[cfg(not(feature = "ssr"))]
    return next.to_owned();
}

/// A passkey button for `/passkeys.js` (hidden until the script finds WebAuthn in the browser):
/// `purpose` is `sign-in` (a passkey alone) or `second-step` (in place of a code).
#[component]
fn PasskeyButton(purpose: &'static str, label: &'static str, next: String) -> impl IntoView {
    view! {
        <div class="passkey-option" data-passkey=purpose data-next=safe_target(&next) hidden>
            <p class="form-alert" role="alert" data-passkey-message hidden></p>
            <button type="button" class="button-secondary">{label}</button>
        </div>
        <script src="/passkeys.js" defer nonce=leptos::nonce::use_nonce()></script>
    }
}

/// The sign-in form: an island, checked in the browser before it is sent.
#[island(lazy)]
fn LoginForm(next: String, returned: Option<PortalError>) -> impl IntoView {
    // Not a `ServerAction`: a refused post without JavaScript arrives as `returned`, so the
    // island need not decode it from the address again (which would ship that code).
    let action = Action::new(|input: &SignIn| {
        sign_in(
            input.email.clone(),
            input.password.clone(),
            input.next.clone(),
        )
    });
    // One memo for the button's two readers (each `Action::pending` call makes a new one).
    let signing_in = action.pending();
    let returned = RwSignal::new(returned);
    let email = RwSignal::new(
        returned
            .get_untracked()
            .and_then(|error| error.kept_value("email"))
            .unwrap_or_default(),
    );
    let password = RwSignal::new(String::new());
    let next = StoredValue::new(next);
    let last_error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| returned.get())
    };
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
            last_error()
                .map(|error| error.field_messages(property))
                .unwrap_or_default()
        })
    };
    let alert = Signal::derive(move || {
        local_errors
            .read()
            .is_empty()
            .then(|| last_error().map(|error| error.message()))
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
        <FormAlert message=alert />
        <form
                method="post"
                action=SignIn::url()
                novalidate
                use:keep_typed
                on:submit=move |event| {
                    event.prevent_default();
                    sync_from_form(&event, &[("email", email), ("password", password)]);
                    check();
                    if local_errors.read_untracked().is_empty() {
                        action
                            .dispatch(SignIn {
                                email: email.get_untracked(),
                                password: password.get_untracked(),
                                next: Some(next.get_value()),
                            });
                    }
                }
            >
                <input type="hidden" name="next" value=next.get_value() />
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
                <button type="submit" class="button-primary" disabled=move || signing_in.get()>
                    {move || if signing_in.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
    }
}

/// `/login/code`: the second step of a sign-in with two factors. The right password left a
/// short-lived cookie naming the waiting sign-in; this form adds the code.
#[component]
pub fn SignInCodePage() -> impl IntoView {
    let next = next_param().get_untracked();
    let error = crate::pages::recovery::returned::<SignInCode>();
    view! {
        <Title text="Enter your code" />
        <section class="auth-card card">
            <h1>"Enter your code"</h1>
            <p>"Your password is right. Now type the 6-digit code your authenticator app shows, or one of your recovery codes."</p>
            <crate::pages::recovery::Returned error=error />
            <form method="post" action=SignInCode::url()>
                <input type="hidden" name="next" value=next.clone() />
                <crate::pages::profile::CodeField id="code" label="Code" />
                <button type="submit" class="button-primary">"Sign in"</button>
            </form>
            <p class="auth-switch">"The code expired, or you have neither? " <a href=format!("/login?next={next}")>"Start again"</a></p>
            // Last, so that nothing moves when it appears.
            <PasskeyButton purpose="second-step" label="Use a passkey instead" next=next.clone() />
        </section>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let next = next_param().get_untracked();
    let returned = ServerAction::<SignUp>::new()
        .value()
        .get_untracked()
        .and_then(Result::err);
    let login = format!("/login?next={next}");
    let policy = Resource::new(|| (), |_| sign_up_policy());
    view! {
        <Title text="Create an account" />
        <section class="auth-card card">
            <h1>"Create an account"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {
                    let (next, returned) = (next.clone(), returned.clone());
                    move || {
                        let (next, returned) = (next.clone(), returned.clone());
                        Suspend::new(async move {
                            match policy.await {
                                Ok(policy) => Either::Left(view! { <SignupForm next returned policy /> }),
                                // Closed by the operator (or out of order): said before anything is typed.
                                Err(error) => Either::Right(view! {
                                    <p class="form-alert" role="alert">{error.message()}</p>
                                }),
                            }
                        })
                    }
                }
            </Suspense>
            <p class="auth-switch">"Already a member? " <a href=login>"Sign in"</a></p>
        </section>
    }
}

/// The sign-up form: an island with the live password checklist of the location's policy.
#[island(lazy)]
fn SignupForm(
    next: String,
    returned: Option<PortalError>,
    policy: PasswordPolicy,
) -> impl IntoView {
    // Not a `ServerAction`, for the reason given in `LoginForm`.
    let action = Action::new(|input: &SignUp| {
        sign_up(
            input.email.clone(),
            input.password.clone(),
            input.full_name.clone(),
            input.next.clone(),
        )
    });
    let signing_up = action.pending();
    let returned = RwSignal::new(returned);
    let kept_value = |name: &str| {
        returned
            .get_untracked()
            .and_then(|error| error.kept_value(name))
            .unwrap_or_default()
    };
    let email = RwSignal::new(kept_value("email"));
    let full_name = RwSignal::new(kept_value("full_name"));
    let password = RwSignal::new(String::new());
    let next = StoredValue::new(next);
    let last_error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| returned.get())
    };
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
    let policy = StoredValue::new(policy);
    let current_policy = move || policy.get_value();
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
            last_error()
                .map(|error| error.field_messages(property))
                .unwrap_or_default()
        })
    };
    let alert = Signal::derive(move || {
        last_error()
            .filter(
                |error| matches!(error, PortalError::Rejected { errors, .. } if errors.is_empty()),
            )
            .map(|error| error.message())
    });

    view! {
        <FormAlert message=alert />
        <form
                method="post"
                action=SignUp::url()
                novalidate
                use:keep_typed
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
                                next: Some(next.get_value()),
                            });
                    }
                }
            >
                <input type="hidden" name="next" value=next.get_value() />
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
                <PasswordChecklist
                    policy=current_policy()
                    password=password
                    email=Signal::derive(move || Some(email.get()))
                    note="Not a commonly used password (checked when you submit)"
                />
                <button
                    type="submit"
                    class="button-primary"
                    disabled=move || signing_up.get()
                    on:mousedown=keep_focus
                >
                    {move || if signing_up.get() { "Creating your account…" } else { "Create account" }}
                </button>
            </form>
    }
}
