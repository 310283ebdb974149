//! Password hashing with argon2id and the shipped list of common passwords.
//!
//! Hashing is deliberately slow (tens of milliseconds and 19 MiB each), so it runs on tokio's
//! blocking pool and at most one hash per CPU runs at a time: a burst of sign-ins queues here
//! instead of starving page and API traffic.

use std::{
    collections::HashSet,
    sync::{Arc, LazyLock},
};

use argon2::{
    password_hash::{rand_core::OsRng, SaltString},
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
};
use tokio::sync::Semaphore;

/// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("password hashing queue closed")]
    Closed(#[from] tokio::sync::AcquireError),
}

static HASHING_SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    Arc::new(Semaphore::new(cpus))
});

/// The 10,000 most common passwords, lower-cased (see `app/data/common-passwords.txt`).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

/// A hash to verify against when the account does not exist, so that an unknown e-mail costs
/// the same time as a wrong password and cannot be told apart by timing.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_blocking("not a real password").ok());

fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|error| PasswordError::Hashing(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| PasswordError::Hashing(error.to_string()))
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // Verification follows the parameters stored in the PHC string, so older hashes still work.
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let _slot = HASHING_SLOTS.clone().acquire_owned().await?;
    Ok(tokio::task::spawn_blocking(work).await?)
}

/// The argon2id PHC string for `password`.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    on_blocking_pool(move || hash_blocking(&password)).await?
}

/// Whether `password` matches the stored PHC string; `None` for an account that does not
/// exist, which still spends the time of a real verification.
pub async fn verify(password: String, phc: Option<String>) -> Result<bool, PasswordError> {
    on_blocking_pool(move || match phc {
        Some(phc) => verify_blocking(&password, &phc),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                verify_blocking(&password, dummy);
            }
            false
        }
    })
    .await
}

/// Whether `password` is on the common-password list, ignoring case.
pub fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.trim().to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_is_argon2id_with_owasp_parameters_and_verifies_only_its_password() {
        let phc = hash("a quiet harbour".to_owned()).await.expect("hashes");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("a quiet harbour".to_owned(), Some(phc.clone()))
            .await
            .expect("verifies"));
        assert!(!verify("a quiet harbor".to_owned(), Some(phc.clone()))
            .await
            .expect("verifies"));
        assert!(!verify("anything".to_owned(), None).await.expect("verifies"));
        assert!(!verify("anything".to_owned(), Some("garbage".to_owned()))
            .await
            .expect("verifies"));
    }

    #[test]
    fn the_common_list_has_ten_thousand_entries_and_ignores_case() {
        assert_eq!(COMMON_PASSWORDS.len(), 10_000);
        for common in ["password", "PASSWORD", "Password1", "qwerty123", "iloveyou"] {
            assert!(is_common(common), "{common}");
        }
        assert!(!is_common("a quiet harbour"));
    }
}
