//! The state of a profile form, shared by all its fields' controls: the values, what was
//! touched, the server's word on the last save, and the messages each field shows.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;

use crate::model::{
    field_error::FieldError,
    profile::{field::FormValues, section::FormField},
};

/// The form's state, shared by all its fields' controls: one set of signals per form, and no
/// signal or callback per field (the server would make and drop them for every field of every
/// page it renders).
#[derive(Clone, Copy)]
pub struct FormSignals {
    pub values: RwSignal<FormValues>,
    /// Fields that lost focus once: their rules are shown from then on.
    pub touched: RwSignal<BTreeSet<&'static str>>,
    /// The last save's message, cleared by the next change.
    pub confirmation: RwSignal<Option<String>>,
    /// What the server refused in the last save.
    pub server_errors: RwSignal<Vec<FieldError>>,
    /// What each field shows under it (`shown_messages`), worked out once for the whole form
    /// instead of by every field's attributes and list.
    pub shown: Memo<ShownMessages>,
}

/// The messages each field shows, by wire name; fields without any are left out.
pub type ShownMessages = BTreeMap<&'static str, Vec<String>>;

/// What to tell the member about each of `fields`: the shared rules' messages (`local`) once the
/// field was touched or a save was tried, else (or when they pass) the server's. `local` is only
/// asked for when some field shows it.
pub fn shown_messages(
    fields: &[FormField],
    submitted: bool,
    touched: &BTreeSet<&'static str>,
    local: impl FnOnce() -> Vec<FieldError>,
    server: &[FieldError],
) -> ShownMessages {
    let local = (submitted || !touched.is_empty()).then(local);
    let about = |errors: &[FieldError], name: &str| -> Vec<String> {
        errors
            .iter()
            .filter(|error| error.property_name == name)
            .map(|error| error.message.clone())
            .collect()
    };
    fields
        .iter()
        .filter_map(|field| {
            let name = field.wire_name();
            let mut messages = match &local {
                Some(local) if submitted || touched.contains(name) => about(local, name),
                _ => Vec::new(),
            };
            if messages.is_empty() {
                messages = about(server, name);
            }
            (!messages.is_empty()).then_some((name, messages))
        })
        .collect()
}

/// One field of the form: its value and messages, and what its control reports back.
#[derive(Clone, Copy)]
pub struct FieldState {
    pub field: FormField,
    pub form: FormSignals,
}

impl FieldState {
    fn name(self) -> &'static str {
        self.field.wire_name()
    }

    /// The value, tracked.
    pub fn value(self) -> String {
        self.form
            .values
            .read()
            .get(self.name())
            .cloned()
            .unwrap_or_default()
    }

    pub fn value_untracked(self) -> String {
        (self.form.values.read_untracked())
            .get(self.name())
            .cloned()
            .unwrap_or_default()
    }

    /// The member changed the value: it replaces what the server refused about the field.
    pub fn set(self, value: String) {
        let name = self.name();
        self.form.values.update(|values| {
            values.insert(name.to_owned(), value);
        });
        self.form.confirmation.set(None);
        (self.form.server_errors)
            .update(|errors| errors.retain(|error| error.property_name != name));
    }

    /// The control lost focus: its rules may now be shown.
    pub fn touch(self) {
        self.form.touched.update(|touched| {
            touched.insert(self.name());
        });
    }

    /// What to tell the member about the field, tracked (see `shown_messages`).
    pub fn messages(self) -> Vec<String> {
        (self.form.shown).with(|shown| shown.get(self.name()).cloned().unwrap_or_default())
    }

    /// Whether the field shows any message, tracked.
    pub fn is_invalid(self) -> bool {
        (self.form.shown).with(|shown| shown.contains_key(self.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::field::ProfileField;

    fn error(field: ProfileField, message: &str) -> FieldError {
        FieldError {
            property_name: field.wire_name().to_owned(),
            message: message.to_owned(),
            attempted_value: None,
        }
    }

    #[test]
    fn a_field_shows_its_rules_once_touched_and_the_servers_word_otherwise() {
        use ProfileField::{FullName, MobilePhone, NickName};
        let fields = [FullName, NickName, MobilePhone].map(FormField::Profile);
        let local = || {
            vec![
                error(FullName, "Full name is required."),
                error(NickName, "Nick name is too long."),
            ]
        };
        let server = [error(MobilePhone, "Mobile phone was refused.")];

        // Untouched: the rules stay quiet (and are not even worked out); the server's shows.
        let untouched = shown_messages(
            &fields,
            false,
            &BTreeSet::new(),
            || panic!("no field shows its rules"),
            &server,
        );
        assert_eq!(
            untouched,
            BTreeMap::from([("MobilePhone", vec!["Mobile phone was refused.".to_owned()])])
        );

        // Touched: that field's rules only.
        let touched = shown_messages(&fields, false, &BTreeSet::from(["NickName"]), local, &[]);
        assert_eq!(
            touched,
            BTreeMap::from([("NickName", vec!["Nick name is too long.".to_owned()])])
        );

        // Submitted: every field's rules, and the server's where the rules pass.
        let submitted = shown_messages(&fields, true, &BTreeSet::new(), local, &server);
        assert_eq!(submitted.len(), 3);
        assert_eq!(
            submitted["FullName"],
            vec!["Full name is required.".to_owned()]
        );
        assert_eq!(
            submitted["MobilePhone"],
            vec!["Mobile phone was refused.".to_owned()]
        );
    }
}
