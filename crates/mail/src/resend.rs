use async_trait::async_trait;
use codex_config::Secret;
use serde_json::json;

use crate::{Delivery, Email, MailError};

/// Resend's HTTP API (`POST {api_url}/emails`), over reqwest natively and
/// over the Workers fetch API on the edge.
pub struct ResendDelivery {
    api_key: Secret,
    api_url: String,
    #[cfg(not(target_arch = "wasm32"))]
    client: reqwest::Client,
}

impl ResendDelivery {
    pub fn new(api_key: Secret, api_url: &str) -> Self {
        Self {
            api_key,
            api_url: api_url.trim_end_matches('/').to_owned(),
            #[cfg(not(target_arch = "wasm32"))]
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }

    fn body(from: &str, email: &Email) -> serde_json::Value {
        let mut body = json!({
            "from": from,
            "to": [email.to.trim()],
            "subject": email.subject,
            "text": email.text,
        });
        if let Some(html) = &email.html {
            body["html"] = json!(html);
        }
        body
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[async_trait]
impl Delivery for ResendDelivery {
    fn name(&self) -> &'static str {
        "resend"
    }

    async fn deliver(&self, from: &str, email: &Email) -> Result<(), MailError> {
        let response = self
            .client
            .post(format!("{}/emails", self.api_url))
            .bearer_auth(self.api_key.expose())
            .json(&Self::body(from, email))
            .send()
            .await
            .map_err(|error| MailError::Delivery(error.without_url().to_string()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(MailError::Delivery(format!(
                "Resend answered {}",
                response.status()
            )))
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[async_trait]
impl Delivery for ResendDelivery {
    fn name(&self) -> &'static str {
        "resend"
    }

    async fn deliver(&self, from: &str, email: &Email) -> Result<(), MailError> {
        let url = format!("{}/emails", self.api_url);
        let body = Self::body(from, email).to_string();
        let authorization = format!("Bearer {}", self.api_key.expose());
        worker::send::SendFuture::new(async move {
            let headers = worker::Headers::new();
            headers
                .set("authorization", &authorization)
                .map_err(|e| MailError::Delivery(e.to_string()))?;
            headers
                .set("content-type", "application/json")
                .map_err(|e| MailError::Delivery(e.to_string()))?;
            let mut init = worker::RequestInit::new();
            init.with_method(worker::Method::Post)
                .with_headers(headers)
                .with_body(Some(body.into()));
            let request = worker::Request::new_with_init(&url, &init)
                .map_err(|e| MailError::Delivery(e.to_string()))?;
            let response = worker::Fetch::Request(request)
                .send()
                .await
                .map_err(|e| MailError::Delivery(e.to_string()))?;
            if (200..300).contains(&response.status_code()) {
                Ok(())
            } else {
                Err(MailError::Delivery(format!(
                    "Resend answered {}",
                    response.status_code()
                )))
            }
        })
        .await
    }
}
