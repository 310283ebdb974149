//! The head tags that load the bundle: the stylesheet and the islands' loader script.
//!
//! Leptos' `HashedStylesheet` and `HydrationScripts` find the hashed file names by reading
//! `hash.txt` from disk, and escape the same loader script, on every render (13% of a `/login`
//! render in the profile of issue 19). Their output depends only on the build and on the
//! response's CSP nonce, so they are rendered here once, at start-up, with a placeholder where
//! the nonce goes; each page gets that HTML with its own nonce filled in.
//!
//! Leptos' preloads of the script and the wasm are left out. They start both downloads beside
//! the stylesheet, before the first paint, and on a slow phone network they share its bandwidth:
//! Lighthouse's mobile run put the largest paint at 1.2 to 1.5 s with them and at 0.76 to 1.07 s
//! without (issue 38). The loader asks for both once the page is idle anyway, and what a member
//! types meanwhile is kept (`components::hydrated::keep_typed`).

use leptos::{nonce::Nonce, prelude::*, tachys::html::InertElement};

/// Stands for the nonce in the rendered tags. Letters only, so Leptos writes it as it is.
const NONCE_SLOT: &str = "portalnonceslotportalnonceslot";

#[derive(Clone, Debug)]
pub struct PageHead {
    /// The tags with a nonce, cut where the nonce goes: the nonce joins them.
    around_nonce: Vec<String>,
    /// As Leptos renders the tags when a response has no nonce.
    without_nonce: String,
    /// The stylesheet's tag alone, for pages made outside Leptos (the cross-site refusal).
    stylesheet: String,
}

impl PageHead {
    /// Renders the tags Leptos would render for `options`.
    pub fn render(options: &LeptosOptions) -> PageHead {
        let tags = |nonce: Option<&str>| {
            Owner::new().with(|| {
                if let Some(nonce) = nonce {
                    provide_context(Nonce::from_value(nonce.to_owned()));
                }
                without_preloads(&crate::leptos_bundle_tags(options.clone()).to_html())
            })
        };
        PageHead {
            around_nonce: tags(Some(NONCE_SLOT))
                .split(NONCE_SLOT)
                .map(str::to_owned)
                .collect(),
            without_nonce: tags(None),
            stylesheet: Owner::new().with(|| {
                view! { <leptos_meta::HashedStylesheet options=options.clone() id="leptos" /> }
                    .to_html()
            }),
        }
    }

    /// The `<link rel="stylesheet">` of the site's hashed stylesheet.
    pub fn stylesheet(&self) -> &str {
        &self.stylesheet
    }

    /// The tags for the page being rendered, with its nonce (see `security::use_request_nonce`).
    pub fn view(&self) -> impl IntoView {
        // What `HydrationScripts` does besides rendering: in islands mode only the islands are
        // hydrated, so nothing outside them gets hydration markers.
        if let Some(context) = Owner::current_shared_context() {
            context.set_is_hydrating(false);
        }
        InertElement::new(match use_context::<Nonce>() {
            Some(nonce) => self.around_nonce.join(nonce.as_inner()),
            None => self.without_nonce.clone(),
        })
    }
}

/// `tags` without their `<link rel="preload">` and `<link rel="modulepreload">` elements.
fn without_preloads(tags: &str) -> String {
    let mut kept = String::with_capacity(tags.len());
    let mut rest = tags;
    while let Some(start) = rest.find("<link ") {
        let Some(length) = rest[start..].find('>') else {
            break;
        };
        let link = &rest[start..=start + length];
        kept.push_str(&rest[..start]);
        if !(link.contains(r#"rel="preload""#) || link.contains(r#"rel="modulepreload""#)) {
            kept.push_str(link);
        }
        rest = &rest[start + length + 1..];
    }
    kept.push_str(rest);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(nonce: Option<&str>, render: impl FnOnce() -> String) -> String {
        Owner::new().with(|| {
            if let Some(nonce) = nonce {
                provide_context(Nonce::from_value(nonce.to_owned()));
            }
            render()
        })
    }

    #[test]
    fn renders_what_leptos_renders_with_each_responses_nonce() {
        let options = LeptosOptions::builder().output_name("portal").build();
        let head = PageHead::render(&options);
        for nonce in [
            Some("3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6"),
            Some("another"),
            None,
        ] {
            let ours = rendered(nonce, || head.view().to_html());
            let leptos = rendered(nonce, || {
                crate::leptos_bundle_tags(options.clone()).to_html()
            });
            // Leptos' tags but for the two preloads.
            assert!(
                leptos.contains(r#"rel="modulepreload" href="/pkg/portal.js""#),
                "{leptos}"
            );
            assert_eq!(ours, without_preloads(&leptos));
            assert!(!ours.contains("preload"), "{ours}");
            assert!(!ours.contains(NONCE_SLOT), "{ours}");
            assert!(ours.contains(r#"href="/pkg/portal.css""#), "{ours}");
            // The loader, named with the script and wasm it imports (root, pkg dir, names).
            assert!(ours.contains(r#"("", "pkg", "portal", "portal"#), "{ours}");
            if let Some(nonce) = nonce {
                assert!(
                    ours.contains(&format!(r#"<script type="module" nonce="{nonce}">"#)),
                    "{ours}"
                );
            }
        }
        assert!(
            head.stylesheet().starts_with("<link")
                && head.stylesheet().contains(r#"href="/pkg/portal.css""#),
            "{}",
            head.stylesheet()
        );
    }

    #[test]
    fn only_the_preload_links_are_left_out() {
        let tags = concat!(
            r#"<link id="leptos" rel="stylesheet" href="/pkg/a.css">"#,
            r#"<link rel="modulepreload" href="/pkg/a.js" crossorigin="">"#,
            r#"<link rel="preload" href="/pkg/a.wasm" as="fetch" type="application/wasm">"#,
            r#"<script type="module">import("/pkg/a.js")</script>"#,
        );
        assert_eq!(
            without_preloads(tags),
            r#"<link id="leptos" rel="stylesheet" href="/pkg/a.css"><script type="module">import("/pkg/a.js")</script>"#
        );
        assert_eq!(without_preloads("<title>x</title>"), "<title>x</title>");
    }
}
