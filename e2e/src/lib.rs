//! Helpers for the black-box suite in `tests/`.
//!
//! The suite knows nothing of how the platform runs: it reads the eight base
//! URLs from the environment and speaks HTTP. `scripts/e2e.sh` starts the
//! platform (native host or the eight workers under `wrangler dev`) and sets:
//!
//! - `E2E_AUTH_URL`, `E2E_CONTENT_URL`, `E2E_MEDIA_URL`, `E2E_ORG_URL`,
//!   `E2E_ECOM_URL`, `E2E_ADMIN_URL`, `E2E_IDENTITY_URL`,
//!   `E2E_NOTIFICATIONS_URL`: base URLs, no trailing slash;
//! - `E2E_ORIGIN`: an origin the services allow (default `http://localhost:5173`);
//! - `E2E_DB_FAULT_URL`: control URL of the database fault proxy the
//!   services reach PostgreSQL through (needed by the outage test).

use std::time::Duration;

pub mod accounts;
pub mod contract;
pub mod front_end;
pub mod media;
pub mod organisations;

/// One service under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// Short name, e.g. `content`.
    pub key: &'static str,
    /// The name `/health` reports, e.g. `content-api`.
    pub service: &'static str,
    pub base_url: String,
}

const SERVICES: [(&str, &str); 8] = [
    ("auth", "auth-worker"),
    ("content", "content-api"),
    ("media", "media-api"),
    ("org", "organization-api"),
    ("ecom", "ecom-api"),
    ("admin", "admin-api"),
    ("identity", "identity-api"),
    ("notifications", "notifications-api"),
];

/// All eight services. Panics, naming the variable, if one is not set: a
/// suite that silently tested nothing would pass for the wrong reason.
pub fn targets() -> Vec<Target> {
    SERVICES
        .iter()
        .map(|(key, service)| {
            let variable = format!("E2E_{}_URL", key.to_uppercase());
            let base_url = std::env::var(&variable)
                .ok()
                .filter(|value| !value.trim().is_empty())
                .unwrap_or_else(|| {
                    panic!("{variable} is not set: run the suite through scripts/e2e.sh")
                });
            Target {
                key,
                service,
                base_url: base_url.trim_end_matches('/').to_owned(),
            }
        })
        .collect()
}

/// The URL of `path` on one service, e.g. `url("auth", "/api/auth/get-session")`.
pub fn url(service_key: &str, path: &str) -> String {
    let target = targets()
        .into_iter()
        .find(|target| target.key == service_key)
        .unwrap_or_else(|| panic!("unknown service {service_key}"));
    format!("{}{path}", target.base_url)
}

pub fn allowed_origin() -> String {
    std::env::var("E2E_ORIGIN").unwrap_or_else(|_| "http://localhost:5173".to_owned())
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

/// Reads a response as JSON, failing with the body when it is not JSON.
pub async fn json_of(response: reqwest::Response) -> serde_json::Value {
    let status = response.status();
    let text = response.text().await.expect("response body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("expected JSON, got {status}: {text}"))
}

/// Asserts the error envelope: `{"error": {"code": CODE, "message": non-empty}}`.
pub fn assert_error_envelope(body: &serde_json::Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "envelope: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "error message missing: {body}");
}

/// The width and height a WebP file declares (lossless `VP8L`, lossy `VP8 `
/// or extended `VP8X`), or `None` when the bytes are no WebP file.
pub fn webp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 30 || !bytes.starts_with(b"RIFF") || &bytes[8..12] != b"WEBP" {
        return None;
    }
    let le24 = |at: usize| {
        u32::from(bytes[at]) | u32::from(bytes[at + 1]) << 8 | u32::from(bytes[at + 2]) << 16
    };
    match &bytes[12..16] {
        b"VP8L" if bytes[20] == 0x2f => {
            let bits = u32::from_le_bytes([bytes[21], bytes[22], bytes[23], bytes[24]]);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8X" => Some((le24(24) + 1, le24(27) + 1)),
        b"VP8 " => {
            let width = u32::from(u16::from_le_bytes([bytes[26], bytes[27]]) & 0x3fff);
            let height = u32::from(u16::from_le_bytes([bytes[28], bytes[29]]) & 0x3fff);
            Some((width, height))
        }
        _ => None,
    }
}

/// A real file made by ffmpeg from its test sources: `arguments` (inputs,
/// codecs, options) are given after `-v error -y`, the output is a fresh
/// temporary file ending in `.{extension}`, read back and removed.
pub fn made_by_ffmpeg(extension: &str, arguments: &[&str]) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!(
        "codex-e2e-{}.{extension}",
        uuid::Uuid::new_v4().simple()
    ));
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(arguments)
        .arg(&path)
        .status()
        .expect("ffmpeg runs (is it installed?)");
    assert!(status.success(), "ffmpeg failed");
    let bytes = std::fs::read(&path).expect("the file ffmpeg wrote");
    let _ = std::fs::remove_file(&path);
    bytes
}
