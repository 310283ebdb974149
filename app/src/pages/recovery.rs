//! The pages links in messages open, and the forgot-password form. Plain server-rendered forms
//! that post to server functions: they work the same with and without JavaScript. The one island
//! is the reset form's password field, whose rules tick off as it is typed.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        form::{PasswordChecklist, TextField},
        hydrated::keep_typed,
    },
    functions::{
        error::PortalError,
        recovery::{
            link_state, FollowLink, FollowedLink, ForgotPassword, ResetPassword, DONE_QUERY,
        },
    },
    model::{link::LinkPurpose, password_policy::PasswordPolicy},
};

fn query(name: &'static str) -> String {
    use_query_map()
        .read_untracked()
        .get(name)
        .unwrap_or_default()
}

/// The error a plain form post of server function `F` came back with, if any.
pub(crate) fn returned<F>() -> Option<PortalError>
where
    F: ServerFn<Error = PortalError> + Clone + Send + Sync + 'static,
    F::Output: Clone + Send + Sync + 'static,
{
    ServerAction::<F>::new()
        .value()
        .get_untracked()
        .and_then(Result::err)
}

/// A refused form's message and its field messages, as the page shows them.
#[component]
pub(crate) fn Returned(error: Option<PortalError>) -> impl IntoView {
    error.map(|error| {
        let mut lines = vec![error.message()];
        if let PortalError::Rejected { errors, .. } = &error {
            lines.extend(errors.iter().map(|error| error.message.clone()));
        }
        lines.dedup();
        view! {
            <div class="form-alert" role="alert">
                {lines.into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
            </div>
        }
    })
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let done = !query(DONE_QUERY).is_empty();
    let returned = returned::<ForgotPassword>();
    let email = returned
        .as_ref()
        .and_then(|error| error.kept_value("email"))
        .unwrap_or_default();
    view! {
        <Title text="Forgot your password?" />
        <section class="auth-card card">
            <h1>"Forgot your password?"</h1>
            {if done {
                view! {
                    <p class="notice" role="status">
                        "If an account signs in with that address, a link to choose a new password is on its way to it. The link works for 30 minutes; only the newest link works."
                    </p>
                    <p>"No message? Check your spam folder, or " <a href="/password/forgot">"ask again"</a> "."</p>
                }
                    .into_any()
            } else {
                view! {
                    <p>"Enter the address you sign in with; we will mail you a link to choose a new password."</p>
                    <Returned error=returned />
                    <form method="post" action=ForgotPassword::url()>
                        <div class="field">
                            <label for="email">"E-mail address"</label>
                            <input id="email" name="email" type="email" autocomplete="username" required value=email />
                        </div>
                        <button type="submit" class="button-primary">"Send the link"</button>
                    </form>
                }
                    .into_any()
            }}
            <p class="auth-switch"><a href="/login">"Back to sign in"</a></p>
        </section>
    }
}

/// What a link that does not work says, with the way to a new one.
#[component]
fn RefusedLink(purpose: LinkPurpose, message: String) -> impl IntoView {
    let new_link = purpose.new_link_page();
    let offer = match purpose {
        LinkPurpose::ResetPassword | LinkPurpose::UndoEmailChange => "Ask for a new link",
        LinkPurpose::VerifyEmail | LinkPurpose::ConfirmEmailChange => "Go to your sign-in settings",
    };
    view! {
        <p class="form-alert" role="alert">{message}</p>
        <p><a class="button-primary" href=new_link>{offer}</a></p>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = query("token");
    let returned = returned::<ResetPassword>();
    let state = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        |token| link_state(LinkPurpose::ResetPassword, token),
    );
    view! {
        <Title text="Choose a new password" />
        <section class="auth-card card">
            <h1>"Choose a new password"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let (token, returned) = (token.clone(), returned.clone());
                    Suspend::new(async move {
                        match state.await {
                            Ok(FollowedLink::Live { email, policy }) => {
                                let messages = returned
                                    .as_ref()
                                    .map(|error| error.field_messages("NewPassword"))
                                    .unwrap_or_default();
                                let alert = returned.filter(|_| messages.is_empty());
                                view! {
                                    <p>"For the account that signs in as " <strong>{email.clone()}</strong> ". Every device signed in to it will be signed out."</p>
                                    <Returned error=alert />
                                    <form method="post" action=ResetPassword::url()>
                                        <input type="hidden" name="token" value=token />
                                        // Lets password managers file the new password under the account.
                                        <input type="hidden" name="username" autocomplete="username" value=email.clone() />
                                        <NewPasswordField policy=policy.unwrap_or_default() email=email.clone() messages />
                                        <button type="submit" class="button-primary">"Set the new password"</button>
                                    </form>
                                }
                                    .into_any()
                            }
                            Ok(FollowedLink::Refused { message }) => {
                                view! { <RefusedLink purpose=LinkPurpose::ResetPassword message /> }.into_any()
                            }
                            Err(error) => view! { <Returned error=Some(error) /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The new password's field with the location's rules ticked off as it is typed: the page's
/// only island (the form around it posts without JavaScript, and then the rules are listed).
#[island(lazy)]
fn NewPasswordField(policy: PasswordPolicy, email: String, messages: Vec<String>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    // A box for the directive that keeps what was typed before hydration; the form around it
    // is the page's, outside the island.
    view! {
        <div use:keep_typed>
            <TextField
                name="new_password"
                label="New password"
                kind="password"
                autocomplete="new-password"
                value=password
                messages=Signal::stored(messages)
            />
            <PasswordChecklist
                policy
                password
                email=Signal::stored(Some(email))
                note="Not a commonly used password (checked when you submit)"
            />
        </div>
    }
}

/// The page of a verification, confirmation or undo link: what following it will do, and the
/// button that does it (a mail scanner that opens the link changes nothing).
#[component]
fn EmailLinkPage(purpose: LinkPurpose) -> impl IntoView {
    let token = query("token");
    let done = !query(DONE_QUERY).is_empty();
    let returned = returned::<FollowLink>();
    let (title, button) = match purpose {
        LinkPurpose::VerifyEmail => ("Confirm your e-mail address", "Confirm my address"),
        LinkPurpose::ConfirmEmailChange => (
            "Confirm your new e-mail address",
            "Sign in with this address from now on",
        ),
        _ => (
            "Undo the change of your sign-in address",
            "Undo the change and sign out everywhere",
        ),
    };
    let state = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        move |token| link_state(purpose, token),
    );
    view! {
        <Title text=title />
        <section class="auth-card card">
            <h1>{title}</h1>
            {if done {
                view! {
                    <p class="notice" role="status">"Your e-mail address is verified. Thank you."</p>
                    <p><a href="/profile">"Go to your profile"</a></p>
                }
                    .into_any()
            } else {
                view! {
                    <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                        {move || {
                            let (token, returned) = (token.clone(), returned.clone());
                            Suspend::new(async move {
                                match state.await {
                                    Ok(FollowedLink::Live { email, .. }) => {
                                        let what = match purpose {
                                            LinkPurpose::VerifyEmail => format!("This confirms that {email} is your address."),
                                            LinkPurpose::ConfirmEmailChange => format!("From now on you will sign in as {email}; the address you signed in with until now will be told, with a link that undoes the change."),
                                            _ => format!("Your account will sign in as {email} again, and every device signed in to it will be signed out."),
                                        };
                                        view! {
                                            <p>{what}</p>
                                            <Returned error=returned />
                                            <form method="post" action=FollowLink::url()>
                                                <input type="hidden" name="purpose" value=format!("{purpose:?}") />
                                                <input type="hidden" name="token" value=token />
                                                <button type="submit" class="button-primary">{button}</button>
                                            </form>
                                        }
                                            .into_any()
                                    }
                                    Ok(FollowedLink::Refused { message }) => {
                                        view! { <RefusedLink purpose message /> }.into_any()
                                    }
                                    Err(error) => view! { <Returned error=Some(error) /> }.into_any(),
                                }
                            })
                        }}
                    </Suspense>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    view! { <EmailLinkPage purpose=LinkPurpose::VerifyEmail /> }
}

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    view! { <EmailLinkPage purpose=LinkPurpose::ConfirmEmailChange /> }
}

#[component]
pub fn UndoEmailChangePage() -> impl IntoView {
    view! { <EmailLinkPage purpose=LinkPurpose::UndoEmailChange /> }
}
