//! The credentials page's sign-in address: whether it is verified (with the button that mails a
//! new link) and the form that moves the account to another address.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_query_map;

use crate::{
    components::session::signed_in_member,
    functions::recovery::{ChangeEmail, ResendVerification},
    pages::recovery::{returned, Returned},
};

#[component]
pub fn SignInAddress() -> impl IntoView {
    let notice = use_query_map()
        .read_untracked()
        .get("notice")
        .and_then(|notice| match notice.as_str() {
            "verification-sent" => Some("A new verification link is on its way to your address."),
            "verified-already" => Some("Your address is verified already; no new link was sent."),
            "email-change-sent" => Some(
                "A confirmation link is on its way to the new address. Until it is followed, you sign in with your current address.",
            ),
            _ => None,
        });
    let resend_error = returned::<ResendVerification>();
    let change_error = returned::<ChangeEmail>();
    let new_email = change_error
        .as_ref()
        .and_then(|error| error.kept_value("new_email"))
        .unwrap_or_default();
    view! {
        <section class="card email-panel" aria-labelledby="sign-in-address">
            <h2 id="sign-in-address">"Sign-in e-mail address"</h2>
            {notice.map(|notice| view! { <p class="notice" role="status">{notice}</p> })}
            {signed_in_member().map(|member| {
                let verified = member.email_verified;
                view! {
                    <p data-testid="email-status">
                        "You sign in as " <strong>{member.email}</strong> ". "
                        {if verified {
                            view! { <span class="badge verified">"Verified"</span> }.into_any()
                        } else {
                            view! { <span class="badge unverified">"Not verified yet"</span> }.into_any()
                        }}
                    </p>
                    {(!verified).then(|| view! {
                        <Returned error=resend_error />
                        <form method="post" action=ResendVerification::url()>
                            <p class="hint">"Follow the link we mailed you to verify the address: it is how you recover the account if you forget the password."</p>
                            <button type="submit" class="button-secondary">"Send the link again"</button>
                        </form>
                    })}
                }
            })}
            <h3>"Change the address"</h3>
            <p class="hint">"We mail a confirmation link to the new address; the change happens when it is followed. Your current address is told, with a link that undoes it."</p>
            <Returned error=change_error />
            <form method="post" action=ChangeEmail::url()>
                <div class="field">
                    <label for="new_email">"New e-mail address"</label>
                    <input id="new_email" name="new_email" type="email" autocomplete="email" required value=new_email />
                </div>
                <div class="field">
                    <label for="change_email_password">"Your password"</label>
                    <input id="change_email_password" name="current_password" type="password" autocomplete="current-password" required />
                </div>
                <div class="field">
                    <label for="change_email_code">"Code from your app"</label>
                    <p class="hint" id="change_email_code-hint">"Only if two-factor sign-in is on: the code your app shows, or a recovery code."</p>
                    <input id="change_email_code" name="code" type="text" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" aria-describedby="change_email_code-hint" />
                </div>
                <button type="submit" class="button-primary">"Send a confirmation link"</button>
            </form>
        </section>
    }
}
