//! Settings only the native host has: where it listens, where it keeps local
//! data, and which real services replace the embedded defaults.

use std::net::IpAddr;
use std::path::PathBuf;

use codex_config::{ConfigError, Secret, Source};

use codex_config::services;

#[derive(Debug, Clone)]
pub struct HostSettings {
    pub bind: IpAddr,
    /// `(service, port)` for each of the eight services.
    pub ports: Vec<(&'static str, u16)>,
    /// `None`: start the project-local PostgreSQL under `data_dir`.
    pub database_url: Option<Secret>,
    pub database_max_connections: u32,
    pub local_postgres_port: u16,
    pub redis_url: Option<Secret>,
    pub data_dir: PathBuf,
    /// Where the embedded S3 endpoint listens when no S3 or R2 endpoint is
    /// configured.
    pub local_storage_port: u16,
    /// The address presigned URLs of the embedded endpoint name (the
    /// browser uploads there); by default `http://127.0.0.1:{port}`.
    pub local_storage_url: Option<String>,
}

impl HostSettings {
    /// The port `service` (e.g. `auth`) listens on.
    pub fn port_of(&self, service: &str) -> u16 {
        self.ports
            .iter()
            .find(|(name, _)| *name == service)
            .map_or(0, |(_, port)| *port)
    }

    pub fn from_source(source: &impl Source) -> Result<Self, ConfigError> {
        let bind = match source.get("BIND_ADDRESS") {
            None => IpAddr::from([127, 0, 0, 1]),
            Some(value) => value.parse().map_err(|_| ConfigError::Invalid {
                name: "BIND_ADDRESS",
                reason: "expected an IP address such as 127.0.0.1 or 0.0.0.0".to_owned(),
            })?,
        };
        let mut ports: Vec<(&'static str, u16)> = Vec::with_capacity(services::all().len());
        for entry in services::all() {
            let (service, variable) = (entry.name, entry.port_variable);
            let chosen = port(source, variable, entry.default_port)?;
            if let Some((other, _)) = ports.iter().find(|(_, taken)| *taken == chosen) {
                return Err(ConfigError::Invalid {
                    name: variable,
                    reason: format!(
                        "port {chosen} is already the {other} service's; the eight ports must all differ"
                    ),
                });
            }
            ports.push((service, chosen));
        }
        let database_max_connections = match source.get("DATABASE_MAX_CONNECTIONS") {
            None => 10,
            Some(value) => value.parse().ok().filter(|n| (1..=200).contains(n)).ok_or(
                ConfigError::Invalid {
                    name: "DATABASE_MAX_CONNECTIONS",
                    reason: "expected a number from 1 to 200".to_owned(),
                },
            )?,
        };
        Ok(Self {
            bind,
            ports,
            database_url: source.get("DATABASE_URL").map(Secret::new),
            database_max_connections,
            local_postgres_port: port(source, "LOCAL_POSTGRES_PORT", 54329)?,
            redis_url: source.get("REDIS_URL").map(Secret::new),
            data_dir: PathBuf::from(source.get("DATA_DIR").unwrap_or_else(|| ".data".to_owned())),
            local_storage_port: port(source, "LOCAL_STORAGE_PORT", 4100)?,
            local_storage_url: source.get("LOCAL_STORAGE_URL"),
        })
    }
}

fn port(source: &impl Source, name: &'static str, default: u16) -> Result<u16, ConfigError> {
    match source.get(name) {
        None => Ok(default),
        Some(value) => value
            .parse()
            .ok()
            .filter(|port| *port > 0)
            .ok_or(ConfigError::Invalid {
                name,
                reason: "expected a TCP port from 1 to 65535".to_owned(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_ports_the_front_end_expects() {
        let settings = HostSettings::from_source(&[("UNSET", "")]).expect("defaults");
        assert_eq!(settings.ports[0], ("auth", 42069));
        assert_eq!(settings.ports[2], ("media", 4002));
        assert!(settings.database_url.is_none());
        assert_eq!(settings.local_storage_port, 4100);
        assert_eq!(settings.local_storage_url, None);
    }

    #[test]
    fn ports_can_be_overridden_but_not_shared() {
        let settings = HostSettings::from_source(&[("CONTENT_PORT", "18001")]).expect("valid");
        assert_eq!(settings.ports[1], ("content", 18001));
        let error = HostSettings::from_source(&[("CONTENT_PORT", "42069")]).expect_err("clash");
        assert!(error.to_string().contains("CONTENT_PORT"), "{error}");
        assert!(error.to_string().contains("auth service"), "{error}");
        let error = HostSettings::from_source(&[("MEDIA_PORT", "http")]).expect_err("bad");
        assert!(error.to_string().contains("MEDIA_PORT"), "{error}");
    }
}
