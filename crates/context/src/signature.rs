//! Signatures with an HMAC-SHA256 key, a unix-seconds timestamp and a
//! window: at most 300 s old and at most 60 s in the future, compared in
//! constant time. Two schemes share the pieces:
//!
//! - calls between our workers: `X-Worker-Signature` is the standard base64
//!   of HMAC-SHA256 over `"{timestamp}:{body}"` with the shared secret, and
//!   `X-Worker-Timestamp` the unix seconds it was made at ([`sign`],
//!   [`verify`]);
//! - the visitor address the web app's server forwards: `X-Codex-Client-IP`
//!   with `X-Codex-Client-IP-Signature: t={timestamp},v1={hex}`, the hex
//!   HMAC-SHA256 over `"{timestamp}.{ip}"` with `WEB_APP_PROXY_SECRET`
//!   ([`client_ip`]).
//!
//! The HMAC, the timestamp and the window are `codex-signature`'s, shared
//! with the transcoder's callbacks.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use codex_signature::hmac::Mac;
pub use codex_signature::{MAX_AGE_SECONDS, MAX_FUTURE_SECONDS, SignatureError};
use codex_signature::{check_window, mac, parse_timestamp};

/// The `X-Worker-Signature` value for `body` sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    STANDARD.encode(mac(secret, timestamp, b":", body).finalize().into_bytes())
}

/// Checks the two headers of a call received at `now` (unix seconds).
pub fn verify(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let timestamp = parse_timestamp(timestamp_header)?;
    check_window(timestamp, now)?;
    let signature = STANDARD
        .decode(signature_header.trim())
        .map_err(|_| SignatureError::Mismatch)?;
    mac(secret, timestamp, b":", body)
        .verify_slice(&signature)
        .map_err(|_| SignatureError::Mismatch)
}

/// The visitor address forwarded by the web app's server.
pub mod client_ip {
    use codex_signature::hmac::Mac;

    use super::{SignatureError, check_window, mac, parse_timestamp};

    /// The header carrying the visitor's address.
    pub const HEADER: &str = "x-codex-client-ip";
    /// The header carrying its signature, `t={timestamp},v1={hex}`.
    pub const SIGNATURE_HEADER: &str = "x-codex-client-ip-signature";

    /// The signature header's value for `ip` forwarded at `timestamp`.
    pub fn sign(secret: &[u8], timestamp: i64, ip: &str) -> String {
        let digest = mac(secret, timestamp, b".", ip.as_bytes())
            .finalize()
            .into_bytes();
        format!("t={timestamp},v1={}", hex::encode(digest))
    }

    /// Checks that `signature_header` signs `ip` with `secret`, at most
    /// 300 s before and 60 s after `now` (unix seconds).
    pub fn verify(
        secret: &[u8],
        ip: &str,
        signature_header: &str,
        now: i64,
    ) -> Result<(), SignatureError> {
        let (mut timestamp, mut digest) = (None, None);
        for part in signature_header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", value)) if timestamp.is_none() => timestamp = Some(value),
                Some(("v1", value)) if digest.is_none() => digest = Some(value),
                _ => return Err(SignatureError::MalformedHeader),
            }
        }
        let (Some(timestamp), Some(digest)) = (timestamp, digest) else {
            return Err(SignatureError::MalformedHeader);
        };
        let timestamp = parse_timestamp(timestamp)?;
        check_window(timestamp, now)?;
        let digest = hex::decode(digest).map_err(|_| SignatureError::MalformedHeader)?;
        mac(secret, timestamp, b".", ip.as_bytes())
            .verify_slice(&digest)
            .map_err(|_| SignatureError::Mismatch)
    }
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

    mod forwarded_address {
        use super::super::SignatureError;
        use super::super::client_ip::{sign, verify};
        use super::NOW;

        const KEY: &[u8] = b"web-app-proxy-secret";
        const IP: &str = "203.0.113.7";

        #[test]
        fn a_fresh_signature_verifies() {
            let header = sign(KEY, NOW, IP);
            assert!(header.starts_with(&format!("t={NOW},v1=")), "{header}");
            assert_eq!(header.len(), format!("t={NOW},v1=").len() + 64);
            assert_eq!(verify(KEY, IP, &header, NOW), Ok(()));
            assert_eq!(verify(KEY, IP, &format!(" {header} "), NOW + 10), Ok(()));
        }

        #[test]
        fn another_secret_or_another_address_is_refused() {
            let header = sign(KEY, NOW, IP);
            assert_eq!(
                verify(b"another-secret", IP, &header, NOW),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                verify(KEY, "203.0.113.8", &header, NOW),
                Err(SignatureError::Mismatch)
            );
            let moved = header.replace(&NOW.to_string(), &(NOW + 1).to_string());
            assert_eq!(
                verify(KEY, IP, &moved, NOW),
                Err(SignatureError::Mismatch),
                "the timestamp is signed too"
            );
        }

        #[test]
        fn the_window_is_300_seconds_back_and_60_forward() {
            let header = sign(KEY, NOW, IP);
            assert_eq!(verify(KEY, IP, &header, NOW + 300), Ok(()));
            assert_eq!(
                verify(KEY, IP, &header, NOW + 301),
                Err(SignatureError::Expired)
            );
            assert_eq!(verify(KEY, IP, &header, NOW - 60), Ok(()));
            assert_eq!(
                verify(KEY, IP, &header, NOW - 61),
                Err(SignatureError::FromTheFuture)
            );
        }

        #[test]
        fn malformed_headers_are_refused() {
            let good = sign(KEY, NOW, IP);
            let digest = good.split_once(",v1=").map(|(_, d)| d).unwrap_or_default();
            for header in [
                String::new(),
                "t=1".to_owned(),
                format!("v1={digest}"),
                format!("t={NOW}"),
                format!("t=soon,v1={digest}"),
                format!("t={NOW},v1=zz{}", &digest[2..]),
                format!("t={NOW},v1={}", &digest[1..]),
                format!("t={NOW},v1={digest},extra=1"),
                format!("t={NOW},t={NOW},v1={digest}"),
                format!("t={NOW};v1={digest}"),
            ] {
                assert!(verify(KEY, IP, &header, NOW).is_err(), "{header:?}");
            }
            assert_eq!(
                verify(KEY, IP, &format!("v1={digest},t={NOW}"), NOW),
                Ok(()),
                "the order of the parts does not matter"
            );
        }
    }
}
