//! The eight services as `services.tsv` at the repository's root lists
//! them: the one list the host, the scripts, the wrangler files and the
//! README follow.

use std::sync::OnceLock;

/// One row of `services.tsv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceEntry {
    /// Short name: the worker's folder, wrangler file and scripts' name.
    pub name: &'static str,
    /// The Cargo package of its routes (and of its worker).
    pub package: &'static str,
    /// The port the existing front end expects it on.
    pub default_port: u16,
    /// The name `/health` reports.
    pub health_name: &'static str,
    /// The variable that overrides the port natively, e.g. `AUTH_PORT`.
    pub port_variable: &'static str,
    /// The variable holding the service's base URL for calls from other
    /// services, e.g. `MEDIA_API_URL` (the auth service's is `AUTH_URL`).
    pub url_variable: &'static str,
    /// What it serves, in a few words.
    pub summary: &'static str,
}

/// The file itself, compiled in.
pub const SERVICES_TSV: &str = include_str!("../../../services.tsv");

/// Every service, in the file's order.
pub fn all() -> &'static [ServiceEntry] {
    static PARSED: OnceLock<Vec<ServiceEntry>> = OnceLock::new();
    PARSED.get_or_init(|| parse(SERVICES_TSV))
}

/// Parses the table. The file is ours and checked by the tests, so a
/// malformed row is a build defect and stops the host at once.
fn parse(text: &'static str) -> Vec<ServiceEntry> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&'static str> = line.split('\t').collect();
            let [name, package, port, health_name, summary] = fields[..] else {
                panic!("services.tsv: expected five tab-separated fields in {line:?}");
            };
            let default_port = port
                .parse()
                .unwrap_or_else(|_| panic!("services.tsv: `{port}` is not a port"));
            // Eight short strings, made once for the life of the process.
            let port_variable: &'static str =
                Box::leak(format!("{}_PORT", name.to_uppercase()).into_boxed_str());
            let url_variable: &'static str = if name == "auth" {
                "AUTH_URL"
            } else {
                Box::leak(format!("{}_API_URL", name.to_uppercase()).into_boxed_str())
            };
            ServiceEntry {
                name,
                package,
                default_port,
                health_name,
                port_variable,
                url_variable,
                summary,
            }
        })
        .collect()
}

/// The service called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static ServiceEntry> {
    all().iter().find(|entry| entry.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_eight_services_with_distinct_names_and_ports() {
        let services = all();
        assert_eq!(services.len(), 8);
        for (index, entry) in services.iter().enumerate() {
            for other in &services[index + 1..] {
                assert_ne!(entry.name, other.name);
                assert_ne!(entry.default_port, other.default_port);
            }
        }
        assert_eq!(find("auth").map(|e| e.port_variable), Some("AUTH_PORT"));
        assert_eq!(find("media").map(|e| e.url_variable), Some("MEDIA_API_URL"));
    }
}
