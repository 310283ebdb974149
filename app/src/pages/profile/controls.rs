//! One labelled control per profile field, chosen by the field's kind: text inputs of the
//! right type, selects, switches, the Markdown editor with its server-rendered preview, tag
//! chips and the password checklist.

use leptos::{
    either::{Either, EitherOf3, EitherOf4},
    prelude::*,
};

use super::{draft::SummaryDraft, form_state::FieldState};
use crate::{
    components::{form::PasswordChecklist, hydrated::use_hydrated},
    functions::profile::{preview_markdown, ProfilePage},
    html::escape_html,
    model::{
        gender::Gender,
        profile::{
            field::{FieldKind, ProfileField},
            rules::split_tags,
            section::FormField,
        },
        support::SupportField,
    },
};

/// The input type and browser autofill token of a field shown as a plain input.
fn input_kind(field: FormField) -> (&'static str, &'static str) {
    use ProfileField::*;
    let field = match field {
        FormField::Profile(field) => field,
        // A member's customers' addresses, not the member's own: nothing to autofill.
        FormField::Support(SupportField::Email) => return ("email", "off"),
        FormField::Support(SupportField::Telephone) => return ("tel", "off"),
        FormField::Support(SupportField::Website) => return ("url", "off"),
    };
    match field {
        FullName => ("text", "name"),
        NickName => ("text", "nickname"),
        DateOfBirth => ("date", "bday"),
        MobilePhone => ("tel", "mobile tel"),
        LandLine => ("tel", "home tel"),
        Address => ("text", "street-address"),
        PostCode => ("text", "postal-code"),
        CityName => ("text", "address-level2"),
        State => ("text", "address-level1"),
        Position => ("text", "organization-title"),
        CompanyName => ("text", "organization"),
        ProfileWebsite => ("url", "url"),
        BillingName => ("text", "billing name"),
        BillingEmail => ("email", "billing email"),
        BillingAddress => ("text", "billing street-address"),
        BillingPostCode => ("text", "billing postal-code"),
        BillingCityName => ("text", "billing address-level2"),
        BillingState => ("text", "billing address-level1"),
        CurrentPassword => ("password", "current-password"),
        NewPassword | ConfirmPassword => ("password", "new-password"),
        TwoFactorCode => ("text", "one-time-code"),
        _ => ("text", "off"),
    }
}

/// A line of help under the label, where the rule is not obvious.
fn hint(field: FormField) -> Option<&'static str> {
    use ProfileField::*;
    const PHONE: &str = "Any format, e.g. +351 912 345 678.";
    const WEBSITE: &str = "For example www.example.com.";
    let field = match field {
        FormField::Profile(field) => field,
        FormField::Support(SupportField::Email) => return None,
        FormField::Support(SupportField::Telephone) => return Some(PHONE),
        FormField::Support(SupportField::Website) => return Some(WEBSITE),
    };
    Some(match field {
        MobilePhone | LandLine => PHONE,
        ProfileSummary => "Markdown: **bold**, _italic_, [links](https://example.com), lists. Up to 4,000 characters.",
        ProfileWebsite => WEBSITE,
        ProfileTags => "Separate tags with commas; up to 20.",
        Twitter | Github | Instagram => "Your handle (@name) or the address of your profile.",
        Linkedin => "The address of your profile, e.g. linkedin.com/in/your-name.",
        ProfileIsPublic => "Show this page to other members in the directory.",
        TaxIdNumber => "EU VAT numbers start with the billing country's code, e.g. PT123456789.",
        NotifyOnHelpDeskReplies => "When the team answers one of your help desk tickets.",
        NotifyOnCommunityBoardPosts => "New posts on the community board.",
        NotifyOnBlogComments => "Comments on blog posts you wrote or follow.",
        NotifyOnEventComments => "Comments on events you attend.",
        ReceiveActivityDigest => "A weekly summary of what happened in the community.",
        SignUpToNewsletter => "The monthly newsletter.",
        TwoFactorCode => "Only if two-factor sign-in is on: the code your app shows, or a recovery code.",
        NotifyOnNewSignIn => "A security notice when your account is signed in to from a browser it was not used in before.",
        _ => return None,
    })
}

#[component]
pub fn FieldControl(state: FieldState, page: StoredValue<ProfilePage>) -> impl IntoView {
    let field = state.field;
    let id = field.wire_name();
    let name = format!("values[{id}]");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let hint_text = hint(field);
    let invalid = move || state.is_invalid();
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let ids: Vec<&str> = [
                hint_text.map(|_| hint_id.as_str()),
                invalid().then_some(error_id.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let aria_invalid = move || invalid().then_some("true");
    let on_input = move |event: leptos::ev::Event| state.set(event_target_value(&event));
    let on_blur = move |_| state.touch();

    let control = match field.kind() {
        FieldKind::Flag => {
            return Either::Left(view! {
                <div class="field switch" class:invalid=invalid>
                    <input
                        id=id
                        name=name
                        type="checkbox"
                        role="switch"
                        value="true"
                        checked=state.value_untracked() == "true"
                        prop:checked=move || state.value() == "true"
                        on:change:target=move |event| {
                            state.set(event.target().checked().to_string())
                        }
                        aria-describedby=described_by
                    />
                    <label for=id>{field.label()}</label>
                    {hint_text.map(|text| view! { <p class="hint" id=hint_id.clone()>{text}</p> })}
                    <Messages id=error_id state />
                </div>
            });
        }
        FieldKind::Gender => {
            let initial = state.value_untracked();
            EitherOf4::A(view! {
                <select
                    id=id
                    name=name
                    autocomplete="off"
                    prop:value=move || state.value()
                    on:change=on_input
                    on:blur=on_blur
                    aria-invalid=aria_invalid
                    aria-describedby=described_by
                >
                    {Gender::ALL
                        .into_iter()
                        .map(|gender| {
                            let selected = gender.as_str() == initial;
                            view! { <option value=gender.as_str() selected=selected>{gender.label()}</option> }
                        })
                        .collect_view()}
                </select>
            })
        }
        FieldKind::CountryId => {
            // The options come as HTML made once with the country list. In the browser the
            // select is hydrated as the server sent it (inner HTML is not set again), so the
            // form's props need not carry 249 countries.
            let options = page.with_value(|page| {
                page.countries
                    .as_ref()
                    .map(|choices| choices.options_html(&state.value_untracked()))
                    .unwrap_or_default()
            });
            EitherOf4::B(view! {
                <select
                    id=id
                    name=name
                    autocomplete=if field == FormField::Profile(ProfileField::CountryId) { "country-name" } else { "off" }
                    prop:value=move || state.value()
                    on:change=on_input
                    on:blur=on_blur
                    aria-invalid=aria_invalid
                    aria-describedby=described_by
                    inner_html=options
                ></select>
            })
        }
        FieldKind::Markdown { .. } => EitherOf4::C(view! {
            <textarea
                id=id
                name=name
                rows="8"
                prop:value=move || state.value()
                on:input=on_input
                on:blur=on_blur
                aria-invalid=aria_invalid
                aria-describedby=described_by
                // Not a text child: Leptos writes a textarea's children unescaped, so a
                // summary containing `</textarea>` could break out of it.
                inner_html=escape_html(&state.value_untracked())
            ></textarea>
        }),
        _ => {
            let (kind, autocomplete) = input_kind(field);
            EitherOf4::D(view! {
                <input
                    id=id
                    name=name
                    type=kind
                    autocomplete=autocomplete
                    placeholder=placeholder(field)
                    value=state.value_untracked()
                    prop:value=move || state.value()
                    on:input=on_input
                    on:blur=on_blur
                    aria-invalid=aria_invalid
                    aria-describedby=described_by
                />
            })
        }
    };

    let extra = match field.kind() {
        FieldKind::Tags => Some(EitherOf3::A(view! { <TagChips state /> })),
        FieldKind::Markdown { .. } => {
            let initial = page.with_value(|page| page.summary_html.clone().unwrap_or_default());
            Some(EitherOf3::B(view! {
                <MarkdownPreview state initial />
                <SummaryDraft state />
            }))
        }
        _ if field == FormField::Profile(ProfileField::NewPassword) => page
            .with_value(|page| page.policy.clone())
            .map(|policy| {
                let email = page.with_value(|page| page.email.clone());
                EitherOf3::C(view! {
                    <PasswordChecklist
                        policy
                        password=Signal::derive(move || state.value())
                        email=Signal::stored(email)
                        note="Not a commonly used password or your current password (checked when you save)"
                    />
                })
            }),
        _ => None,
    };

    Either::Right(view! {
        <div class="field" class:invalid=invalid>
            <label for=id>{field.label()}</label>
            {hint_text.map(|text| view! { <p class="hint" id=hint_id.clone()>{text}</p> })}
            {control}
            <Messages id=error_id state />
            {extra}
        </div>
    })
}

fn placeholder(field: FormField) -> Option<&'static str> {
    use ProfileField::*;
    match field {
        FormField::Profile(Twitter | Instagram | Github) => Some("@handle"),
        FormField::Profile(Linkedin) => Some("linkedin.com/in/your-name"),
        FormField::Profile(ProfileTags) => Some("design, product, coffee"),
        _ => None,
    }
}

/// The messages about one field, referenced by its control's `aria-describedby`.
#[component]
fn Messages(id: String, state: FieldState) -> impl IntoView {
    move || {
        let messages = state.messages();
        (!messages.is_empty()).then(|| {
            view! {
                <ul class="field-messages" id=id.clone()>
                    {messages.into_iter().map(|message| view! { <li>{message}</li> }).collect_view()}
                </ul>
            }
        })
    }
}

/// The tags typed so far as chips; each can be removed with its button once the page is
/// interactive.
#[component]
fn TagChips(state: FieldState) -> impl IntoView {
    let hydrated = use_hydrated();
    let remove = move |tag: String| {
        let kept: Vec<String> = split_tags(&state.value_untracked())
            .into_iter()
            .filter(|other| *other != tag)
            .collect();
        state.set(kept.join(", "));
    };
    view! {
        <ul class="chips" aria-label="Your tags">
            {move || {
                split_tags(&state.value())
                    .into_iter()
                    .map(|tag| {
                        let label = format!("Remove tag {tag}");
                        let removed = tag.clone();
                        view! {
                            <li class="chip">
                                <span>{tag}</span>
                                <Show when=move || hydrated.get()>
                                    <button
                                        type="button"
                                        class="chip-remove"
                                        aria-label=label.clone()
                                        on:click={
                                            let removed = removed.clone();
                                            move |_| remove(removed.clone())
                                        }
                                    >
                                        "×"
                                    </button>
                                </Show>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}

/// The summary as the directory will show it, rendered and sanitised by the server a moment
/// after the member stops typing. `initial` is the stored summary, rendered with the page.
#[component]
fn MarkdownPreview(state: FieldState, initial: String) -> impl IntoView {
    let render = Action::new(|markdown: &String| preview_markdown(markdown.clone()));
    let rendering = render.pending();
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |previous: Option<()>| {
        let text = state.value();
        if previous.is_none() {
            return;
        }
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                render.dispatch(text);
            },
            std::time::Duration::from_millis(300),
        )
        .ok();
        pending.set_value(handle);
    });
    let html = move || match render.value().get() {
        Some(Ok(html)) => html,
        Some(Err(_)) | None => initial.clone(),
    };
    view! {
        <section class="markdown-preview" aria-labelledby="summary-preview-title" aria-busy=move || rendering.get().then_some("true")>
            <h2 id="summary-preview-title">"Preview"</h2>
            <div class="markdown" inner_html=html></div>
        </section>
    }
}
