//! The RunPod serverless worker protocol, as RunPod's own SDK speaks it:
//! take a job, run it, post its result, and send a heartbeat meanwhile.
//!
//! RunPod starts the container with the URLs in its environment:
//! `RUNPOD_WEBHOOK_GET_JOB` (job-take; `$ID` is this worker's id),
//! `RUNPOD_WEBHOOK_POST_OUTPUT` (job-done; `$RUNPOD_POD_ID` and `$ID`, the
//! job's id), `RUNPOD_WEBHOOK_PING` (heartbeat), `RUNPOD_PING_INTERVAL`
//! (milliseconds, 10,000 by default), `RUNPOD_AI_API_KEY` (the
//! `Authorization` value, sent as it is) and `RUNPOD_POD_ID`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::job::{self, JobInput, JobSettings};

const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(10);
/// Pause after an empty take, and after RunPod asks us to slow down.
const IDLE_PAUSE: Duration = Duration::from_millis(500);
const THROTTLED_PAUSE: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const RESULT_ATTEMPTS: u32 = 3;

/// Where this worker talks to RunPod.
#[derive(Debug, Clone)]
pub struct WorkerEndpoints {
    pub take_url: String,
    pub done_url: String,
    pub ping_url: Option<String>,
    pub ping_interval: Duration,
    pub api_key: String,
    pub worker_id: String,
}

impl WorkerEndpoints {
    /// Reads RunPod's variables; the error names the first one missing.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let required = |name: &str| get(name).filter(|v| !v.is_empty()).ok_or(name.to_owned());
        let worker_id = required("RUNPOD_POD_ID")?;
        Ok(Self {
            take_url: required("RUNPOD_WEBHOOK_GET_JOB")?.replace("$ID", &worker_id),
            done_url: required("RUNPOD_WEBHOOK_POST_OUTPUT")?.replace("$RUNPOD_POD_ID", &worker_id),
            ping_url: get("RUNPOD_WEBHOOK_PING")
                .map(|url| url.replace("$RUNPOD_POD_ID", &worker_id)),
            ping_interval: get("RUNPOD_PING_INTERVAL")
                .and_then(|ms| ms.parse().ok())
                .map_or(DEFAULT_PING_INTERVAL, Duration::from_millis),
            api_key: required("RUNPOD_AI_API_KEY")?,
            worker_id,
        })
    }
}

#[derive(Deserialize)]
struct TakenJob {
    id: String,
    input: Value,
}

fn with_query(url: &str, query: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

/// Takes and runs jobs one at a time, `max_jobs` of them (for ever when
/// `None`), with a heartbeat naming the job in hand.
pub async fn serve(
    endpoints: &WorkerEndpoints,
    settings: &JobSettings,
    http: &reqwest::Client,
    max_jobs: Option<usize>,
) {
    let in_hand = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let heartbeat = endpoints.ping_url.clone().map(|url| {
        let in_hand = in_hand.clone();
        let http = http.clone();
        let key = endpoints.api_key.clone();
        let interval = endpoints.ping_interval;
        tokio::spawn(async move {
            loop {
                let job = in_hand.lock().map(|job| job.clone()).unwrap_or_default();
                let query = format!(
                    "job_id={}&runpod_version=codex-{}",
                    job.unwrap_or_default(),
                    env!("CARGO_PKG_VERSION")
                );
                let ping = http
                    .get(with_query(&url, &query))
                    .header("authorization", &key)
                    .timeout(REQUEST_TIMEOUT)
                    .send()
                    .await;
                if let Err(error) = ping {
                    tracing::warn!(error = %error.without_url(), "heartbeat failed");
                }
                tokio::time::sleep(interval).await;
            }
        })
    });
    let mut done = 0;
    while max_jobs.is_none_or(|max| done < max) {
        let Some(taken) = take(endpoints, http).await else {
            continue;
        };
        if let Ok(mut job) = in_hand.lock() {
            *job = Some(taken.id.clone());
        }
        let result = match serde_json::from_value::<JobInput>(taken.input) {
            Ok(input) => match job::run(&taken.id, &input, settings, http).await {
                Ok(output) => json!({ "output": output }),
                Err(error) => json!({ "error": error.to_string() }),
            },
            Err(error) => json!({ "error": format!("the job's input is not usable: {error}") }),
        };
        post_result(endpoints, http, &taken.id, &result).await;
        if let Ok(mut job) = in_hand.lock() {
            *job = None;
        }
        done += 1;
    }
    if let Some(heartbeat) = heartbeat {
        heartbeat.abort();
    }
}

async fn take(endpoints: &WorkerEndpoints, http: &reqwest::Client) -> Option<TakenJob> {
    let answer = http
        .get(with_query(&endpoints.take_url, "job_in_progress=0"))
        .header("authorization", &endpoints.api_key)
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await;
    let pause = match answer {
        Ok(answer) if answer.status() == reqwest::StatusCode::OK => {
            match answer.json::<TakenJob>().await {
                Ok(job) => return Some(job),
                Err(error) => {
                    tracing::warn!(error = %error.without_url(), "an unreadable job");
                    IDLE_PAUSE
                }
            }
        }
        Ok(answer) if answer.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => THROTTLED_PAUSE,
        Ok(_) => IDLE_PAUSE,
        Err(error) => {
            tracing::warn!(error = %error.without_url(), "job-take failed");
            THROTTLED_PAUSE
        }
    };
    tokio::time::sleep(pause).await;
    None
}

/// Posts a job's result to job-done. The body is JSON sent with a form
/// content type, as RunPod's SDK does; retried while it fails.
async fn post_result(
    endpoints: &WorkerEndpoints,
    http: &reqwest::Client,
    id: &str,
    result: &Value,
) {
    let url = with_query(&endpoints.done_url.replace("$ID", id), "isStream=false");
    for attempt in 1..=RESULT_ATTEMPTS {
        let answer = http
            .post(&url)
            .header("authorization", &endpoints.api_key)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-request-id", id)
            .timeout(REQUEST_TIMEOUT)
            .body(result.to_string())
            .send()
            .await;
        match answer {
            Ok(answer) if answer.status().is_success() => return,
            Ok(answer) => tracing::warn!(status = %answer.status(), attempt, "job-done refused"),
            Err(error) => tracing::warn!(error = %error.without_url(), attempt, "job-done failed"),
        }
        if attempt < RESULT_ATTEMPTS {
            tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_urls_name_this_worker_and_a_missing_variable_is_named() {
        let vars = [
            ("RUNPOD_POD_ID", "pod-7"),
            (
                "RUNPOD_WEBHOOK_GET_JOB",
                "https://api.runpod.ai/v2/e/job-take/$ID?gpu=x",
            ),
            (
                "RUNPOD_WEBHOOK_POST_OUTPUT",
                "https://api.runpod.ai/v2/e/job-done/$RUNPOD_POD_ID/$ID?gpu=x",
            ),
            ("RUNPOD_AI_API_KEY", "key"),
        ];
        let get = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let endpoints = WorkerEndpoints::from_env(get).expect("complete");
        assert_eq!(
            endpoints.take_url,
            "https://api.runpod.ai/v2/e/job-take/pod-7?gpu=x"
        );
        assert_eq!(
            with_query(&endpoints.done_url.replace("$ID", "j1"), "isStream=false"),
            "https://api.runpod.ai/v2/e/job-done/pod-7/j1?gpu=x&isStream=false"
        );
        assert_eq!(endpoints.ping_interval, DEFAULT_PING_INTERVAL);
        let missing = WorkerEndpoints::from_env(|name| {
            (name != "RUNPOD_AI_API_KEY").then(|| get(name)).flatten()
        })
        .expect_err("incomplete");
        assert_eq!(missing, "RUNPOD_AI_API_KEY");
    }
}
