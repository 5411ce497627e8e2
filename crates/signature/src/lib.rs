//! Signatures with an HMAC-SHA256 key, a unix-seconds timestamp and a
//! window: at most [`MAX_AGE_SECONDS`] old and at most
//! [`MAX_FUTURE_SECONDS`] in the future, compared in constant time.
//!
//! The pieces ([`mac`], [`parse_timestamp`], [`check_window`]) serve every
//! scheme: the calls between our services and the forwarded visitor
//! address (`codex_context::signature`), and the transcoder's calls to the
//! media service ([`transcoder`]). This crate depends on nothing of ours,
//! so the transcoder signs with the very code that checks it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub use hmac;

pub const MAX_AGE_SECONDS: i64 = 300;
pub const MAX_FUTURE_SECONDS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the timestamp is not a number of seconds")]
    MalformedTimestamp,
    #[error("the signature header is malformed")]
    MalformedHeader,
    #[error("the signature is too old")]
    Expired,
    #[error("the signature is from the future")]
    FromTheFuture,
    #[error("the signature does not match")]
    Mismatch,
}

/// HMAC-SHA256 with `secret`, fed `"{timestamp}{separator}{message}"`.
pub fn mac(secret: &[u8], timestamp: i64, separator: &[u8], message: &[u8]) -> Hmac<Sha256> {
    let mut mac = keyed(secret);
    mac.update(timestamp.to_string().as_bytes());
    mac.update(separator);
    mac.update(message);
    mac
}

/// HMAC-SHA256 with `secret`, fed nothing yet.
fn keyed(secret: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// A timestamp header's unix seconds.
pub fn parse_timestamp(header: &str) -> Result<i64, SignatureError> {
    header
        .trim()
        .parse()
        .map_err(|_| SignatureError::MalformedTimestamp)
}

/// Whether a signature made at `timestamp` may still be accepted at `now`.
pub fn check_window(timestamp: i64, now: i64) -> Result<(), SignatureError> {
    if now.saturating_sub(timestamp) > MAX_AGE_SECONDS {
        return Err(SignatureError::Expired);
    }
    if timestamp.saturating_sub(now) > MAX_FUTURE_SECONDS {
        return Err(SignatureError::FromTheFuture);
    }
    Ok(())
}

/// The transcoder's calls to the media service, and RunPod's own
/// completion webhook.
///
/// - A progress or completion call carries `X-Runpod-Timestamp` (unix
///   seconds) and `X-Runpod-Signature`: 64 lower-case hex characters of
///   HMAC-SHA256 with `RUNPOD_WEBHOOK_SECRET` over
///   `"{timestamp}.{raw body}"` ([`sign_callback`], [`verify_callback`]).
/// - RunPod's completion webhook is not signed by RunPod, so its URL
///   carries `?token=`, the hex HMAC-SHA256 of the media item's id with
///   the same secret ([`webhook_token`], [`verify_webhook_token`]).
pub mod transcoder {
    use hmac::Mac;

    use super::{SignatureError, check_window, keyed, mac, parse_timestamp};

    pub const SIGNATURE_HEADER: &str = "x-runpod-signature";
    pub const TIMESTAMP_HEADER: &str = "x-runpod-timestamp";

    /// Why a callback was refused; [`CallbackRefusal::code`] is what the
    /// answer names.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
    pub enum CallbackRefusal {
        #[error("no X-Runpod-Signature header")]
        MissingSignature,
        #[error("no X-Runpod-Timestamp header")]
        MissingTimestamp,
        #[error("X-Runpod-Timestamp is not unix seconds")]
        InvalidTimestamp,
        #[error("the signature is more than 300 seconds old")]
        TimestampExpired,
        #[error("the signature is more than 60 seconds in the future")]
        TimestampFuture,
        #[error("the signature does not match")]
        InvalidSignature,
    }

    impl CallbackRefusal {
        pub fn code(self) -> &'static str {
            match self {
                Self::MissingSignature => "MISSING_SIGNATURE",
                Self::MissingTimestamp => "MISSING_TIMESTAMP",
                Self::InvalidTimestamp => "INVALID_TIMESTAMP",
                Self::TimestampExpired => "TIMESTAMP_EXPIRED",
                Self::TimestampFuture => "TIMESTAMP_FUTURE",
                Self::InvalidSignature => "INVALID_SIGNATURE",
            }
        }
    }

    /// The `X-Runpod-Signature` value for `body` sent at `timestamp`
    /// (unix seconds, sent as `X-Runpod-Timestamp`).
    pub fn sign_callback(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
        hex::encode(mac(secret, timestamp, b".", body).finalize().into_bytes())
    }

    /// Checks a callback's two headers (as received, `None` when absent)
    /// against its raw body at `now` (unix seconds).
    pub fn verify_callback(
        secret: &[u8],
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), CallbackRefusal> {
        let signature = signature.ok_or(CallbackRefusal::MissingSignature)?;
        let timestamp = timestamp.ok_or(CallbackRefusal::MissingTimestamp)?;
        let timestamp =
            parse_timestamp(timestamp).map_err(|_| CallbackRefusal::InvalidTimestamp)?;
        check_window(timestamp, now).map_err(|error| match error {
            SignatureError::FromTheFuture => CallbackRefusal::TimestampFuture,
            _ => CallbackRefusal::TimestampExpired,
        })?;
        let digest = lower_hex_digest(signature).ok_or(CallbackRefusal::InvalidSignature)?;
        mac(secret, timestamp, b".", body)
            .verify_slice(&digest)
            .map_err(|_| CallbackRefusal::InvalidSignature)
    }

    /// The 32 bytes of 64 lower-case hex characters, else `None`.
    fn lower_hex_digest(text: &str) -> Option<Vec<u8>> {
        let well_formed = text.len() == 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return None;
        }
        hex::decode(text).ok()
    }

    /// The `token` of RunPod's completion webhook for media item
    /// `media_id` (its hyphenated lower-case form).
    pub fn webhook_token(secret: &[u8], media_id: &str) -> String {
        let mut mac = keyed(secret);
        mac.update(media_id.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `token` is media item `media_id`'s, compared in constant
    /// time.
    pub fn verify_webhook_token(secret: &[u8], media_id: &str, token: &str) -> bool {
        let Some(digest) = lower_hex_digest(token) else {
            return false;
        };
        let mut mac = keyed(secret);
        mac.update(media_id.as_bytes());
        mac.verify_slice(&digest).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::transcoder::{
        CallbackRefusal, sign_callback, verify_callback, verify_webhook_token, webhook_token,
    };

    const SECRET: &[u8] = b"runpod-webhook-secret";
    const NOW: i64 = 1_800_000_000;
    const BODY: &[u8] =
        br#"{"status":"progress","jobId":"job-1","progress":40,"step":"encoding_variants"}"#;

    fn verify(
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), CallbackRefusal> {
        verify_callback(SECRET, signature, timestamp, body, now)
    }

    #[test]
    fn a_fresh_callback_verifies() {
        let signature = sign_callback(SECRET, NOW, BODY);
        assert_eq!(signature.len(), 64);
        assert!(
            signature
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        let stamp = NOW.to_string();
        assert_eq!(verify(Some(&signature), Some(&stamp), BODY, NOW), Ok(()));
        assert_eq!(
            verify(Some(&signature), Some(&stamp), BODY, NOW + 300),
            Ok(())
        );
        assert_eq!(
            verify(Some(&signature), Some(&stamp), BODY, NOW - 60),
            Ok(())
        );
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // HMAC-SHA256 with key "key" over "1700000000.{}", computed apart.
        assert_eq!(
            sign_callback(b"key", 1_700_000_000, b"{}"),
            "9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }

    #[test]
    fn each_refusal_has_its_code() {
        let signature = sign_callback(SECRET, NOW, BODY);
        let stamp = NOW.to_string();
        let cases = [
            (verify(None, Some(&stamp), BODY, NOW), "MISSING_SIGNATURE"),
            (
                verify(Some(&signature), None, BODY, NOW),
                "MISSING_TIMESTAMP",
            ),
            (
                verify(Some(&signature), Some("soon"), BODY, NOW),
                "INVALID_TIMESTAMP",
            ),
            (
                verify(Some(&signature), Some(&stamp), BODY, NOW + 301),
                "TIMESTAMP_EXPIRED",
            ),
            (
                verify(Some(&signature), Some(&stamp), BODY, NOW - 61),
                "TIMESTAMP_FUTURE",
            ),
            (
                verify(Some(&"0".repeat(64)), Some(&stamp), BODY, NOW),
                "INVALID_SIGNATURE",
            ),
        ];
        for (result, code) in cases {
            assert_eq!(result.map_err(CallbackRefusal::code), Err(code));
        }
    }

    #[test]
    fn a_tampered_body_another_secret_or_a_moved_timestamp_is_refused() {
        let signature = sign_callback(SECRET, NOW, BODY);
        let stamp = NOW.to_string();
        let tampered = String::from_utf8_lossy(BODY).replace("40", "99");
        assert_eq!(
            verify(Some(&signature), Some(&stamp), tampered.as_bytes(), NOW),
            Err(CallbackRefusal::InvalidSignature)
        );
        assert_eq!(
            verify_callback(b"another-secret", Some(&signature), Some(&stamp), BODY, NOW),
            Err(CallbackRefusal::InvalidSignature)
        );
        assert_eq!(
            verify(Some(&signature), Some(&(NOW + 1).to_string()), BODY, NOW),
            Err(CallbackRefusal::InvalidSignature),
            "the timestamp is signed too"
        );
    }

    #[test]
    fn only_64_lower_case_hex_characters_are_a_signature() {
        let signature = sign_callback(SECRET, NOW, BODY);
        let stamp = NOW.to_string();
        for bad in [
            signature.to_uppercase(),
            signature[..63].to_owned(),
            format!("{signature}0"),
            format!(" {signature}"),
            format!("sha256={signature}"),
            String::new(),
        ] {
            assert_eq!(
                verify(Some(&bad), Some(&stamp), BODY, NOW),
                Err(CallbackRefusal::InvalidSignature),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_webhook_token_names_one_media_item() {
        let id = "0b9c2f5e-3f7a-4a51-9a8e-2d1c3b4a5e6f";
        let token = webhook_token(SECRET, id);
        assert_eq!(token.len(), 64);
        assert!(verify_webhook_token(SECRET, id, &token));
        assert!(!verify_webhook_token(
            SECRET,
            "0b9c2f5e-3f7a-4a51-9a8e-2d1c3b4a5e70",
            &token
        ));
        assert!(!verify_webhook_token(b"another-secret", id, &token));
        assert!(!verify_webhook_token(SECRET, id, &token.to_uppercase()));
        assert!(!verify_webhook_token(SECRET, id, ""));
    }
}
