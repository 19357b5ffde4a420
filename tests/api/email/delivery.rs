//! Delivery: requests never wait on the mail server; mails wait in the queue (sealed) while it is
//! down or silent, across a restart, and go out when it is back; the development outbox; the
//! features off.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::TcpListener;

use super::{RESET_SUBJECT, VERIFY_SUBJECT, queued, spawn_mailing_to};
use crate::helpers::smtp::{SmtpServer, free_port};
use crate::helpers::{TestApp, code};

/// Accepts connections on `port` and never says a word (a hung mail server).
async fn silent_server(port: u16) -> tokio::task::JoinHandle<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind the silent server");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    })
}

#[tokio::test]
async fn requests_answer_at_once_while_the_mail_server_hangs_and_the_mail_goes_out_when_it_is_back()
{
    let port = free_port();
    let silent = silent_server(port).await;
    let app = spawn_mailing_to(&format!("smtp://127.0.0.1:{port}"), &[]).await;

    let started = Instant::now();
    app.register("ann@example.com", "ann").await;
    let asked = app
        .gql(
            None,
            "mutation { requestPasswordReset(email: \"ann@example.com\") }",
            json!({}),
        )
        .await;
    assert_eq!(asked["data"]["requestPasswordReset"], true, "{asked}");
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1500),
        "the requests waited on the mail server: {took:?}"
    );

    // Attempts time out (SMTP_TIMEOUT_SECS=1) and are retried; the mails stay queued, sealed.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = queued(&app).await;
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    assert!(waiting.iter().any(|m| m.attempts >= 1), "{waiting:?}");
    for mail in &waiting {
        assert!(!mail.sealed.contains("ann@example.com") && !mail.sealed.contains("token="));
    }

    silent.abort();
    let _ = silent.await;
    let smtp = SmtpServer::start_on(port).await;
    smtp.wait_for("ann@example.com", VERIFY_SUBJECT).await;
    smtp.wait_for("ann@example.com", RESET_SUBJECT).await;
    for _ in 0..100 {
        if queued(&app).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        queued(&app).await.is_empty(),
        "delivered mails leave the queue"
    );
}

#[tokio::test]
async fn queued_mails_survive_a_restart() {
    // Nothing listens on the port yet: every attempt is refused.
    let port = free_port();
    let mut app = spawn_mailing_to(&format!("smtp://127.0.0.1:{port}"), &[]).await;
    app.register("ann@example.com", "ann").await;
    for _ in 0..100 {
        if queued(&app).await.iter().any(|m| m.last_error.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        queued(&app).await.iter().any(|m| m.last_error.is_some()),
        "an attempt failed"
    );

    app.restart().await;
    let smtp = SmtpServer::start_on(port).await;
    let mail = smtp.wait_for("ann@example.com", VERIFY_SUBJECT).await;
    let token = mail.token("verify-email").expect("link");
    let body = super::verify_email(&app, &token).await;
    assert_eq!(body["data"]["verifyEmail"]["emailVerified"], true, "{body}");
    assert_eq!(
        smtp.count("ann@example.com", VERIFY_SUBJECT),
        1,
        "sent once"
    );
}

#[tokio::test]
async fn without_smtp_url_mails_are_written_to_the_outbox() {
    let app = TestApp::spawn().await;
    app.register("ann@example.com", "ann").await;
    let outbox = app.data_dir.join("outbox");
    let mut files = Vec::new();
    for _ in 0..100 {
        files = std::fs::read_dir(&outbox)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(files.len(), 1, "{files:?}");
    let eml = std::fs::read_to_string(&files[0]).expect("eml");
    assert!(eml.contains("To: ann@example.com"), "{eml}");
    assert!(eml.contains("Subject: Verify your Soundroom email address"));
    assert!(eml.contains("multipart/alternative"));
    assert!(eml.contains("text/plain") && eml.contains("text/html"));
}

#[tokio::test]
async fn with_email_features_off_nothing_is_mailed_and_the_mail_mutations_say_so() {
    let app = TestApp::spawn_with(&[("EMAIL_FEATURES", "off")]).await;
    let ann = app.register("ann@example.com", "ann").await;
    let resend = app
        .gql(
            Some(&ann.access),
            "mutation { resendVerificationEmail }",
            json!({}),
        )
        .await;
    assert_eq!(code(&resend), "NOT_FOUND", "{resend}");
    let reset = app
        .gql(
            None,
            "mutation { requestPasswordReset(email: \"ann@example.com\") }",
            json!({}),
        )
        .await;
    assert_eq!(code(&reset), "NOT_FOUND", "{reset}");
    let change = app
        .gql(
            Some(&ann.access),
            "mutation { changeEmail(newEmail: \"new@example.com\", password: \"correct horse\") }",
            json!({}),
        )
        .await;
    assert_eq!(code(&change), "NOT_FOUND", "{change}");
    // Changing the password needs no mail.
    let changed = app
        .gql(
            Some(&ann.access),
            "mutation { changePassword(currentPassword: \"correct horse\", newPassword: \"a brand new password\") }",
            json!({}),
        )
        .await;
    assert_eq!(changed["data"]["changePassword"], true, "{changed}");
    assert!(queued(&app).await.is_empty());
    assert!(!app.data_dir.join("outbox").exists());
}
