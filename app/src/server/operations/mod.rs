//! What the operator runs: the admin commands' services, the periodic clean-up and the sample
//! members of `server demo`.

pub mod cleanup;
pub mod demo;
pub mod operator;
