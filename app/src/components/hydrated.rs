//! The moment a form becomes interactive: what the member typed or chose while the wasm was
//! still on its way is kept and taken up by the island, and the page says when it is
//! interactive. Controls that need JavaScript (a button that only acts through a click handler)
//! appear once it is, so a page without JavaScript shows none of them.

use leptos::{
    prelude::*,
    wasm_bindgen::JsCast,
    web_sys::{
        Element, Event, EventInit, FocusEvent, HtmlInputElement, HtmlSelectElement,
        HtmlTextAreaElement,
    },
};

/// False while rendering on the server and until hydration; true afterwards.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// The attribute on `<html>` (and on each island) once the page's islands are interactive:
/// end-to-end tests wait for it.
const HYDRATED: &str = "data-hydrated";

/// A directive for the element around an island's controls (`use:keep_typed`), so that nothing
/// the member typed or chose before hydration is lost.
///
/// Hydration sets every bound property (`prop:value`, `prop:checked`) from the island's props,
/// which are what the server rendered, not what the page holds by then. So this reads every
/// control first (attributes hydrate before children), and once the island is hydrated and its
/// effects have had their first run, gives each control that hydration changed back what it
/// held, with the events a member's typing makes: the island takes the value up through its own
/// handlers, so its derived state (unsaved changes, the rules' messages, the password
/// checklist) follows as it does for typing. A control the member has left also gets a `blur`,
/// as leaving it after hydration would have. Then the island, and once every island is, the
/// page, is marked hydrated: every island carries this directive, or its page is never marked
/// (the end-to-end tests, which wait for the mark, would fail on that page).
pub fn keep_typed(around: Element) {
    let held: Vec<(Element, Held)> = controls(&around)
        .into_iter()
        .filter_map(|control| Held::read(&control).map(|held| (control, held)))
        .collect();
    // Tasks run in the order they were spawned: the effects of the island's components were
    // spawned while its view was built, before hydration reached this element, so they have had
    // their first run. Tachys sets `value` properties in a microtask of its own, queued during
    // hydration; a microtask queued now comes after it.
    leptos::task::spawn_local(async move {
        queue_microtask(move || restore(&around, held));
    });
}

/// Gives each control hydration changed back what `held` says it held, with the member's
/// events; then marks the island, and the page if it was the last one.
fn restore(around: &Element, held: Vec<(Element, Held)>) {
    let focused = document().active_element();
    for (control, typed) in held {
        if Held::read(&control).as_ref() == Some(&typed) {
            continue;
        }
        typed.write(&control);
        dispatch(&control, bubbling("input"));
        dispatch(&control, bubbling("change"));
        if focused.as_ref() != Some(&control) {
            dispatch(&control, FocusEvent::new("blur").ok().map(Into::into));
        }
    }
    if let Ok(Some(island)) = around.closest("leptos-island") {
        let _ = island.set_attribute(HYDRATED, "true");
    }
    mark_page_if_hydrated();
}

/// Marks the page interactive when none of its islands is still waiting for its code.
pub fn mark_page_if_hydrated() {
    let waiting = document()
        .query_selector(&format!("leptos-island:not([{HYDRATED}])"))
        .ok()
        .flatten();
    if let (None, Some(root)) = (waiting, document().document_element()) {
        let _ = root.set_attribute(HYDRATED, "true");
    }
}

/// The form controls under `around` that a member fills in.
fn controls(around: &Element) -> Vec<Element> {
    let Ok(found) = around.query_selector_all("input, select, textarea") else {
        return Vec::new();
    };
    (0..found.length())
        .filter_map(|index| found.item(index)?.dyn_into::<Element>().ok())
        .collect()
}

/// What a control holds: its text (or choice), or whether it is ticked.
#[derive(Clone, Debug, PartialEq)]
enum Held {
    Value(String),
    Checked(bool),
}

impl Held {
    /// What `control` holds now; `None` for controls the member does not fill in (hidden
    /// fields, buttons, file choosers).
    fn read(control: &Element) -> Option<Held> {
        if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
            return match input.type_().as_str() {
                "checkbox" | "radio" => Some(Held::Checked(input.checked())),
                "hidden" | "file" | "submit" | "reset" | "button" | "image" => None,
                _ => Some(Held::Value(input.value())),
            };
        }
        if let Some(select) = control.dyn_ref::<HtmlSelectElement>() {
            return Some(Held::Value(select.value()));
        }
        (control.dyn_ref::<HtmlTextAreaElement>()).map(|text| Held::Value(text.value()))
    }

    fn write(&self, control: &Element) {
        match self {
            Held::Checked(checked) => {
                if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
                    input.set_checked(*checked);
                }
            }
            Held::Value(value) => {
                if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
                    input.set_value(value);
                } else if let Some(select) = control.dyn_ref::<HtmlSelectElement>() {
                    select.set_value(value);
                } else if let Some(text) = control.dyn_ref::<HtmlTextAreaElement>() {
                    text.set_value(value);
                }
            }
        }
    }
}

/// An event of `kind` that bubbles, as the browser's own `input` and `change` do (Leptos
/// listens for them once, on the document).
fn bubbling(kind: &str) -> Option<Event> {
    let init = EventInit::new();
    init.set_bubbles(true);
    Event::new_with_event_init_dict(kind, &init).ok()
}

fn dispatch(control: &Element, event: Option<Event>) {
    if let Some(event) = event {
        let _ = control.dispatch_event(&event);
    }
}
