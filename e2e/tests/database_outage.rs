//! With PostgreSQL taken away, every service reports 503 with the database
//! check unhealthy; given back, every service recovers to 200 without a
//! restart. Runs in its own test binary so that no other test sees the
//! outage. Needs `E2E_DB_FAULT_URL` (set by scripts/e2e.sh).

use std::time::{Duration, Instant};

use codex_e2e::{client, json_of, targets};
use reqwest::StatusCode;

struct Outage {
    control: String,
}

impl Outage {
    async fn begin(control: &str) -> Self {
        let response = client()
            .post(format!("{control}/down"))
            .send()
            .await
            .expect("fault proxy down");
        assert!(response.status().is_success());
        Self {
            control: control.to_owned(),
        }
    }

    async fn end(&self) {
        let response = client()
            .post(format!("{}/up", self.control))
            .send()
            .await
            .expect("fault proxy up");
        assert!(response.status().is_success());
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        // Always give the database back, even when an assertion failed.
        let control = self.control.clone();
        let _ = std::thread::spawn(move || {
            let _ = std::process::Command::new("curl")
                .args(["-s", "-X", "POST", &format!("{control}/up")])
                .output();
        })
        .join();
    }
}

#[tokio::test]
async fn health_turns_503_while_the_database_is_down_and_recovers_without_restart() {
    let control = std::env::var("E2E_DB_FAULT_URL")
        .expect("E2E_DB_FAULT_URL is not set: run the suite through scripts/e2e.sh");
    let http = client();
    let outage = Outage::begin(&control).await;
    for target in targets() {
        let started = Instant::now();
        let response = http
            .get(format!("{}/health", target.base_url))
            .send()
            .await
            .expect("health");
        let elapsed = started.elapsed();
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            target.key
        );
        let body = json_of(response).await;
        assert_eq!(body["status"], "unhealthy", "{}: {body}", target.key);
        assert_eq!(body["checks"]["database"], "unhealthy", "{body}");
        assert_eq!(body["checks"]["kv"], "healthy", "{body}");
        assert!(
            elapsed < Duration::from_secs(10),
            "{}: health took {elapsed:?}",
            target.key
        );
    }
    outage.end().await;
    for target in targets() {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let response = http
                .get(format!("{}/health", target.base_url))
                .send()
                .await
                .expect("health");
            if response.status() == StatusCode::OK {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not recover within 30 s",
                target.key
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
