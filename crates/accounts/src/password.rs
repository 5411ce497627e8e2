//! Passwords: argon2id with the library's recommended parameters, stored as
//! PHC strings (`$argon2id$v=19$m=…`).

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
pub fn hash(password: &str) -> Result<String, PasswordError> {
    check(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|_| PasswordError::Hashing)
}

/// True when `password` matches `stored`. A malformed stored hash never
/// matches.
pub fn verify(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

/// A hash of no one's password, verified against when the account does not
/// exist, so that "unknown e-mail" costs the same time as "wrong password".
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$Y29kZXgtZGVjb3ktc2FsdA$0n7kQKx2mJgkUXHQk0XDNrj0CwGC5H/3aw36QzJQ6cE";

/// Verifies against the account's hash, or against a decoy of the same cost
/// when there is no account; false in the second case whatever the input.
pub fn verify_or_decoy(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(stored) => verify(password, stored),
        None => {
            let _ = verify(password, DECOY_HASH);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_own_password() {
        let stored = hash("correct horse battery").expect("hash");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert_ne!(
            stored,
            hash("correct horse battery").expect("hash"),
            "fresh salt each time"
        );
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(check("1234567"), Err(PasswordError::Length));
        assert_eq!(check("12345678"), Ok(()));
        assert_eq!(
            check(&"é".repeat(128)),
            Ok(()),
            "128 two-byte characters are fine"
        );
        assert_eq!(check(&"x".repeat(129)), Err(PasswordError::Length));
        assert_eq!(hash("short"), Err(PasswordError::Length));
    }

    #[test]
    fn malformed_stored_hashes_never_match() {
        assert!(!verify("anything at all", "not a hash"));
        assert!(!verify("anything at all", ""));
    }

    #[test]
    fn the_decoy_is_a_real_hash_of_the_same_cost_that_never_grants_access() {
        let real = hash("some password").expect("hash");
        let params = |h: &str| h.split('$').nth(3).map(str::to_owned);
        assert_eq!(params(DECOY_HASH), params(&real), "same cost parameters");
        assert!(argon2::password_hash::phc::PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!verify_or_decoy("some password", None));
        assert!(verify_or_decoy("some password", Some(&real)));
    }
}
