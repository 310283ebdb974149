//! Whether the page is interactive yet: controls that need JavaScript (a button that only acts
//! through a click handler) appear once it is, so a page without JavaScript shows none of them.

use leptos::prelude::*;

/// False while rendering on the server and until hydration; true afterwards.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
