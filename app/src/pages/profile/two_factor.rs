//! Two-factor sign-in on the security page: turning the authenticator app on (a QR code and
//! the key as text, then a code), the recovery codes shown once, turning it off. Plain
//! server-rendered forms: they work without JavaScript and add nothing to the bundle.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use crate::{
    components::session::RequireMember,
    functions::{
        error::PortalError,
        security::SECURITY_PATH,
        two_factor::{
            take_recovery_codes, totp_setup, ConfirmTotp, DisableTotp, RegenerateRecoveryCodes,
            RemovePasskey, StartTotp,
        },
    },
    model::two_factor::{PasskeySummary, TwoFactorStatus, PASSKEY_NAME_MAX},
    pages::recovery::{returned, Returned},
};

use crate::components::time::Time;

/// A field for a code from the app or a recovery code (`label` says which it takes).
#[component]
pub fn CodeField(id: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name="code"
                type="text"
                autocomplete="one-time-code"
                autocapitalize="off"
                spellcheck="false"
                required
            />
        </div>
    }
}

/// The security page's panel: whether sign-in asks for a code, and the forms that change it.
#[component]
pub fn TwoFactorPanel(status: TwoFactorStatus) -> impl IntoView {
    let disable_error = returned::<DisableTotp>();
    let regenerate_error = returned::<RegenerateRecoveryCodes>();
    let start_error = returned::<StartTotp>();
    view! {
        <section class="card security-panel" id="two-factor" aria-labelledby="two-factor-title">
            <h2 id="two-factor-title">"Two-factor sign-in"</h2>
            {if status.totp_enabled {
                view! {
                    <p data-testid="two-factor-status">
                        <span class="badge verified">"On"</span>
                        " Signing in asks for a code from your authenticator app after your password."
                    </p>
                    <p class="hint">
                        {format!("{} of 10 recovery codes left. ", status.recovery_codes_left)}
                        "Each signs you in once if you lose your phone."
                    </p>
                    <h3>"New recovery codes"</h3>
                    <p class="hint">"The old ones stop working."</p>
                    <Returned error=regenerate_error />
                    <form method="post" action=RegenerateRecoveryCodes::url()>
                        <div class="field">
                            <label for="codes_password">"Your password"</label>
                            <input id="codes_password" name="current_password" type="password" autocomplete="current-password" required />
                        </div>
                        <CodeField id="codes_code" label="Code from your app, or a recovery code" />
                        <button type="submit" class="button-secondary">"Make new recovery codes"</button>
                    </form>
                    <h3>"Turn two-factor sign-in off"</h3>
                    <Returned error=disable_error />
                    <form method="post" action=DisableTotp::url()>
                        <div class="field">
                            <label for="disable_password">"Your password"</label>
                            <input id="disable_password" name="current_password" type="password" autocomplete="current-password" required />
                        </div>
                        <CodeField id="disable_code" label="Code from your app, or a recovery code" />
                        <button type="submit" class="button-danger">"Turn it off"</button>
                    </form>
                }
                    .into_any()
            } else {
                view! {
                    <p data-testid="two-factor-status">
                        <span class="badge">"Off"</span>
                        " Signing in needs only your password."
                    </p>
                    <p class="hint">"With an authenticator app (such as Aegis, Google Authenticator, 1Password or Microsoft Authenticator), signing in also asks for the 6-digit code the app shows, so a stolen password alone is not enough."</p>
                    <Returned error=start_error />
                    <form method="post" action=StartTotp::url()>
                        <button type="submit" class="button-primary">"Set up an authenticator app"</button>
                    </form>
                }
                    .into_any()
            }}
        </section>
    }
}

/// The security page's passkeys: the list with a remove button each (plain forms), and adding
/// one, which needs the browser's WebAuthn: `/passkeys.js` shows that form and runs it.
#[component]
pub fn PasskeysPanel(passkeys: Vec<PasskeySummary>, needs_code: bool) -> impl IntoView {
    let remove_error = returned::<RemovePasskey>();
    let count = passkeys.len();
    view! {
        <section class="card security-panel" id="passkeys" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">"Passkeys"</h2>
            <p class="hint">"A passkey signs you in with your device's screen lock (fingerprint, face or PIN) instead of your password, and cannot be phished. It can also stand in for the authenticator code."</p>
            <Returned error=remove_error />
            {if passkeys.is_empty() {
                view! { <p data-testid="passkey-count">"You have no passkeys yet."</p> }.into_any()
            } else {
                view! {
                    <p data-testid="passkey-count">{match count { 1 => "1 passkey".to_owned(), n => format!("{n} passkeys") }}</p>
                    <ul class="passkeys">
                        {passkeys
                            .into_iter()
                            .map(|passkey| {
                                let label = format!("Remove the passkey {}", passkey.name);
                                view! {
                                    <li>
                                        <strong>{passkey.name.clone()}</strong>
                                        <span class="hint">
                                            " added " <Time unix=passkey.created_at />
                                            {passkey.last_used_at.map(|at| view! { ", last used " <Time unix=at /> })}
                                        </span>
                                        <form method="post" action=RemovePasskey::url()>
                                            <input type="hidden" name="id" value=passkey.id.to_string() />
                                            <button type="submit" class="button-secondary" aria-label=label>"Remove"</button>
                                        </form>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            <h3>"Add a passkey"</h3>
            <noscript><p class="hint">"Adding a passkey needs JavaScript: your browser asks your device to make one."</p></noscript>
            <p class="form-alert" role="alert" data-passkey-message hidden></p>
            <form data-passkey="register" hidden>
                <div class="field">
                    <label for="passkey_name">"Name it"</label>
                    <input id="passkey_name" name="name" type="text" maxlength=PASSKEY_NAME_MAX placeholder="Laptop, Phone…" required />
                </div>
                <div class="field">
                    <label for="passkey_password">"Current password"</label>
                    <input id="passkey_password" name="current_password" type="password" autocomplete="current-password" required />
                </div>
                {needs_code.then(|| view! { <CodeField id="passkey_code" label="Code from your app, or a recovery code" /> })}
                <button type="submit" class="button-primary">"Add a passkey"</button>
            </form>
            <script src="/passkeys.js" defer nonce=leptos::nonce::use_nonce()></script>
        </section>
    }
}

/// `/profile/security/authenticator`: the key to scan or type, and the code that confirms it.
#[component]
pub fn AuthenticatorSetupPage() -> impl IntoView {
    let error = returned::<ConfirmTotp>();
    let setup = Resource::new(|| (), |_| totp_setup());
    view! {
        <RequireMember>
            {
                let error = error.clone();
                move || {
                    let error = error.clone();
                    view! {
                        <Title text="Set up an authenticator app" />
                        <h1>"Set up an authenticator app"</h1>
                        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                            {
                                let error = error.clone();
                                move || {
                                    let error = error.clone();
                                    Suspend::new(async move {
                                        match setup.await {
                                            Ok(Some(key)) => view! { <SetupSteps key=key error /> }.into_any(),
                                            Ok(None) => view! {
                                                <p>"There is no set-up waiting: two-factor sign-in is on already, or it was not started."</p>
                                                <p><a href=format!("{SECURITY_PATH}#two-factor")>"Back to security and privacy"</a></p>
                                            }
                                                .into_any(),
                                            Err(error) => view! { <Returned error=Some(error) /> }.into_any(),
                                        }
                                    })
                                }
                            }
                        </Suspense>
                    }
                }
            }
        </RequireMember>
    }
}

#[component]
fn SetupSteps(
    key: crate::functions::two_factor::SetupKey,
    error: Option<PortalError>,
) -> impl IntoView {
    view! {
        <section class="card security-panel" aria-labelledby="scan-title">
            <h2 id="scan-title">"1. Add the account to your app"</h2>
            <p>"Scan the code with your authenticator app, or type the key into it."</p>
            <img class="qr-code" src=key.qr_code alt="QR code of the key below, for your authenticator app" width="220" height="220" />
            <p>"Key: " <code class="setup-key" data-testid="totp-secret">{key.secret}</code></p>
            <p class="hint">"Time-based, 6 digits, every 30 seconds (the usual settings)."</p>
        </section>
        <section class="card security-panel" aria-labelledby="confirm-title">
            <h2 id="confirm-title">"2. Type the code the app shows"</h2>
            <p class="hint">"Two-factor sign-in is turned on once the code is right."</p>
            <Returned error=error />
            <form method="post" action=ConfirmTotp::url()>
                <CodeField id="setup_code" label="6-digit code" />
                <button type="submit" class="button-primary">"Turn on two-factor sign-in"</button>
            </form>
            <p><a href=format!("{SECURITY_PATH}#two-factor")>"Cancel"</a></p>
        </section>
    }
}

/// `/profile/security/recovery-codes`: new recovery codes, shown this once.
#[component]
pub fn RecoveryCodesPage() -> impl IntoView {
    let codes = Resource::new(|| (), |_| take_recovery_codes());
    view! {
        <RequireMember>
            {move || view! {
                <Title text="Your recovery codes" />
                <h1>"Your recovery codes"</h1>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match codes.await {
                            Ok(Some(codes)) => view! {
                                <section class="card security-panel" aria-labelledby="codes-title">
                                    <h2 id="codes-title">"Save these now"</h2>
                                    <p class="notice" role="status">"Two-factor sign-in is on. These codes are shown only this once."</p>
                                    <p>"If you lose your phone, each code signs you in once in place of the app's code. Print them or keep them in your password manager."</p>
                                    <ol class="recovery-codes" data-testid="recovery-codes">
                                        {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
                                    </ol>
                                    <p><a class="button-primary" href=format!("{SECURITY_PATH}#two-factor")>"I have saved them"</a></p>
                                </section>
                            }
                                .into_any(),
                            Ok(None) => view! {
                                <p>"These codes were shown already. If you did not save them, make new ones on the security page."</p>
                                <p><a href=format!("{SECURITY_PATH}#two-factor")>"Back to security and privacy"</a></p>
                            }
                                .into_any(),
                            Err(error) => view! { <Returned error=Some(error) /> }.into_any(),
                        }
                    })}
                </Suspense>
            }}
        </RequireMember>
    }
}
