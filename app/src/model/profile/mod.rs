//! The profile's partial update: its fields, the tri-state patch, the rules of SPEC 3.4, and
//! the pages that each edit one slice of it.

pub mod draft;
pub mod field;
pub mod patch;
pub mod rules;
pub mod section;
pub mod web_address;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
