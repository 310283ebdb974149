//! The member's own data: confirming the password again before an export, the export of
//! everything stored about them, and the deletion of the account.

pub mod account_data;
