use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use codex_config::Secret;
use codex_outbound::{HttpClient, OutboundRequest};
use serde_json::json;

use crate::{Delivery, Email, MailError};

/// How long Resend gets to accept a message.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Resend's HTTP API (`POST {api_url}/emails`), over the runtime's
/// [`HttpClient`].
pub struct ResendDelivery {
    api_key: Secret,
    api_url: String,
    http: Arc<dyn HttpClient>,
}

impl ResendDelivery {
    pub fn new(api_key: Secret, api_url: &str, http: Arc<dyn HttpClient>) -> Self {
        Self {
            api_key,
            api_url: api_url.trim_end_matches('/').to_owned(),
            http,
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

#[async_trait]
impl Delivery for ResendDelivery {
    fn name(&self) -> &'static str {
        "resend"
    }

    async fn deliver(&self, from: &str, email: &Email) -> Result<(), MailError> {
        let request = OutboundRequest::post(format!("{}/emails", self.api_url))
            .bearer(self.api_key.expose())
            .json(&Self::body(from, email))
            .map_err(|error| MailError::Delivery(error.to_string()))?
            .timeout(TIMEOUT);
        let response = self
            .http
            .send(request)
            .await
            .map_err(|error| MailError::Delivery(error.to_string()))?;
        if response.is_success() {
            Ok(())
        } else {
            // "403 Forbidden", as reqwest's status reads.
            let status = http::StatusCode::from_u16(response.status)
                .map_or_else(|_| response.status.to_string(), |status| status.to_string());
            Err(MailError::Delivery(format!("Resend answered {status}")))
        }
    }
}
