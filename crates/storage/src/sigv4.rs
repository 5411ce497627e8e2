//! AWS Signature Version 4 query-string presigning for S3-compatible stores
//! (R2 included), in plain Rust so that it runs on Workers as well.
//!
//! Path-style URLs only (`{endpoint}/{bucket}/{key}`), `UNSIGNED-PAYLOAD`;
//! `host` is always signed, and [`presign_with_headers`] signs more headers
//! (the content type of an upload), which the request must then carry. The tests check it against aws-sdk-s3's
//! own presigner (`tests/sigv4_matches_the_sdk.rs`) and against a real,
//! signature-checking S3 endpoint (`tests/real_s3_endpoint.rs`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::{Method, StorageError, check_expiry};

/// Everything but the unreserved characters `A-Z a-z 0-9 - . _ ~`.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// As [`QUERY`], but `/` separates path segments and stays.
const PATH: &AsciiSet = &QUERY.remove(b'/');

/// The credentials and place of one bucket.
#[derive(Debug, Clone)]
pub struct Bucket<'a> {
    /// Scheme, host, optional port and optional path, e.g.
    /// `https://ACCOUNT.r2.cloudflarestorage.com` or `http://127.0.0.1:9000/s3/`.
    pub endpoint: &'a str,
    pub region: &'a str,
    pub name: &'a str,
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
}

/// Builds a presigned URL for `method` on `key`, valid from `now` for
/// `expires_in` (at most 7 days). `extra_query` parameters are signed too.
pub fn presign(
    bucket: &Bucket<'_>,
    method: Method,
    key: &str,
    now: DateTime<Utc>,
    expires_in: Duration,
    extra_query: &[(&str, &str)],
) -> Result<String, StorageError> {
    presign_with_headers(bucket, method, key, now, expires_in, extra_query, &[])
}

/// As [`presign`], with `headers` (name, value) signed as well: the
/// request is refused unless it sends each of them with that value.
pub fn presign_with_headers(
    bucket: &Bucket<'_>,
    method: Method,
    key: &str,
    now: DateTime<Utc>,
    expires_in: Duration,
    extra_query: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Result<String, StorageError> {
    check_expiry(expires_in)?;
    let (scheme, rest) = bucket
        .endpoint
        .split_once("://")
        .ok_or(StorageError::SigningNotConfigured)?;
    let (authority, base_path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], rest[slash..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let host = strip_default_port(scheme, authority);

    let canonical_uri = format!(
        "{base_path}/{}/{}",
        utf8_percent_encode(bucket.name, PATH),
        utf8_percent_encode(key, PATH)
    );
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let date = now.format("%Y%m%d").to_string();
    let scope = format!("{date}/{}/s3/aws4_request", bucket.region);
    let credential = format!("{}/{scope}", bucket.access_key_id);
    let expires = expires_in.as_secs().to_string();

    let mut signed: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .filter(|(name, _)| name != "host")
        .collect();
    signed.push(("host".to_owned(), host.to_owned()));
    signed.sort();
    let signed_headers = signed
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_headers: String = signed
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();

    let mut query: Vec<(String, String)> = vec![
        ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
        ("X-Amz-Credential".into(), credential),
        ("X-Amz-Date".into(), amz_date.clone()),
        ("X-Amz-Expires".into(), expires),
        ("X-Amz-SignedHeaders".into(), signed_headers.clone()),
    ];
    query.extend(
        extra_query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let mut encoded: Vec<(String, String)> =
        query.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    let canonical_query = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");

    let canonical_request = format!(
        "{}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\nUNSIGNED-PAYLOAD",
        method.as_str()
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );

    let mut key_material = hmac(
        format!("AWS4{}", bucket.secret_access_key).as_bytes(),
        date.as_bytes(),
    );
    key_material = hmac(&key_material, bucket.region.as_bytes());
    key_material = hmac(&key_material, b"s3");
    key_material = hmac(&key_material, b"aws4_request");
    let signature = hex::encode(hmac(&key_material, string_to_sign.as_bytes()));

    Ok(format!(
        "{scheme}://{authority}{canonical_uri}?{canonical_query}&X-Amz-Signature={signature}"
    ))
}

fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

fn strip_default_port<'a>(scheme: &str, authority: &'a str) -> &'a str {
    match (scheme, authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host,
        _ => authority,
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket() -> Bucket<'static> {
        // The example credentials from AWS's SigV4 documentation.
        Bucket {
            endpoint: "https://examplebucket.s3.amazonaws.com",
            region: "us-east-1",
            name: "examplebucket",
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        }
    }

    #[test]
    fn refuses_expiries_beyond_seven_days() {
        let now = DateTime::from_timestamp(1_369_353_600, 0).unwrap_or_default();
        let result = presign(
            &bucket(),
            Method::Get,
            "test.txt",
            now,
            Duration::from_secs(604_801),
            &[],
        );
        assert_eq!(result, Err(StorageError::ExpiryTooLong));
    }

    #[test]
    fn endpoint_paths_and_ports_are_kept_in_the_url() {
        let mut local = bucket();
        local.endpoint = "http://127.0.0.1:9000/cdn-cgi/local/r2/s3/";
        let now = DateTime::from_timestamp(1_369_353_600, 0).unwrap_or_default();
        let url = presign(
            &local,
            Method::Put,
            "a/b.txt",
            now,
            Duration::from_secs(60),
            &[],
        )
        .unwrap_or_default();
        assert!(
            url.starts_with("http://127.0.0.1:9000/cdn-cgi/local/r2/s3/examplebucket/a/b.txt?"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=60"), "{url}");
    }

    #[test]
    fn signature_changes_with_the_method_and_the_key() {
        let now = DateTime::from_timestamp(1_369_353_600, 0).unwrap_or_default();
        let sign = |method, key| {
            presign(&bucket(), method, key, now, Duration::from_secs(60), &[]).unwrap_or_default()
        };
        assert_ne!(sign(Method::Get, "a"), sign(Method::Put, "a"));
        assert_ne!(sign(Method::Get, "a"), sign(Method::Get, "b"));
    }
}
