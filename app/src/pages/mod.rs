//! The routed pages of the portal.

pub mod directory;
pub mod home;
pub mod not_found;
pub mod profile;
pub mod recovery;
pub mod sign_in;
