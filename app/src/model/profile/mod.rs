//! The profile's partial update: its fields, the tri-state patch, and the rules of SPEC 3.4.

pub mod field;
pub mod patch;
pub mod rules;

#[cfg(test)]
mod tests;
