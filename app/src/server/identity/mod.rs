//! Who a member is and how they prove it: accounts (sign-up, sign-in), sessions and their
//! cookies, the client a request comes from, passwords, the throttles on guessing, two-factor
//! sign-in, passkeys, mailed links (verification, reset, e-mail change), and the security log.

pub mod accounts;
pub mod client;
pub mod device;
pub mod email_address;
pub mod links;
pub mod passkeys;
pub mod passwords;
pub mod recovery;
pub mod security_log;
pub mod session_cookie;
pub mod sessions;
pub mod settings;
#[cfg(test)]
pub mod testing;
pub mod throttle;
pub mod two_factor;
