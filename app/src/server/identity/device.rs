//! Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser
//! that signed in to an account gets a cookie signed for that account, and its later sign-in
//! attempts are counted on a budget of their own, so a stranger's wrong guesses, which lock
//! the account for clients without one, cannot lock its owner out.
//!
//! The cookie holds a random id and an HMAC-SHA256 of the account and that id; the account
//! itself is not in it. The key lives in the database, so every server instance shares it.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::server::{error::ServiceError, store::Store};

pub const DEVICE_COOKIE: &str = "portal_device";
/// How long a browser stays a known device after its last sign-in.
pub const DEVICE_COOKIE_MAX_AGE_SECS: i64 = 365 * 24 * 60 * 60;

const KEY_NAME: &str = "device_cookie";
const KEY_BYTES: usize = 32;
const ID_BYTES: usize = 16;

#[derive(Clone)]
pub struct DeviceKey([u8; KEY_BYTES]);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(..)")
    }
}

fn random<const N: usize>() -> Result<[u8; N], ServiceError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|error| ServiceError::Internal(format!("random source: {error}")))?;
    Ok(bytes)
}

impl DeviceKey {
    /// The database's key, made on first use (the first instance to start makes it).
    pub async fn load_or_create(store: &Store) -> Result<Self, ServiceError> {
        let secret = store.server_key(KEY_NAME, &random::<KEY_BYTES>()?).await?;
        secret
            .try_into()
            .map(DeviceKey)
            .map_err(|_| ServiceError::Internal("the device cookie key is malformed".to_owned()))
    }

    /// A key for tests and tools that have no database at hand.
    pub fn random() -> Result<Self, ServiceError> {
        random::<KEY_BYTES>().map(DeviceKey)
    }

    fn mac(&self, account: &str, id: &[u8]) -> Hmac<Sha256> {
        // A 32-byte key is always a valid HMAC key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(account.as_bytes());
        mac.update(b"\n");
        mac.update(id);
        mac
    }

    /// A new cookie value for `account` (a normalised e-mail address).
    pub fn issue(&self, account: &str) -> Result<String, ServiceError> {
        let id = random::<ID_BYTES>()?;
        let tag = self.mac(account, &id).finalize().into_bytes();
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(id),
            URL_SAFE_NO_PAD.encode(tag)
        ))
    }

    /// The device's id if `cookie` was issued for `account` by this key, else `None`.
    pub fn verify(&self, account: &str, cookie: &str) -> Option<String> {
        let (id_text, tag_text) = cookie.split_once('.')?;
        let id = URL_SAFE_NO_PAD.decode(id_text).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag_text).ok()?;
        if id.len() != ID_BYTES {
            return None;
        }
        // `verify_slice` compares in constant time.
        self.mac(account, &id).verify_slice(&tag).ok()?;
        Some(id_text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_valid_for_its_account_and_key_only() {
        let key = DeviceKey::random().expect("key");
        let cookie = key.issue("jane@example.com").expect("cookie");
        let id = key.verify("jane@example.com", &cookie).expect("valid");
        assert!(cookie.starts_with(&format!("{id}.")));
        assert_ne!(key.issue("jane@example.com").expect("cookie"), cookie);
        assert_eq!(key.verify("john@example.com", &cookie), None);
        let other = DeviceKey::random().expect("key");
        assert_eq!(other.verify("jane@example.com", &cookie), None);
        let (id_part, tag) = cookie.split_once('.').expect("two parts");
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode([7u8; ID_BYTES]));
        assert_eq!(key.verify("jane@example.com", &forged), None);
        for garbage in ["", ".", "abc", &format!("{id_part}."), "a.b.c"] {
            assert_eq!(key.verify("jane@example.com", garbage), None, "{garbage}");
        }
    }

    #[tokio::test]
    async fn every_instance_on_one_database_shares_the_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::server::store::scratch::open(dir.path())
            .await
            .expect("opens");
        let first = DeviceKey::load_or_create(&store).await.expect("key");
        let second = DeviceKey::load_or_create(&store).await.expect("key");
        let cookie = first.issue("jane@example.com").expect("cookie");
        assert!(second.verify("jane@example.com", &cookie).is_some());
    }
}
