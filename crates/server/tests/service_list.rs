//! `services.tsv` is the one list of services: every other place that names
//! them (the host's routes, the worker crates, the wrangler files, the
//! workspace, the README and .env.example) must agree with it.

use std::path::{Path, PathBuf};

use codex_config::services;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative))
        .unwrap_or_else(|error| panic!("reading {relative}: {error}"))
}

#[test]
fn every_service_has_its_routes_and_reports_its_health_name() {
    for entry in services::all() {
        let (service, _routes) = codex_server::service(entry.name)
            .unwrap_or_else(|| panic!("{} has no routes", entry.name));
        assert_eq!(service.name, entry.health_name, "{}", entry.name);
    }
    assert!(codex_server::service("nonsense").is_none());
}

#[test]
fn worker_crates_and_wrangler_files_follow_the_list() {
    let workspace = read("Cargo.toml");
    let mut folders: Vec<String> = std::fs::read_dir(root().join("workers"))
        .expect("workers/")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    folders.sort();
    let mut listed: Vec<String> = services::all().iter().map(|e| e.name.to_owned()).collect();
    listed.sort();
    assert_eq!(
        folders, listed,
        "workers/ holds exactly the listed services"
    );

    for entry in services::all() {
        let manifest = read(&format!("workers/{}/Cargo.toml", entry.name));
        assert!(
            manifest.contains(&format!("name = \"{}\"", entry.package)),
            "workers/{}/Cargo.toml must name the package {}",
            entry.name,
            entry.package
        );
        assert!(
            workspace.contains(&format!("\"workers/{}\"", entry.name))
                && workspace.contains(&format!(
                    "{} = {{ path = \"workers/{}\" }}",
                    entry.package, entry.name
                )),
            "the workspace lists workers/{} as {}",
            entry.name,
            entry.package
        );
        let wrangler = read(&format!("wrangler/{}.toml", entry.name));
        assert!(
            wrangler.contains(&format!("name = \"{}\"", entry.package)),
            "wrangler/{}.toml deploys the worker as {}",
            entry.name,
            entry.package
        );
        assert!(
            wrangler.contains(&format!(
                "main = \"../workers/{}/build/index.js\"",
                entry.name
            )),
            "wrangler/{}.toml runs the {} build",
            entry.name,
            entry.name
        );
    }
}

#[test]
fn the_readme_and_env_example_show_the_listed_ports() {
    let readme = read("README.md");
    let env_example = read(".env.example");
    for entry in services::all() {
        let row = format!(
            "| {} | `workers/{}` | {} | `{}` |",
            entry.summary, entry.name, entry.default_port, entry.health_name
        );
        assert!(readme.contains(&row), "README.md lacks the row {row}");
        let setting = format!("# {}={}", entry.port_variable, entry.default_port);
        assert!(
            env_example.contains(&setting),
            ".env.example lacks {setting}"
        );
    }
}
