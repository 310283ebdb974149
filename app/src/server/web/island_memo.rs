//! The server's HTML of islands, by their props.
//!
//! An island is rendered twice: by the server into the page, and by the browser from the props
//! the page carries (`data-props`), which must come out the same or hydration breaks. So the
//! server's HTML of an island is a function of its props (and of the build), and a form shown
//! again with the same props, such as a profile page reloaded, opened again or asked for by many
//! clients, need not be rendered again: the form with its eleven to twenty-five fields was about
//! a fifth of a profile page's CPU (issue 19).
//!
//! The key is the island's name with its props as JSON, compared whole (never a hash that two
//! members' forms could share). Server-only inputs an island reads besides its props must be
//! fixed for the life of the process (the country list, loaded once) or be part of `props`.
//! Bounded by bytes, so many members' forms evict older ones instead of growing the process.
//! A form from the memo comes faster than a rendered one; that tells a member only that some
//! form held exactly the props of their own request, every value of it, which they chose.

use std::sync::{Arc, LazyLock};

use leptos::{
    prelude::*,
    tachys::{html::InertElement, ssr::StreamChunk},
};
use quick_cache::{sync::Cache, Weighter};
use serde::Serialize;

/// What the memo may hold, in bytes of keys and HTML.
const MEMO_BYTES: u64 = 16 * 1024 * 1024;
/// How many entries it is sized for (quick_cache's estimate; the bytes bound is what holds).
const MEMO_ENTRIES: usize = 2_048;

static RENDERED: LazyLock<Cache<String, Arc<str>, ByLength>> =
    LazyLock::new(|| Cache::with_weighter(MEMO_ENTRIES, MEMO_BYTES, ByLength));

#[derive(Clone)]
struct ByLength;

impl Weighter<String, Arc<str>> for ByLength {
    fn weight(&self, key: &String, html: &Arc<str>) -> u64 {
        (key.len() + html.len()) as u64
    }
}

/// The HTML of island `name` with `props`: made by `render` the first time, from the memo after.
/// `render` must build the island's whole view from `props` (and from nothing a request
/// changes); its reactive parts are read once, as the server's render reads them.
pub fn rendered<P: Serialize, V: RenderHtml>(
    name: &'static str,
    props: P,
    render: impl FnOnce(P) -> V,
) -> InertElement {
    let Ok(json) = serde_json::to_string(&props) else {
        // The island's own props serialise (they are in the page), so this is not reached;
        // rendering without the memo is still right.
        return InertElement::new(html_of(render(props)));
    };
    let mut key = String::with_capacity(name.len() + 1 + json.len());
    key.push_str(name);
    key.push('\n');
    key.push_str(&json);
    if let Some(html) = RENDERED.get(key.as_str()) {
        counted(name, "memo");
        return InertElement::new(String::from(&*html));
    }
    counted(name, "render");
    // Not `get_or_insert_with`: that would hold a second request for the same form waiting on
    // this one's render, blocking its worker thread; two renders of one form cost less.
    let html = html_of(render(props));
    RENDERED.insert(key, Arc::from(html.as_str()));
    InertElement::new(html)
}

/// Counts a form shown from the memo or rendered (`portal_island_renders_total`).
fn counted(island: &'static str, from: &'static str) {
    metrics::counter!("portal_island_renders_total", "island" => island, "from" => from)
        .increment(1);
}

/// What the memo holds now, in bytes of keys and HTML (`portal_island_memo_bytes`).
pub fn held_bytes() -> u64 {
    RENDERED.weight()
}

/// The HTML of `view` as the page's render writes it: through the streaming renderer, whose
/// markers between text nodes differ from `RenderHtml::to_html`'s in some builds (debug builds
/// erase component types). An island has no asynchronous parts (`Suspense` would resolve in the
/// browser); should one appear, it is left out and logged.
fn html_of(view: impl RenderHtml) -> String {
    let mut html = String::new();
    for chunk in view.to_html_stream_in_order().take_chunks() {
        match chunk {
            StreamChunk::Sync(part) => html.push_str(&part),
            StreamChunk::Async { .. } | StreamChunk::OutOfOrder { .. } => {
                tracing::error!("an island with an asynchronous part was rendered without it")
            }
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn form(text: &str, count: u32) -> impl RenderHtml {
        let count = RwSignal::new(count);
        view! {
            <form class="memo-test" data-count=move || count.get()>
                <p>{text.to_owned()}</p>
                <p>{move || count.get() * 2}</p>
            </form>
        }
    }

    /// The island as a page holds it: between other nodes, through the streaming renderer.
    fn in_page(island: impl RenderHtml) -> String {
        html_of(view! {
            <main>
                "before"
                {island}
                <p>"after"</p>
            </main>
        })
    }

    fn memoised(name: &'static str, props: (&str, u32), renders: &Cell<u32>) -> String {
        Owner::new().with(|| {
            in_page(rendered(name, props, |(text, count)| {
                renders.set(renders.get() + 1);
                form(text, count)
            }))
        })
    }

    #[test]
    fn the_same_props_get_the_first_render_and_other_props_their_own() {
        let renders = Cell::new(0);
        let first = memoised("MemoTest", ("a <b>", 21), &renders);
        for part in [r#"data-count="21""#, "a &lt;b&gt;", ">42<"] {
            assert!(first.contains(part), "{part} in {first}");
        }
        assert_eq!(memoised("MemoTest", ("a <b>", 21), &renders), first);
        assert_eq!(renders.get(), 1, "the second view came from the memo");

        let other = memoised("MemoTest", ("a <b>", 22), &renders);
        for part in [r#"data-count="22""#, ">44<"] {
            assert!(other.contains(part), "{part} in {other}");
        }
        assert_eq!(renders.get(), 2);

        // Another island with the same props is not served this one's HTML.
        memoised("OtherMemoTest", ("a <b>", 21), &renders);
        assert_eq!(renders.get(), 3);
    }

    #[test]
    fn a_page_with_the_memo_is_the_page_rendered_in_place() {
        let renders = Cell::new(0);
        let direct = Owner::new().with(|| in_page(form("in place", 7)));
        assert_eq!(memoised("MemoInPlace", ("in place", 7), &renders), direct);
        assert_eq!(memoised("MemoInPlace", ("in place", 7), &renders), direct);
        assert_eq!(renders.get(), 1);
    }
}
