//! Typed configuration shared by both runtimes.
//!
//! It is read from a [`Source`]: once at start from the process environment
//! on the native host; from the wrangler vars and secrets on Workers, once
//! per isolate (by its first request).
//! Every variable is documented in `.env.example`. Secrets are held in
//! [`Secret`], whose `Debug` never shows the value. A setting that is needed
//! but missing fails the start with a message naming it.

pub mod services;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Where settings come from: environment, Workers vars, or a map in tests.
pub trait Source {
    /// The raw value of `name`; `None` when unset.
    fn raw(&self, name: &str) -> Option<String>;

    /// The value of `name`, with surrounding blanks removed; an empty value
    /// counts as unset so that `FOO=` in a `.env` file switches FOO off.
    fn get(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }
}

impl Source for HashMap<String, String> {
    fn raw(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

impl<const N: usize> Source for [(&str, &str); N] {
    fn raw(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    }
}

/// The process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnvironment;

impl Source for ProcessEnvironment {
    fn raw(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// Why the configuration could not be read. Names the setting, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("missing required setting {name}: {why}")]
    Missing {
        name: &'static str,
        why: &'static str,
    },
    #[error("invalid value for setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A secret value. `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Test,
    Staging,
    Production,
}

impl Environment {
    /// Development and test enable local conveniences (test routes, insecure
    /// cookies on http, localhost CORS origins).
    pub fn is_local(self) -> bool {
        matches!(self, Self::Development | Self::Test)
    }

    pub fn is_production(self) -> bool {
        self == Self::Production
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }
}

impl FromStr for Environment {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "development" | "dev" | "local" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "staging" => Ok(Self::Staging),
            "production" | "prod" => Ok(Self::Production),
            other => Err(format!(
                "`{other}` is not one of development, test, staging, production"
            )),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "text" | "pretty" | "compact" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("`{other}` is not one of text, json")),
        }
    }
}

/// An S3-compatible object store (Cloudflare R2 in production).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// Endpoint with scheme, e.g. `https://ACCOUNT.r2.cloudflarestorage.com`.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

/// How e-mail leaves the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// Kept in the outbox table and written to the log: the local default.
    Outbox,
    /// An SMTP server, e.g. `smtps://user:pass@host:465` or `smtp://host:1025`.
    Smtp { url: Secret },
    /// Resend's HTTP API.
    Resend { api_key: Secret, api_url: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The From header, e.g. `Codex <no-reply@example.com>`.
    pub from: String,
    pub transport: MailTransport,
}

/// Stripe's API (`STRIPE_SECRET_KEY`, `STRIPE_API_URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentsSettings {
    pub secret_key: Secret,
    /// Base URL, default `https://api.stripe.com`.
    pub api_url: String,
}

/// RunPod's serverless API (`RUNPOD_API_KEY`, `RUNPOD_ENDPOINT_ID`,
/// `RUNPOD_AUDIO_ENDPOINT_ID`, `RUNPOD_API_URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscoderSettings {
    pub api_key: Secret,
    /// The GPU endpoint for video.
    pub endpoint_id: String,
    /// A CPU endpoint for audio-only jobs; the GPU endpoint otherwise.
    pub audio_endpoint_id: Option<String>,
    /// Base URL, default `https://api.runpod.ai`.
    pub api_url: String,
}

/// Everything both runtimes need to know about their surroundings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub environment: Environment,
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `codex=debug,info`.
    pub log_filter: String,
    /// Origins allowed to call with credentials (exact matches).
    pub cors_origins: Vec<String>,
    /// HMAC key for worker-to-worker calls.
    pub worker_shared_secret: Option<Secret>,
    /// HMAC key with which the web app's server signs the visitor address
    /// it forwards (`WEB_APP_PROXY_SECRET`); without it that address is
    /// ignored.
    pub web_app_proxy_secret: Option<Secret>,
    /// The S3 endpoint used for presigned URLs (and for storage natively).
    pub s3: Option<S3Settings>,
    pub mail: MailSettings,
    /// The web app's origin (`WEB_APP_URL`): where e-mailed links land.
    pub web_app_url: Option<String>,
    /// Public base URL of the auth service (`AUTH_URL`), for the links in
    /// verification e-mails.
    pub auth_url: String,
    /// Public base URL under which stored public images (avatars, logos)
    /// are served (`PUBLIC_ASSETS_URL`).
    pub public_assets_url: String,
    /// `Domain` of the session cookie (`COOKIE_DOMAIN`), e.g.
    /// `.example.com` to share it with sub-domains; host-only when unset.
    pub cookie_domain: Option<String>,
    /// Whether `X-Forwarded-For` and `CF-Connecting-IP` name the client
    /// (`TRUST_PROXY_HEADERS`): true only behind a proxy that sets them.
    pub trust_proxy_headers: bool,
    /// Stripe, when configured: payments fail with a configuration error
    /// otherwise.
    pub payments: Option<PaymentsSettings>,
    /// RunPod, when configured.
    pub transcoder: Option<TranscoderSettings>,
    /// HMAC key of the transcoder's signed progress and completion calls
    /// (`RUNPOD_WEBHOOK_SECRET`), and of the token in RunPod's own
    /// completion webhook; without it those calls are refused with a
    /// configuration error and no transcoding job is started.
    pub runpod_webhook_secret: Option<Secret>,
    /// Base URLs of the other services for signed calls between them
    /// (`{SERVICE}_API_URL`, e.g. `MEDIA_API_URL`), by short name; in
    /// development and test each defaults to its usual local port.
    pub service_urls: Vec<(&'static str, String)>,
    /// The longest any database statement may take
    /// (`DATABASE_STATEMENT_TIMEOUT_MS`), on both runtimes: PostgreSQL
    /// cancels it after that long and the adapter stops waiting, answering
    /// 503. Migrations are not bound by it.
    pub database_statement_timeout: Duration,
    /// From this size on, a media upload is an S3 multipart upload rather
    /// than one presigned `PUT` (`MEDIA_MULTIPART_THRESHOLD_BYTES`, default
    /// [`DEFAULT_MEDIA_MULTIPART_THRESHOLD`]; tests lower it).
    pub media_multipart_threshold: u64,
}

/// `MEDIA_MULTIPART_THRESHOLD_BYTES` when unset: 100 MiB.
pub const DEFAULT_MEDIA_MULTIPART_THRESHOLD: u64 = 100 * 1024 * 1024;

/// The range `MEDIA_MULTIPART_THRESHOLD_BYTES` must be in: from 1 MiB to
/// 100 MiB (R2 refuses one `PUT` above 4.995 GiB; above 100 MiB a single
/// upload is too long to redo when it fails).
const MEDIA_MULTIPART_THRESHOLD_RANGE: std::ops::RangeInclusive<u64> =
    1024 * 1024..=DEFAULT_MEDIA_MULTIPART_THRESHOLD;

/// `DATABASE_STATEMENT_TIMEOUT_MS` when unset: 5 seconds.
pub const DEFAULT_DATABASE_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// The range `DATABASE_STATEMENT_TIMEOUT_MS` must be in, in milliseconds.
const STATEMENT_TIMEOUT_RANGE_MS: std::ops::RangeInclusive<u64> = 100..=600_000;

impl Config {
    /// The base URL of the service called `name` (e.g. `media`), if known.
    pub fn service_url(&self, name: &str) -> Option<&str> {
        self.service_urls
            .iter()
            .find(|(service, _)| *service == name)
            .map(|(_, url)| url.as_str())
    }
}

/// The SvelteKit dev server, where e-mailed links land in development and
/// test when `WEB_APP_URL` is unset.
pub const DEFAULT_LOCAL_WEB_APP_URL: &str = "http://localhost:5173";

/// Where the auth service is reached when `AUTH_URL` is unset.
pub const DEFAULT_AUTH_URL: &str = "http://localhost:42069";
/// Where public images are served when `PUBLIC_ASSETS_URL` is unset: the
/// identity service's `/assets` route.
pub const DEFAULT_PUBLIC_ASSETS_URL: &str = "http://localhost:42074/assets";

/// Ports of local front-end dev servers allowed by CORS in development.
const LOCAL_DEV_PORTS: [u16; 7] = [3000, 5173, 8787, 8788, 8789, 4001, 4002];

impl Config {
    /// Reads and checks every setting. `default_environment` applies when
    /// `ENVIRONMENT` is unset (development for the native host).
    pub fn from_source(
        source: &impl Source,
        default_environment: Environment,
    ) -> Result<Self, ConfigError> {
        let environment = parse_or(source, "ENVIRONMENT", default_environment)?;
        let log_format = parse_or(source, "LOG_FORMAT", LogFormat::Text)?;
        let log_filter = source
            .get("RUST_LOG")
            .or_else(|| source.get("LOG_LEVEL"))
            .unwrap_or_else(|| "info".to_owned());

        // Outside development and test there is no guessing where the web
        // app is: links in e-mails must not point at a laptop.
        let web_app_url = match source.get("WEB_APP_URL") {
            Some(url) => Some(origin_of("WEB_APP_URL", &url)?),
            None if environment.is_local() => Some(DEFAULT_LOCAL_WEB_APP_URL.to_owned()),
            None => None,
        };
        let auth_url = base_url(source, "AUTH_URL", DEFAULT_AUTH_URL)?;
        let public_assets_url = base_url(source, "PUBLIC_ASSETS_URL", DEFAULT_PUBLIC_ASSETS_URL)?;
        let cookie_domain = source
            .get("COOKIE_DOMAIN")
            .map(|domain| domain.to_ascii_lowercase());
        if let Some(domain) = &cookie_domain {
            let plain = domain.trim_start_matches('.');
            if plain.is_empty()
                || !plain.contains('.') && plain != "localhost"
                || !plain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                return Err(ConfigError::Invalid {
                    name: "COOKIE_DOMAIN",
                    reason: "expected a domain such as .example.com".to_owned(),
                });
            }
        }
        let trust_proxy_headers = match source.get("TRUST_PROXY_HEADERS").as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "TRUST_PROXY_HEADERS",
                    reason: "expected true or false".to_owned(),
                });
            }
        };

        let mut cors_origins = Vec::new();
        for name in ["WEB_APP_URL", "API_URL"] {
            if let Some(origin) = source.get(name) {
                cors_origins.push(origin_of(name, &origin)?);
            }
        }
        if let Some(list) = source.get("CORS_ALLOWED_ORIGINS") {
            for origin in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                cors_origins.push(origin_of("CORS_ALLOWED_ORIGINS", origin)?);
            }
        }
        if environment.is_local() {
            for port in LOCAL_DEV_PORTS {
                cors_origins.push(format!("http://localhost:{port}"));
                cors_origins.push(format!("http://127.0.0.1:{port}"));
            }
        }
        cors_origins.dedup();

        let worker_shared_secret = source.get("WORKER_SHARED_SECRET").map(Secret::new);
        if environment.is_production() && worker_shared_secret.is_none() {
            return Err(ConfigError::Missing {
                name: "WORKER_SHARED_SECRET",
                why: "production needs the key that signs worker-to-worker calls",
            });
        }

        let web_app_proxy_secret = source.get("WEB_APP_PROXY_SECRET").map(Secret::new);

        let payments = source.get("STRIPE_SECRET_KEY").map(|key| PaymentsSettings {
            secret_key: Secret::new(key),
            api_url: source
                .get("STRIPE_API_URL")
                .unwrap_or_else(|| "https://api.stripe.com".to_owned())
                .trim_end_matches('/')
                .to_owned(),
        });
        let transcoder = transcoder_settings(source)?;
        let runpod_webhook_secret = source.get("RUNPOD_WEBHOOK_SECRET").map(Secret::new);
        let mut service_urls = Vec::new();
        for entry in services::all() {
            let url = match source.get(entry.url_variable) {
                Some(url) => Some(base_url(source, entry.url_variable, &url)?),
                None if environment.is_local() => {
                    Some(format!("http://localhost:{}", entry.default_port))
                }
                None => None,
            };
            if let Some(url) = url {
                service_urls.push((entry.name, url));
            }
        }

        let database_statement_timeout = match source.get("DATABASE_STATEMENT_TIMEOUT_MS") {
            None => DEFAULT_DATABASE_STATEMENT_TIMEOUT,
            Some(value) => value
                .parse::<u64>()
                .ok()
                .filter(|millis| STATEMENT_TIMEOUT_RANGE_MS.contains(millis))
                .map(Duration::from_millis)
                .ok_or(ConfigError::Invalid {
                    name: "DATABASE_STATEMENT_TIMEOUT_MS",
                    reason: "expected milliseconds from 100 to 600000".to_owned(),
                })?,
        };

        let media_multipart_threshold = match source.get("MEDIA_MULTIPART_THRESHOLD_BYTES") {
            None => DEFAULT_MEDIA_MULTIPART_THRESHOLD,
            Some(value) => value
                .parse::<u64>()
                .ok()
                .filter(|bytes| MEDIA_MULTIPART_THRESHOLD_RANGE.contains(bytes))
                .ok_or(ConfigError::Invalid {
                    name: "MEDIA_MULTIPART_THRESHOLD_BYTES",
                    reason: "expected bytes from 1048576 (1 MiB) to 104857600 (100 MiB)".to_owned(),
                })?,
        };

        Ok(Self {
            payments,
            transcoder,
            runpod_webhook_secret,
            service_urls,
            database_statement_timeout,
            media_multipart_threshold,
            environment,
            log_format,
            log_filter,
            cors_origins,
            worker_shared_secret,
            web_app_proxy_secret,
            s3: s3_settings(source)?,
            mail: mail_settings(source, environment)?,
            web_app_url,
            auth_url,
            public_assets_url,
            cookie_domain,
            trust_proxy_headers,
        })
    }
}

fn transcoder_settings(source: &impl Source) -> Result<Option<TranscoderSettings>, ConfigError> {
    match (
        source.get("RUNPOD_API_KEY"),
        source.get("RUNPOD_ENDPOINT_ID"),
    ) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::Missing {
            name: "RUNPOD_ENDPOINT_ID",
            why: "RUNPOD_API_KEY is set, so jobs need an endpoint to go to",
        }),
        (None, Some(_)) => Err(ConfigError::Missing {
            name: "RUNPOD_API_KEY",
            why: "RUNPOD_ENDPOINT_ID is set, so jobs need a key to be sent with",
        }),
        (Some(api_key), Some(endpoint_id)) => Ok(Some(TranscoderSettings {
            api_key: Secret::new(api_key),
            endpoint_id,
            audio_endpoint_id: source.get("RUNPOD_AUDIO_ENDPOINT_ID"),
            api_url: source
                .get("RUNPOD_API_URL")
                .unwrap_or_else(|| "https://api.runpod.ai".to_owned())
                .trim_end_matches('/')
                .to_owned(),
        })),
    }
}

fn parse_or<T>(source: &impl Source, name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr<Err = String>,
{
    match source.get(name) {
        None => Ok(default),
        Some(value) => value
            .parse()
            .map_err(|reason| ConfigError::Invalid { name, reason }),
    }
}

/// Checks that `value` is an http(s) origin and returns it without a
/// trailing slash.
fn origin_of(name: &'static str, value: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains('/') => Ok(trimmed.to_owned()),
        _ => Err(ConfigError::Invalid {
            name,
            reason: "expected an origin such as https://app.example.com".to_owned(),
        }),
    }
}

/// An http(s) base URL without a trailing slash.
fn base_url(
    source: &impl Source,
    name: &'static str,
    default: &str,
) -> Result<String, ConfigError> {
    let value = source.get(name).unwrap_or_else(|| default.to_owned());
    let trimmed = value.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(trimmed.to_owned()),
        _ => Err(ConfigError::Invalid {
            name,
            reason: "expected an http(s) URL".to_owned(),
        }),
    }
}

fn s3_settings(source: &impl Source) -> Result<Option<S3Settings>, ConfigError> {
    const WHY: &str = "the object store settings are all-or-nothing";
    let access_key_id = source.get("R2_ACCESS_KEY_ID");
    let secret = source.get("R2_SECRET_ACCESS_KEY");
    let bucket = source.get("R2_BUCKET_MEDIA");
    let endpoint = source.get("S3_ENDPOINT").or_else(|| {
        source
            .get("R2_ACCOUNT_ID")
            .map(|account| format!("https://{account}.r2.cloudflarestorage.com"))
    });
    if access_key_id.is_none() && secret.is_none() && endpoint.is_none() {
        return Ok(None);
    }
    let Some(endpoint) = endpoint else {
        return Err(ConfigError::Missing {
            name: "R2_ACCOUNT_ID",
            why: WHY,
        });
    };
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(ConfigError::Invalid {
            name: "S3_ENDPOINT",
            reason: "expected an http(s) URL".to_owned(),
        });
    }
    Ok(Some(S3Settings {
        endpoint,
        region: source.get("S3_REGION").unwrap_or_else(|| "auto".to_owned()),
        bucket: bucket.ok_or(ConfigError::Missing {
            name: "R2_BUCKET_MEDIA",
            why: WHY,
        })?,
        access_key_id: access_key_id.ok_or(ConfigError::Missing {
            name: "R2_ACCESS_KEY_ID",
            why: WHY,
        })?,
        secret_access_key: Secret::new(secret.ok_or(ConfigError::Missing {
            name: "R2_SECRET_ACCESS_KEY",
            why: WHY,
        })?),
    }))
}

fn mail_settings(
    source: &impl Source,
    environment: Environment,
) -> Result<MailSettings, ConfigError> {
    let from = source
        .get("MAIL_FROM")
        .unwrap_or_else(|| "Codex <no-reply@codex.local>".to_owned());
    let transport = match (source.get("RESEND_API_KEY"), source.get("SMTP_URL")) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::Invalid {
                name: "SMTP_URL",
                reason: "set either SMTP_URL or RESEND_API_KEY, not both".to_owned(),
            });
        }
        (Some(api_key), None) => MailTransport::Resend {
            api_key: Secret::new(api_key),
            api_url: source
                .get("RESEND_API_URL")
                .unwrap_or_else(|| "https://api.resend.com".to_owned()),
        },
        (None, Some(url)) => {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(ConfigError::Invalid {
                    name: "SMTP_URL",
                    reason: "expected smtp://… or smtps://…".to_owned(),
                });
            }
            MailTransport::Smtp {
                url: Secret::new(url),
            }
        }
        (None, None) if environment.is_production() => {
            return Err(ConfigError::Missing {
                name: "RESEND_API_KEY",
                why: "production must deliver e-mail (set RESEND_API_KEY or SMTP_URL)",
            });
        }
        (None, None) => MailTransport::Outbox,
    };
    Ok(MailSettings { from, transport })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_configured_gives_local_defaults() {
        let config =
            Config::from_source(&[("UNRELATED", "1")], Environment::Development).expect("defaults");
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.mail.transport, MailTransport::Outbox);
        assert!(config.s3.is_none());
        assert!(
            config
                .cors_origins
                .contains(&"http://localhost:5173".to_owned())
        );
        assert_eq!(
            config.database_statement_timeout,
            DEFAULT_DATABASE_STATEMENT_TIMEOUT
        );
    }

    #[test]
    fn the_statement_timeout_is_milliseconds_within_bounds() {
        let config = Config::from_source(
            &[("DATABASE_STATEMENT_TIMEOUT_MS", "1500")],
            Environment::Test,
        )
        .expect("valid");
        assert_eq!(
            config.database_statement_timeout,
            Duration::from_millis(1500)
        );
        for bad in ["0", "99", "600001", "5s", "-1"] {
            let error =
                Config::from_source(&[("DATABASE_STATEMENT_TIMEOUT_MS", bad)], Environment::Test)
                    .expect_err(bad);
            assert!(
                error.to_string().contains("DATABASE_STATEMENT_TIMEOUT_MS"),
                "{error}"
            );
        }
    }

    #[test]
    fn production_names_the_missing_secret() {
        let error = Config::from_source(&[("ENVIRONMENT", "production")], Environment::Development)
            .expect_err("must fail");
        assert!(
            error.to_string().contains("WORKER_SHARED_SECRET"),
            "{error}"
        );
    }

    #[test]
    fn partial_object_store_settings_name_what_is_missing() {
        let error = Config::from_source(
            &[("R2_ACCOUNT_ID", "abc"), ("R2_ACCESS_KEY_ID", "key")],
            Environment::Development,
        )
        .expect_err("must fail");
        assert_eq!(
            error,
            ConfigError::Missing {
                name: "R2_BUCKET_MEDIA",
                why: "the object store settings are all-or-nothing"
            }
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let config = Config::from_source(
            &[
                ("S3_ENDPOINT", "http://127.0.0.1:9000"),
                ("R2_BUCKET_MEDIA", "media"),
                ("R2_ACCESS_KEY_ID", "key"),
                ("R2_SECRET_ACCESS_KEY", "very-secret-value"),
                ("WORKER_SHARED_SECRET", "another-secret"),
                ("SMTP_URL", "smtp://user:smtp-password@mail:25"),
                ("RUNPOD_WEBHOOK_SECRET", "webhook-secret-value"),
            ],
            Environment::Development,
        )
        .expect("valid");
        let printed = format!("{config:?}");
        for secret in [
            "very-secret-value",
            "another-secret",
            "smtp-password",
            "webhook-secret-value",
        ] {
            assert!(!printed.contains(secret), "{secret} leaked in {printed}");
        }
        assert_eq!(config.s3.map(|s3| s3.region), Some("auto".to_owned()));
    }

    #[test]
    fn malformed_values_are_refused_with_their_name() {
        for (name, value) in [
            ("ENVIRONMENT", "prodution"),
            ("LOG_FORMAT", "xml"),
            ("WEB_APP_URL", "app.example.com"),
            ("SMTP_URL", "mail.example.com"),
            ("AUTH_URL", "localhost:42069"),
            ("PUBLIC_ASSETS_URL", "ftp://assets"),
            ("COOKIE_DOMAIN", "exa mple.com"),
            ("TRUST_PROXY_HEADERS", "maybe"),
        ] {
            let error =
                Config::from_source(&[(name, value)], Environment::Development).expect_err(name);
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn origins_lose_their_trailing_slash_and_staging_adds_no_localhost() {
        let config = Config::from_source(
            &[
                ("ENVIRONMENT", "staging"),
                ("WEB_APP_URL", "https://app.example.com/"),
            ],
            Environment::Development,
        )
        .expect("valid");
        assert_eq!(
            config.cors_origins,
            vec!["https://app.example.com".to_owned()]
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config =
            Config::from_source(&[("LOG_FORMAT", "  ")], Environment::Test).expect("valid");
        assert_eq!(config.log_format, LogFormat::Text);
    }
}
