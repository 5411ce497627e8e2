//! Random secrets handed to a client (session tokens, e-mail links) and
//! kept on our side only as a SHA-256 hash, so a database leak reveals no
//! usable token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// 256 bits of randomness.
pub const TOKEN_BYTES: usize = 32;

/// A freshly generated token: give `plaintext` to the client, store `hash`.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub plaintext: String,
    pub hash: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("plaintext", &"[redacted]")
            .field("hash", &self.hash)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the system's random source failed")]
pub struct RandomUnavailable;

/// A new URL-safe token of [`TOKEN_BYTES`] random bytes (43 characters).
pub fn issue() -> Result<IssuedToken, RandomUnavailable> {
    let mut bytes = [0_u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|_| RandomUnavailable)?;
    let plaintext = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&plaintext);
    Ok(IssuedToken { plaintext, hash })
}

/// The stored form of a token: lower-case hex SHA-256.
pub fn hash(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

/// Whether `candidate` has the shape of a token we issue (so that junk is
/// refused before any look-up).
pub fn looks_valid(candidate: &str) -> bool {
    candidate.len() == 43
        && candidate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_url_safe_and_stored_hashed() {
        let first = issue().expect("random");
        let second = issue().expect("random");
        assert_ne!(first.plaintext, second.plaintext);
        assert!(looks_valid(&first.plaintext), "{}", first.plaintext);
        assert_eq!(first.hash, hash(&first.plaintext));
        assert_eq!(first.hash.len(), 64);
        assert!(!first.hash.contains(&first.plaintext));
        assert!(
            !format!("{first:?}").contains(&first.plaintext),
            "Debug hides the token"
        );
    }

    #[test]
    fn junk_is_not_a_token() {
        for junk in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}=", "a".repeat(42)),
            &"é".repeat(21),
        ] {
            assert!(!looks_valid(junk), "{junk:?}");
        }
    }
}
