//! What the operator runs: the admin commands' services and the periodic clean-up.

pub mod cleanup;
pub mod operator;
