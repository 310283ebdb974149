//! Building blocks shared by the pages.

pub mod form;
pub mod hydrated;
pub mod layout;
pub mod session;
pub mod time;
pub mod unsaved;
