//! The outbox mailer against real PostgreSQL, delivering over real SMTP to an
//! in-test SMTP server, and to the Resend stand-in (`codex_testkit::resend`),
//! which checks each request as strictly as the real API.

use std::sync::Arc;

use codex_config::Secret;
use codex_database::Database;
use codex_mail::{
    Email, MailError, Mailer, OutboxMailer, ResendDelivery, SmtpDelivery, read_outbox,
};
use codex_outbound::default_client;
use codex_testkit::TestDatabase;
use codex_testkit::resend::StandIn;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

fn email(to: &str, subject: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("Text of {subject}"),
        html: Some(format!("<p>{subject}</p>")),
    }
}

#[tokio::test]
async fn without_a_transport_messages_are_kept_and_read_back_newest_first() {
    let test = TestDatabase::new().await;
    let mailer = OutboxMailer::new(test.database(), "Codex <no-reply@example.com>", None);
    mailer
        .send(&email("Reader@Example.com", "First"))
        .await
        .expect("send");
    mailer
        .send(&email("reader@example.com", "Second"))
        .await
        .expect("send");
    mailer
        .send(&email("someone-else@example.com", "Other"))
        .await
        .expect("send");

    let messages = read_outbox(test.database().as_ref(), "READER@example.com", 10)
        .await
        .expect("read");
    let subjects: Vec<&str> = messages.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["Second", "First"]);
    assert_eq!(messages[0].status, "kept");
    assert_eq!(messages[0].transport, "outbox");
    assert_eq!(messages[0].html.as_deref(), Some("<p>Second</p>"));
    assert_eq!(messages[0].from, "Codex <no-reply@example.com>");
}

#[tokio::test]
async fn invalid_messages_are_refused_and_recorded_as_failed_not_lost() {
    let test = TestDatabase::new().await;
    let mailer = OutboxMailer::new(test.database(), "Codex <no-reply@example.com>", None);
    let error = mailer
        .send(&email("a@example.com", "Hi\r\nBcc: x@example.com"))
        .await
        .expect_err("injection");
    assert!(matches!(error, MailError::Invalid(_)), "{error:?}");
    let recorded = read_outbox(test.database().as_ref(), "a@example.com", 10)
        .await
        .expect("read");
    assert_eq!(recorded.len(), 1, "the refused message is on record");
    assert_eq!(recorded[0].status, "failed");
}

/// A minimal SMTP server: accepts one message and hands its text over.
async fn smtp_sink() -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write
            .write_all(b"220 sink ready\r\n")
            .await
            .expect("greeting");
        let mut message = String::new();
        let mut in_data = false;
        while let Ok(Some(line)) = lines.next_line().await {
            if in_data {
                if line == "." {
                    // One message is all this sink takes; the client's pool
                    // may keep the connection open, so stop here.
                    write.write_all(b"250 queued\r\n").await.expect("queued");
                    break;
                } else {
                    message.push_str(&line);
                    message.push('\n');
                }
                continue;
            }
            let verb = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250 sink\r\n",
                "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 go on\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.expect("bye");
                    break;
                }
                _ => b"502 not implemented\r\n",
            };
            write.write_all(reply).await.expect("reply");
        }
        message
    });
    (format!("smtp://{address}"), task)
}

#[tokio::test]
async fn smtp_delivery_reaches_a_real_smtp_server_and_is_recorded_as_sent() {
    let test = TestDatabase::new().await;
    let (url, received) = smtp_sink().await;
    let delivery = SmtpDelivery::new(&Secret::new(url)).expect("smtp url");
    let mailer = OutboxMailer::new(
        test.database(),
        "Codex <no-reply@example.com>",
        Some(Arc::new(delivery)),
    );
    mailer
        .send(&email("buyer@example.com", "Your receipt"))
        .await
        .expect("send");
    let message = received.await.expect("sink");
    assert!(message.contains("Subject: Your receipt"), "{message}");
    assert!(message.contains("To: buyer@example.com"), "{message}");
    assert!(message.contains("Text of Your receipt"), "{message}");
    let recorded = read_outbox(test.database().as_ref(), "buyer@example.com", 1)
        .await
        .expect("read");
    assert_eq!(recorded[0].status, "sent");
    assert_eq!(recorded[0].transport, "smtp");
}

/// The shared Resend stand-in, which checks each request as the API does.
async fn resend_stand_in(api_key: &str) -> (String, StandIn) {
    let any = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let (stand_in, address) = StandIn::start(any, api_key).await.expect("stand-in");
    (format!("http://{address}"), stand_in)
}

#[tokio::test]
async fn resend_delivery_sends_the_api_request_resend_expects() {
    let test = TestDatabase::new().await;
    let (api_url, received) = resend_stand_in("re_live_key").await;
    let delivery = ResendDelivery::new(Secret::new("re_live_key"), &api_url, default_client());
    let mailer = OutboxMailer::new(
        test.database(),
        "Codex <no-reply@example.com>",
        Some(Arc::new(delivery)),
    );
    mailer
        .send(&email("fan@example.com", "Welcome"))
        .await
        .expect("send");
    let body = received.received_by("fan@example.com")[0].clone();
    assert_eq!(body["from"], "Codex <no-reply@example.com>");
    assert_eq!(body["to"], serde_json::json!(["fan@example.com"]));
    assert_eq!(body["subject"], "Welcome");
    assert_eq!(body["html"], "<p>Welcome</p>");
    let recorded = read_outbox(test.database().as_ref(), "fan@example.com", 1)
        .await
        .expect("read");
    assert_eq!(
        (recorded[0].status.as_str(), recorded[0].transport.as_str()),
        ("sent", "resend")
    );
}

#[tokio::test]
async fn a_refused_delivery_is_reported_and_recorded_as_failed() {
    let test = TestDatabase::new().await;
    let (api_url, received) = resend_stand_in("re_live_key").await;
    let delivery = ResendDelivery::new(Secret::new("re_wrong_key"), &api_url, default_client());
    let mailer = OutboxMailer::new(
        test.database(),
        "Codex <no-reply@example.com>",
        Some(Arc::new(delivery)),
    );
    let error = mailer
        .send(&email("fan@example.com", "Welcome"))
        .await
        .expect_err("refused");
    assert!(matches!(error, MailError::Delivery(_)), "{error:?}");
    assert!(!error.to_string().contains("re_wrong_key"), "{error}");
    assert!(received.received_by("fan@example.com").is_empty());
    let recorded = read_outbox(test.database().as_ref(), "fan@example.com", 1)
        .await
        .expect("read");
    assert_eq!(recorded[0].status, "failed");
}

#[tokio::test]
async fn an_unreachable_resend_is_reported_without_the_key_and_recorded_as_failed() {
    let test = TestDatabase::new().await;
    // A port that was just free: nothing listens on it any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let delivery = ResendDelivery::new(
        Secret::new("re_live_key"),
        &format!("http://{address}"),
        default_client(),
    );
    let mailer = OutboxMailer::new(
        test.database(),
        "Codex <no-reply@example.com>",
        Some(Arc::new(delivery)),
    );
    let error = mailer
        .send(&email("fan@example.com", "Welcome"))
        .await
        .expect_err("unreachable");
    assert!(matches!(error, MailError::Delivery(_)), "{error:?}");
    assert!(!error.to_string().contains("re_live_key"), "{error}");
    let recorded = read_outbox(test.database().as_ref(), "fan@example.com", 1)
        .await
        .expect("read");
    assert_eq!(recorded[0].status, "failed");
}

#[tokio::test]
async fn a_withheld_message_is_recorded_masked_and_never_delivered_nor_read_back() {
    let test = TestDatabase::new().await;
    let (api_url, received) = resend_stand_in("re_live_key").await;
    let delivery = ResendDelivery::new(Secret::new("re_live_key"), &api_url, default_client());
    let mailer = OutboxMailer::new(
        test.database(),
        "Codex <no-reply@example.com>",
        Some(Arc::new(delivery)),
    );
    mailer
        .withhold(&email("stranger@example.com", "Reset your password"))
        .await
        .expect("withhold");
    assert!(received.received_by("stranger@example.com").is_empty());
    for address in ["stranger@example.com", "s***@example.com"] {
        assert!(
            read_outbox(test.database().as_ref(), address, 10)
                .await
                .expect("read")
                .is_empty(),
            "{address}"
        );
    }
    let rows = test
        .database()
        .query("SELECT to_address, status FROM mail_outbox", &[])
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].get::<String>("to_address").expect("to"),
        "s***@example.com"
    );
    assert_eq!(rows[0].get::<String>("status").expect("status"), "withheld");
    // A malformed message is refused as `send` refuses it.
    let refused = mailer
        .withhold(&email("nobody", "Reset your password"))
        .await
        .expect_err("invalid");
    assert!(matches!(refused, MailError::Invalid(_)), "{refused:?}");
}
