use async_trait::async_trait;
use codex_config::Secret;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{Delivery, Email, MailError};

/// Any SMTP server, from `SMTP_URL` (`smtp://host:port` for plain or
/// STARTTLS-less local servers, `smtps://user:pass@host:465` for TLS).
pub struct SmtpDelivery {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpDelivery {
    pub fn new(url: &Secret) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|_| MailError::Delivery("SMTP_URL is not a valid SMTP URL".to_owned()))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        Ok(Self { transport })
    }
}

#[async_trait]
impl Delivery for SmtpDelivery {
    fn name(&self) -> &'static str {
        "smtp"
    }

    async fn deliver(&self, from: &str, email: &Email) -> Result<(), MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailError::Invalid("MAIL_FROM is not a mailbox"))?;
        let to: Mailbox = email
            .to
            .trim()
            .parse()
            .map_err(|_| MailError::Invalid("recipient is not an e-mail address"))?;
        let builder = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone());
        let message = match &email.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                html.clone(),
            )),
            None => builder.body(email.text.clone()),
        }
        .map_err(|error| MailError::Delivery(error.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|error| MailError::Delivery(error.to_string()))
    }
}
