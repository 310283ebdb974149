//! The head tags that load the bundle: the stylesheet, the module and wasm preloads, and the
//! islands' loader script.
//!
//! Leptos' `HashedStylesheet` and `HydrationScripts` find the hashed file names by reading
//! `hash.txt` from disk, and escape the same loader script, on every render (13% of a `/login`
//! render in the profile of issue 19). Their output depends only on the build and on the
//! response's CSP nonce, so they are rendered here once, at start-up, with a placeholder where
//! the nonce goes; each page gets that HTML with its own nonce filled in.

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
                crate::leptos_bundle_tags(options.clone()).to_html()
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
            assert_eq!(ours, leptos);
            assert!(!ours.contains(NONCE_SLOT), "{ours}");
            assert!(ours.contains(r#"href="/pkg/portal.css""#), "{ours}");
            assert!(
                ours.contains(r#"rel="modulepreload" href="/pkg/portal.js""#),
                "{ours}"
            );
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
}
