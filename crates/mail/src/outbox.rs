use std::sync::Arc;

use async_trait::async_trait;
use codex_database::{Database, DbError, SqlValue};

use crate::{Delivery, Email, MailError, Mailer, check, mask_address};

/// Records, logs and (when configured) delivers every message.
pub struct OutboxMailer {
    database: Arc<dyn Database>,
    from: String,
    delivery: Option<Arc<dyn Delivery>>,
}

impl OutboxMailer {
    pub fn new(
        database: Arc<dyn Database>,
        from: impl Into<String>,
        delivery: Option<Arc<dyn Delivery>>,
    ) -> Self {
        Self {
            database,
            from: from.into(),
            delivery,
        }
    }
}

impl OutboxMailer {
    async fn record_refused(&self, email: &Email, transport: &str, refused: &MailError) {
        // The columns hold at most 998 characters of subject; the rest of a
        // refused message is kept as it came.
        let subject: String = email.subject.chars().take(998).collect();
        let recorded = self
            .database
            .execute(
                "INSERT INTO mail_outbox (to_address, from_address, subject, text_body, html_body, transport, status, error) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'failed', $7)",
                &[
                    email.to.trim().into(),
                    self.from.as_str().into(),
                    subject.into(),
                    email.text.as_str().into(),
                    email.html.clone().into(),
                    transport.into(),
                    refused.to_string().into(),
                ],
            )
            .await;
        match recorded {
            Ok(_) => tracing::error!(
                to = %mask_address(&email.to),
                error = %refused,
                "e-mail refused before sending; recorded as failed"
            ),
            Err(error) => tracing::error!(%error, "could not record a refused e-mail"),
        }
    }
}

fn outbox_error(error: &DbError) -> MailError {
    MailError::Outbox(error.to_string())
}

impl OutboxMailer {
    fn transport(&self) -> &'static str {
        self.delivery.as_ref().map_or("outbox", |d| d.name())
    }

    /// One row in `mail_outbox`, with `status`; its id.
    async fn record(
        &self,
        to: &str,
        email: &Email,
        status: &str,
    ) -> Result<Option<uuid::Uuid>, MailError> {
        let row = self
            .database
            .query_opt(
                "INSERT INTO mail_outbox (to_address, from_address, subject, text_body, html_body, transport, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[
                    to.into(),
                    self.from.as_str().into(),
                    email.subject.as_str().into(),
                    email.text.as_str().into(),
                    email.html.clone().into(),
                    self.transport().into(),
                    status.into(),
                ],
            )
            .await
            .map_err(|e| outbox_error(&e))?;
        row.map(|row| row.get("id"))
            .transpose()
            .map_err(|e| outbox_error(&e))
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let transport = self.transport();
        if let Err(refused) = check(email) {
            // Never sent (a header-unsafe subject or a bad recipient), but
            // never lost either: recorded as failed with the reason.
            self.record_refused(email, transport, &refused).await;
            return Err(refused);
        }
        let id = self.record(email.to.trim(), email, "kept").await?;
        let Some(delivery) = &self.delivery else {
            tracing::info!(
                outbox_id = ?id,
                to = %mask_address(&email.to),
                subject = %email.subject,
                "e-mail kept in the outbox (no mail transport configured)"
            );
            return Ok(());
        };
        let result = delivery.deliver(&self.from, email).await;
        let (status, error) = match &result {
            Ok(()) => ("sent", None),
            Err(error) => ("failed", Some(error.to_string())),
        };
        self.database
            .execute(
                "UPDATE mail_outbox SET status = $2, error = $3 WHERE id = $1",
                &[SqlValue::Uuid(id), status.into(), error.into()],
            )
            .await
            .map_err(|e| outbox_error(&e))?;
        match &result {
            Ok(()) => {
                tracing::info!(outbox_id = ?id, to = %mask_address(&email.to), transport, "e-mail sent");
            }
            Err(error) => {
                tracing::warn!(outbox_id = ?id, to = %mask_address(&email.to), transport, %error, "e-mail delivery failed");
            }
        }
        result
    }

    async fn withhold(&self, email: &Email) -> Result<(), MailError> {
        let masked = Email {
            to: mask_address(email.to.trim()),
            ..email.clone()
        };
        if let Err(refused) = check(email) {
            // As `send` records a refused message.
            self.record_refused(&masked, self.transport(), &refused)
                .await;
            return Err(refused);
        }
        let id = self.record(&masked.to, email, "withheld").await?;
        tracing::debug!(outbox_id = ?id, to = %mask_address(&email.to), subject = %email.subject, "e-mail withheld");
        Ok(())
    }
}

/// A recorded message, as the development outbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    pub id: uuid::Uuid,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub transport: String,
    pub status: String,
    pub created_at: String,
}

/// The messages sent to `address` (case-insensitive), newest first.
pub async fn read_outbox(
    database: &dyn Database,
    address: &str,
    limit: i64,
) -> Result<Vec<OutboxEntry>, DbError> {
    let rows = database
        .query(
            "SELECT id, to_address, from_address, subject, text_body, html_body, transport, status, created_at \
             FROM mail_outbox WHERE lower(to_address) = lower($1) AND status <> 'withheld' ORDER BY created_at DESC, id DESC LIMIT $2",
            &[address.trim().into(), limit.into()],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxEntry {
                id: row.get("id")?,
                to: row.get("to_address")?,
                from: row.get("from_address")?,
                subject: row.get("subject")?,
                text: row.get("text_body")?,
                html: row.get("html_body")?,
                transport: row.get("transport")?,
                status: row.get("status")?,
                created_at: row
                    .get::<chrono::DateTime<chrono::Utc>>("created_at")?
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            })
        })
        .collect()
}
