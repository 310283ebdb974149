//! What rendering the pages needs on the server: the head tags that load the bundle, the
//! islands' memo, the Content-Security-Policy nonce, and where a redirect may point.

pub mod island_memo;
pub mod page_head;
pub mod redirect;
pub mod security;
