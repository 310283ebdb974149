//! The profile's partial update: its fields, the tri-state patch, the rules of SPEC 3.4, and
//! the pages that each edit one slice of it.

pub mod field;
pub mod patch;
pub mod rules;
pub mod section;

#[cfg(test)]
mod tests;
