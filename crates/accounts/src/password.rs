//! Passwords: argon2id with the library's recommended parameters, stored as
//! PHC strings (`$argon2id$v=19$m=…`).
//!
//! A hash costs tens of milliseconds of CPU and 19 MiB of memory. Natively
//! it runs on tokio's blocking pool, at most one per core at a time, so the
//! runtime's threads keep answering other requests during a burst of
//! sign-ins and the memory stays bounded. On Workers it runs inline: there
//! is no thread pool, and an isolate serves one request at a time.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Accepted length in characters.
pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be {MIN_LENGTH} to {MAX_LENGTH} characters")]
    Length,
    #[error("password hashing failed")]
    Hashing,
}

/// Checks the length rule (counted in characters, not bytes).
pub fn check(password: &str) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if (MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        Ok(())
    } else {
        Err(PasswordError::Length)
    }
}

/// Hashes a password that passed [`check`], with a fresh random salt.
pub async fn hash(password: &str) -> Result<String, PasswordError> {
    check(password)?;
    let password = password.to_owned();
    off_the_runtime(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|_| PasswordError::Hashing)
    })
    .await
    .unwrap_or(Err(PasswordError::Hashing))
}

/// True when `password` matches `stored`. A malformed stored hash never
/// matches.
pub async fn verify(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    off_the_runtime(move || verify_now(&password, &stored))
        .await
        .unwrap_or(false)
}

fn verify_now(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

/// Runs `work` on tokio's blocking pool once one of `max(1, cores)` permits
/// is free (waiting for it does not hold a thread), or inline where there
/// is no runtime. `None` if `work` panicked.
#[cfg(not(target_arch = "wasm32"))]
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    use std::sync::{Arc, OnceLock};
    use tokio::sync::Semaphore;

    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    if tokio::runtime::Handle::try_current().is_err() {
        return Some(work());
    }
    let permits = PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Arc::new(Semaphore::new(cores.max(1)))
    });
    let permit = Arc::clone(permits).acquire_owned().await.ok()?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .ok()
}

#[cfg(target_arch = "wasm32")]
async fn off_the_runtime<T>(work: impl FnOnce() -> T) -> Option<T> {
    Some(work())
}

/// A hash of no one's password, verified against when the account does not
/// exist, so that "unknown e-mail" costs the same time as "wrong password".
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$Y29kZXgtZGVjb3ktc2FsdA$0n7kQKx2mJgkUXHQk0XDNrj0CwGC5H/3aw36QzJQ6cE";

/// Verifies against the account's hash, or against a decoy of the same cost
/// when there is no account; false in the second case whatever the input.
pub async fn verify_or_decoy(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(stored) => verify(password, stored).await,
        None => {
            let _ = verify(password, DECOY_HASH).await;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_their_own_password() {
        let stored = hash("correct horse battery").await.expect("hash");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse battery", &stored).await);
        assert!(!verify("correct horse batterY", &stored).await);
        assert_ne!(
            stored,
            hash("correct horse battery").await.expect("hash"),
            "fresh salt each time"
        );
    }

    #[tokio::test]
    async fn length_is_counted_in_characters() {
        assert_eq!(check("1234567"), Err(PasswordError::Length));
        assert_eq!(check("12345678"), Ok(()));
        assert_eq!(
            check(&"é".repeat(128)),
            Ok(()),
            "128 two-byte characters are fine"
        );
        assert_eq!(check(&"x".repeat(129)), Err(PasswordError::Length));
        assert_eq!(hash("short").await, Err(PasswordError::Length));
    }

    #[tokio::test]
    async fn malformed_stored_hashes_never_match() {
        assert!(!verify("anything at all", "not a hash").await);
        assert!(!verify("anything at all", "").await);
    }

    #[tokio::test]
    async fn the_decoy_is_a_real_hash_of_the_same_cost_that_never_grants_access() {
        let real = hash("some password").await.expect("hash");
        let params = |h: &str| h.split('$').nth(3).map(str::to_owned);
        assert_eq!(params(DECOY_HASH), params(&real), "same cost parameters");
        assert!(argon2::password_hash::phc::PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!verify_or_decoy("some password", None).await);
        assert!(verify_or_decoy("some password", Some(&real)).await);
    }
}
