//! Password hashing with argon2id and the shipped list of common passwords.
//!
//! Hashing is deliberately slow (tens of milliseconds and 19 MiB each), so it runs on tokio's
//! blocking pool and at most one hash per CPU runs at a time: a burst of sign-ins queues here
//! instead of starving page and API traffic. Each running hash works in one of a few reused
//! 19 MiB buffers: allocating them afresh on whichever blocking thread runs the hash left the
//! allocator holding one per thread, and the server grew past 650 MiB under a sign-in burst.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, LazyLock, Mutex,
    },
};

use argon2::{
    password_hash::phc::{Output, ParamsString, Salt},
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
};
use tokio::sync::Semaphore;

use crate::server::error::ServiceError;

/// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// A stored hash asking for more than this is refused rather than computed: a hash written with
/// absurd parameters (by mistake or by someone with write access to the table) must not make
/// one sign-in allocate gigabytes or run for minutes.
const MAX_MEMORY_KIB: u32 = 4 * MEMORY_KIB;
const MAX_PASSES: u32 = 16;
const MAX_LANES: u32 = 8;

/// Whether the refusal of an oversized hash was logged (once per process is enough).
static OVERSIZED_LOGGED: AtomicBool = AtomicBool::new(false);

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("password hashing queue closed")]
    Closed(#[from] tokio::sync::AcquireError),
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

static HASHING_SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(cpus())));

/// Hashes waiting for a slot.
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// How many hashing slots are computing a hash, and how many hashes wait for one (for the
/// metrics).
pub fn slots_busy_and_waiting() -> (usize, usize) {
    (
        cpus().saturating_sub(HASHING_SLOTS.available_permits()),
        WAITING.load(Ordering::Relaxed),
    )
}

/// Working memory of finished hashes, for the next ones (at most one per hashing slot).
static BUFFERS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// The 10,000 most common passwords, lower-cased (see `app/data/common-passwords.txt`).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

/// A hash to verify against when the account does not exist, so that an unknown e-mail costs
/// the same time as a wrong password and cannot be told apart by timing.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_blocking("not a real password", &mut Vec::new()).ok());

fn params() -> Result<Params, PasswordError> {
    Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(hashing)
}

fn hashing(error: impl std::fmt::Display) -> PasswordError {
    PasswordError::Hashing(error.to_string())
}

/// Runs argon2 with `params` in `memory` (grown if the parameters need more).
fn argon2_output(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &str,
    salt: &[u8],
    output_len: usize,
    memory: &mut Vec<Block>,
) -> Result<Output, PasswordError> {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut bytes = [0u8; Output::MAX_LENGTH];
    let out = bytes
        .get_mut(..output_len)
        .ok_or_else(|| hashing(format!("an output of {output_len} bytes")))?;
    argon2
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut *out, &mut memory[..blocks])
        .map_err(hashing)?;
    Output::new(out).map_err(hashing)
}

fn hash_blocking(password: &str, memory: &mut Vec<Block>) -> Result<String, PasswordError> {
    // 16 random bytes from the operating system.
    let salt = Salt::generate();
    let params = params()?;
    let output = argon2_output(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password,
        &salt,
        Params::DEFAULT_OUTPUT_LEN,
        memory,
    )?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(hashing)?,
        salt: Some(salt),
        hash: Some(output),
    }
    .to_string())
}

fn verify_blocking(password: &str, phc: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // Verification follows the parameters stored in the PHC string, so older hashes still work.
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm.as_str()),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    if params.m_cost() > MAX_MEMORY_KIB
        || params.t_cost() > MAX_PASSES
        || params.p_cost() > MAX_LANES
    {
        if !OVERSIZED_LOGGED.swap(true, Ordering::Relaxed) {
            tracing::error!(
                memory_kib = params.m_cost(),
                passes = params.t_cost(),
                lanes = params.p_cost(),
                "refused to verify a stored password hash with unusual argon2 parameters; \
                 the member must set a new password (logged once)"
            );
        }
        return false;
    }
    let version = parsed
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)
        .unwrap_or(Version::V0x13);
    // `Output` compares in constant time.
    argon2_output(
        algorithm,
        version,
        params,
        password,
        &salt,
        expected.len(),
        memory,
    )
    .is_ok_and(|computed| computed == expected)
}

async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> Result<T, PasswordError> {
    WAITING.fetch_add(1, Ordering::Relaxed);
    let slot = HASHING_SLOTS.clone().acquire_owned().await;
    WAITING.fetch_sub(1, Ordering::Relaxed);
    let _slot = slot?;
    let mut memory = BUFFERS
        .lock()
        .map(|mut buffers| buffers.pop())
        .unwrap_or_default()
        .unwrap_or_default();
    let (result, memory) = tokio::task::spawn_blocking(move || {
        let result = work(&mut memory);
        (result, memory)
    })
    .await?;
    if let Ok(mut buffers) = BUFFERS.lock() {
        buffers.push(memory);
    }
    Ok(result)
}

/// The argon2id PHC string for `password`.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    on_blocking_pool(move |memory| hash_blocking(&password, memory)).await?
}

/// Whether `password` matches the stored PHC string; `None` for an account that does not
/// exist, which still spends the time of a real verification.
pub async fn verify(password: String, phc: Option<String>) -> Result<bool, PasswordError> {
    on_blocking_pool(move |memory| match phc {
        Some(phc) => verify_blocking(&password, &phc, memory),
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                verify_blocking(&password, dummy, memory);
            }
            false
        }
    })
    .await
}

/// Whether a stored hash should be replaced by one with today's parameters at the next
/// successful sign-in: another algorithm or version, or less memory or fewer passes than now.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let current = Algorithm::try_from(parsed.algorithm.as_str()) == Ok(Algorithm::Argon2id)
        && parsed.version == Some(Version::V0x13.into());
    match Params::try_from(&parsed) {
        Ok(params) => !current || params.m_cost() < MEMORY_KIB || params.t_cost() < PASSES,
        Err(_) => true,
    }
}

/// Whether `password` is on the common-password list, ignoring case.
pub fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.trim().to_lowercase().as_str())
}

impl From<PasswordError> for ServiceError {
    fn from(error: PasswordError) -> Self {
        ServiceError::Internal(error.to_string())
    }
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

    #[tokio::test]
    async fn hashes_interoperate_with_the_argon2_crates_own_format() {
        use argon2::{PasswordHasher, PasswordVerifier};
        // A hash written by the crate itself, with other (older, larger) parameters.
        let params = Params::new(24_576, 3, 1, None).expect("params");
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"an old password")
            .expect("hashes")
            .to_string();
        assert!(verify("an old password".to_owned(), Some(theirs.clone()))
            .await
            .expect("verifies"));
        assert!(!verify("an old passwort".to_owned(), Some(theirs))
            .await
            .expect("verifies"));

        let ours = hash("a new password".to_owned()).await.expect("hashes");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(Argon2::default()
            .verify_password(b"a new password", &parsed)
            .is_ok());
    }

    #[tokio::test]
    async fn a_hash_from_the_reference_implementation_verifies() {
        // Made by the reference C implementation (argon2-cffi 25, Python) with our parameters:
        // a hash stored before any change of crate must keep working.
        let stored = "$argon2id$v=19$m=19456,t=2,p=1$pAVZATY242vuP70lD8WQOQ$\
                      XM+4UxtKvTXUX95yIcfqEfGwq3JOyRb7s4iyoMR7HXk";
        assert!(verify(
            "a stored password from before".to_owned(),
            Some(stored.to_owned())
        )
        .await
        .expect("verifies"));
        assert!(!verify(
            "a stored password from after".to_owned(),
            Some(stored.to_owned())
        )
        .await
        .expect("verifies"));
        assert!(!needs_rehash(stored));
    }

    #[tokio::test]
    async fn a_burst_of_hashes_reuses_one_buffer_per_slot() {
        let hashes: Vec<_> = (0..8)
            .map(|n| tokio::spawn(hash(format!("password number {n}"))))
            .collect();
        for task in hashes {
            task.await.expect("task").expect("hashes");
        }
        let slots = std::thread::available_parallelism().map_or(1, usize::from);
        let kept = BUFFERS.lock().expect("lock").len();
        assert!(
            (1..=slots).contains(&kept),
            "{kept} buffers for {slots} slots"
        );
    }

    fn phc_with(params: Params, password: &str) -> String {
        use argon2::PasswordHasher;
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password.as_bytes())
            .expect("hashes")
            .to_string()
    }

    #[tokio::test]
    async fn a_hash_with_absurd_parameters_is_refused_without_allocating_them() {
        // 4 GiB of memory: the salt and output are real, only the cost is absurd.
        let honest = phc_with(Params::new(8, 1, 1, None).expect("params"), "pw");
        let absurd = honest.replace("m=8,t=1,p=1", "m=4194304,t=1,p=1");
        assert!(absurd.contains("m=4194304"), "{absurd}");
        assert!(!verify("pw".to_owned(), Some(absurd))
            .await
            .expect("answers"));
        let many_passes = honest.replace("m=8,t=1,p=1", "m=8,t=1000000,p=1");
        assert!(!verify("pw".to_owned(), Some(many_passes))
            .await
            .expect("answers"));
        let largest = BUFFERS
            .lock()
            .expect("lock")
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        assert!(
            largest <= MAX_MEMORY_KIB as usize,
            "a buffer of {largest} KiB was allocated"
        );
        assert!(verify("pw".to_owned(), Some(honest))
            .await
            .expect("answers"));
    }

    #[test]
    fn weaker_or_foreign_hashes_need_a_rehash_and_todays_do_not() {
        let weaker = phc_with(Params::new(8_192, 1, 1, None).expect("params"), "pw");
        assert!(needs_rehash(&weaker));
        let stronger = phc_with(Params::new(24_576, 3, 1, None).expect("params"), "pw");
        assert!(!needs_rehash(&stronger), "more than today is fine");
        let today = hash_blocking("pw", &mut Vec::new()).expect("hashes");
        assert!(!needs_rehash(&today));
        let argon2i = today.replace("$argon2id$", "$argon2i$");
        assert!(needs_rehash(&argon2i));
        assert!(needs_rehash("not a hash"));
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
