//! The wasm entry point. Only the islands of a page (its forms) are hydrated; everything else is
//! plain server-rendered HTML, so only the islands' code is shipped.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::hydrate_islands();
}
