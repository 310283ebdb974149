//! The form every profile page is: filled on the server, checked as the member types with the
//! shared rules, saved through one server function, and usable without JavaScript (it then
//! posts to that function, which sends the browser back to the page).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use leptos::{
    prelude::*,
    server_fn::ServerFn,
    wasm_bindgen::JsCast,
    web_sys::{FormData, HtmlElement, HtmlFormElement, SubmitEvent},
};

use super::{
    controls::FieldControl,
    form_state::{shown_messages, FieldState, FormSignals},
};
use crate::{
    components::{
        form::{keep_focus, FormAlert},
        hydrated::keep_typed,
        unsaved::warn_before_leaving,
    },
    functions::{
        error::PortalError,
        profile::{save_profile_page, ProfilePage, SaveProfilePage},
    },
    model::{
        account::password_errors,
        field_error::FieldError,
        gender::{salutation, Gender},
        password_policy::PasswordCandidate,
        profile::{
            field::{FormValues, ProfileField},
            patch::ValidationContext,
            section::{FormField, ProfileSection},
        },
        support::SupportProfile,
    },
};

/// Today in the member's own calendar (the browser's), or the server's on the server.
fn today() -> NaiveDate {
    #[cfg(feature = "ssr")]
    {
        chrono::Utc::now().date_naive()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let now = leptos::web_sys::js_sys::Date::new_0();
        NaiveDate::from_ymd_opt(
            now.get_full_year() as i32,
            now.get_month() + 1,
            now.get_date(),
        )
        .unwrap_or_default()
    }
}

/// What the page's form holds as the browser submits it (also a fill that fired no `input`).
fn submitted_values(event: &SubmitEvent, section: ProfileSection) -> Option<FormValues> {
    let form = event.target()?.dyn_into::<HtmlFormElement>().ok()?;
    let data = FormData::new_with_form(&form).ok()?;
    Some(
        section
            .fields()
            .iter()
            .filter_map(|field| {
                let name = field.wire_name();
                data.get(&format!("values[{name}]"))
                    .as_string()
                    .map(|value| (name.to_owned(), value))
            })
            .collect(),
    )
}

fn focus_first_invalid(section: ProfileSection, errors: &[FieldError]) {
    let Some(field) = section
        .fields()
        .iter()
        .find(|field| errors.iter().any(|e| e.property_name == field.wire_name()))
    else {
        return;
    };
    if let Some(element) = document()
        .get_element_by_id(field.wire_name())
        .and_then(|element| element.dyn_into::<HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

/// The two-letter code of the billing country `id`.
fn billing_country_code(page: &ProfilePage, id: &str) -> Option<String> {
    let id: i64 = id.parse().ok()?;
    page.country_codes
        .as_ref()?
        .iter()
        .find(|(country, _)| *country == id)
        .map(|(_, code)| code.clone())
}

/// The form of `section`, filled with `page`: an island, the part of the page the browser runs.
/// `returned` is a refused save that came back in the address (a post without JavaScript),
/// with what was typed; `saved` says the page was reached after a successful one.
///
/// The server's render comes from `island_memo` when the same form with the same values was
/// shown before (its props are all it depends on; the country options, which are left out of
/// them, are fixed for the life of the server).
#[island(lazy)]
pub fn ProfileForm(
    section: ProfileSection,
    page: ProfilePage,
    returned: Option<PortalError>,
    saved: bool,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        crate::server::web::island_memo::rendered(
            "ProfileForm",
            (section, page, returned, saved),
            |(section, page, returned, saved)| profile_form(section, page, returned, saved),
        )
    }
    #[cfg(not(feature = "ssr"))]
    {
        profile_form(section, page, returned, saved)
    }
}

/// What `ProfileForm` renders.
fn profile_form(
    section: ProfileSection,
    page: ProfilePage,
    returned: Option<PortalError>,
    saved: bool,
) -> impl IntoView {
    // Not a `ServerAction`: a refused post without JavaScript arrives as `returned`, so the
    // island need not decode it from the address again (which would ship that code).
    let action = Action::new(|input: &SaveProfilePage| {
        save_profile_page(input.section, input.values.clone(), input.loaded.clone())
    });
    // One memo, read by everything that shows a save in flight: each `Action::pending` call
    // makes a new one.
    let saving = action.pending();
    let mut initial = page.values.clone();
    if let Some(PortalError::Rejected { values: typed, .. }) = &returned {
        for field in section.fields() {
            if let Some(value) = typed.get(field.wire_name()) {
                initial.insert(field.wire_name().to_owned(), value.clone());
            }
        }
    }
    let values = RwSignal::new(initial);
    let loaded = RwSignal::new(page.values.clone());
    let page = StoredValue::new(page);
    let server_errors = RwSignal::new(match &returned {
        Some(PortalError::Rejected { errors, .. }) => errors.clone(),
        _ => Vec::new(),
    });
    let alert = RwSignal::new(returned.as_ref().and_then(|error| match error {
        PortalError::Rejected { errors, .. } if !errors.is_empty() => None,
        other => Some(other.message()),
    }));
    let confirmation = RwSignal::new(saved.then(|| saved_message(section, &["saved".to_owned()])));
    let touched = RwSignal::new(BTreeSet::<&'static str>::new());
    let submitted = RwSignal::new(false);

    // The shared rules, run on every change; shown per field once touched or submitted.
    let local_errors = Memo::new(move |_| {
        let values = values.read();
        let patch = section.patch_from_form(&values, &loaded.read());
        let billing_country_code = values
            .get("BillingCountryId")
            .and_then(|id| page.with_value(|page| billing_country_code(page, id)));
        let context = ValidationContext {
            today: today(),
            billing_country_code,
        };
        let mut errors = if section == ProfileSection::Support {
            SupportProfile::from_form(&values).validate_form().err()
        } else {
            patch.validate(&context).err()
        }
        .unwrap_or_default();
        let new_password = values.get("NewPassword").cloned().unwrap_or_default();
        let policy = page.with_value(|page| page.policy.clone());
        if let (Some(policy), false) = (policy, new_password.is_empty()) {
            let email = page.with_value(|page| page.email.clone());
            let violations = policy.violations(&PasswordCandidate {
                password: &new_password,
                email: email.as_deref(),
                current_password: values.get("CurrentPassword").map(String::as_str),
                is_common: None,
            });
            errors.extend(password_errors(
                ProfileField::NewPassword.wire_name(),
                ProfileField::NewPassword.label(),
                &violations,
            ));
        }
        errors
    });
    let dirty = Memo::new(move |_| section.has_changes(&values.read(), &loaded.read()));
    warn_before_leaving(Signal::derive(move || dirty.get() && !saving.get()));

    // The server's answer.
    Effect::new(move |_| match action.value().get() {
        Some(Ok(saved)) => {
            confirmation.set(Some(saved_message(section, &saved.changed)));
            server_errors.set(Vec::new());
            alert.set(None);
            submitted.set(false);
            touched.set(BTreeSet::new());
            loaded.set(saved.values.clone());
            values.set(saved.values);
        }
        Some(Err(error)) => {
            let errors = match &error {
                PortalError::Rejected { errors, .. } => errors.clone(),
                PortalError::ServerFn(_) => Vec::new(),
            };
            alert.set(errors.is_empty().then(|| error.message()));
            focus_first_invalid(section, &errors);
            server_errors.set(errors);
        }
        None => {}
    });

    let shown = Memo::new(move |_| {
        shown_messages(
            section.fields(),
            submitted.get(),
            &touched.read(),
            || local_errors.get(),
            &server_errors.read(),
        )
    });
    let form = FormSignals {
        values,
        touched,
        confirmation,
        server_errors,
        shown,
    };

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if let Some(typed) = submitted_values(&event, section) {
            values.set(typed);
        }
        submitted.set(true);
        confirmation.set(None);
        let errors = local_errors.get_untracked();
        if !errors.is_empty() {
            alert.set(None);
            focus_first_invalid(section, &errors);
            return;
        }
        action.dispatch(SaveProfilePage {
            section,
            values: values.get_untracked(),
            loaded: loaded.get_untracked(),
        });
    };

    view! {
        <form
            class="profile-form card"
            class:single-column=matches!(section, ProfileSection::Credentials | ProfileSection::Support)
            method="post"
            action=SaveProfilePage::url()
            novalidate
            aria-busy=move || saving.get().then_some("true")
            on:submit=on_submit
            use:keep_typed
        >
            <input type="hidden" name="section" value=section_name(section) />
            {loaded
                .get_untracked()
                .into_iter()
                .map(|(name, value)| {
                    view! { <input type="hidden" name=format!("loaded[{name}]") value=value /> }
                })
                .collect_view()}
            <FormAlert message=alert />
            {section
                .fields()
                .iter()
                .map(|field| {
                    let salutation = (*field == FormField::Profile(ProfileField::Gender))
                        .then(|| view! { <SalutationPreview values /> });
                    view! {
                        <FieldControl state=FieldState { field: *field, form } page />
                        {salutation}
                    }
                })
                .collect_view()}
            <div class="form-actions">
                <button
                    type="submit"
                    class="button-primary"
                    disabled=move || saving.get()
                    on:mousedown=keep_focus
                >
                    {move || if saving.get() { "Saving…" } else { "Save changes" }}
                </button>
                <p class="form-status" role="status" aria-live="polite">
                    {move || confirmation.get()}
                    {move || {
                        (dirty.get() && confirmation.read().is_none())
                            .then_some(view! { <span class="unsaved">"You have unsaved changes."</span> })
                    }}
                </p>
            </div>
        </form>
    }
}

/// How the portal will greet the member, as they type their name and choose a gender.
#[component]
fn SalutationPreview(values: RwSignal<FormValues>) -> impl IntoView {
    let greeting = move || {
        let values = values.read();
        let gender = values
            .get("Gender")
            .and_then(|gender| gender.parse::<Gender>().ok())
            .unwrap_or_default();
        salutation(gender, values.get("FullName").map_or("", String::as_str))
    };
    view! {
        <p class="salutation" aria-live="polite">
            <span class="muted">"We will greet you as: "</span>
            <strong>{greeting}</strong>
        </p>
    }
}

/// The value the `section` argument has in the form post.
fn section_name(section: ProfileSection) -> &'static str {
    match section {
        ProfileSection::Personal => "personal",
        ProfileSection::Professional => "professional",
        ProfileSection::Billing => "billing",
        ProfileSection::Notifications => "notifications",
        ProfileSection::Credentials => "credentials",
        ProfileSection::Support => "support",
    }
}

fn saved_message(section: ProfileSection, changed: &[String]) -> String {
    match (section, changed.is_empty()) {
        (_, true) => "Nothing to save: everything was already up to date.".to_owned(),
        (ProfileSection::Credentials, false) => {
            "Your password was changed. Your other devices were signed out.".to_owned()
        }
        (_, false) => "Your changes were saved.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posted_section_name_is_what_the_server_function_reads() {
        for section in ProfileSection::ALL {
            let json = serde_json::to_value(section).expect("serialises");
            assert_eq!(json, section_name(section));
        }
    }
}
