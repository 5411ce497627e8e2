//! The signature on worker-to-worker calls: `X-Worker-Signature` is the
//! standard base64 of HMAC-SHA256 over `"{timestamp}:{body}"` with the shared
//! secret, and `X-Worker-Timestamp` the unix seconds it was made at. A call
//! is accepted when it is at most 300 s old and at most 60 s in the future,
//! with a constant-time comparison.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const MAX_AGE_SECONDS: i64 = 300;
pub const MAX_FUTURE_SECONDS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the timestamp is not a number of seconds")]
    MalformedTimestamp,
    #[error("the signature is too old")]
    Expired,
    #[error("the signature is from the future")]
    FromTheFuture,
    #[error("the signature does not match")]
    Mismatch,
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b":");
    mac.update(body);
    mac
}

/// The `X-Worker-Signature` value for `body` sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    STANDARD.encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// Checks the two headers of a call received at `now` (unix seconds).
pub fn verify(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let timestamp: i64 = timestamp_header
        .trim()
        .parse()
        .map_err(|_| SignatureError::MalformedTimestamp)?;
    if now.saturating_sub(timestamp) > MAX_AGE_SECONDS {
        return Err(SignatureError::Expired);
    }
    if timestamp.saturating_sub(now) > MAX_FUTURE_SECONDS {
        return Err(SignatureError::FromTheFuture);
    }
    let signature = STANDARD
        .decode(signature_header.trim())
        .map_err(|_| SignatureError::Mismatch)?;
    mac(secret, timestamp, body)
        .verify_slice(&signature)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"shared-secret";
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_fresh_signature_verifies_and_binds_the_body() {
        let signature = sign(SECRET, NOW, b"{\"a\":1}");
        assert_eq!(
            verify(SECRET, &NOW.to_string(), &signature, b"{\"a\":1}", NOW + 5),
            Ok(())
        );
        assert_eq!(
            verify(SECRET, &NOW.to_string(), &signature, b"{\"a\":2}", NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                b"other-secret",
                &NOW.to_string(),
                &signature,
                b"{\"a\":1}",
                NOW
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                SECRET,
                &(NOW + 1).to_string(),
                &signature,
                b"{\"a\":1}",
                NOW
            ),
            Err(SignatureError::Mismatch),
            "the timestamp is signed too"
        );
    }

    #[test]
    fn the_window_is_300_seconds_back_and_60_forward() {
        let signature = sign(SECRET, NOW, b"");
        let at = |now| verify(SECRET, &NOW.to_string(), &signature, b"", now);
        assert_eq!(at(NOW + 300), Ok(()));
        assert_eq!(at(NOW + 301), Err(SignatureError::Expired));
        assert_eq!(at(NOW - 60), Ok(()));
        assert_eq!(at(NOW - 61), Err(SignatureError::FromTheFuture));
    }

    #[test]
    fn malformed_headers_are_refused() {
        assert_eq!(
            verify(SECRET, "soon", "x", b"", NOW),
            Err(SignatureError::MalformedTimestamp)
        );
        assert_eq!(
            verify(SECRET, &NOW.to_string(), "!!not base64", b"", NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, &NOW.to_string(), "", b"", NOW),
            Err(SignatureError::Mismatch)
        );
    }
}
