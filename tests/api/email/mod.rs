//! Accounts by email against a real SMTP server started by each test (aiosmtpd, see
//! `helpers::smtp`): the verification link, password reset, email change, password change, and
//! delivery (the mail server down, a restart, the development outbox, the features off).

mod change;
mod delivery;
mod linking;
mod reset;
mod verification;

use sea_orm::{EntityTrait, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, smtp::SmtpServer};

pub const FRONTEND: &str = "http://frontend.test";

pub const VERIFY_SUBJECT: &str = "Verify your Soundroom email address";
pub const RESET_SUBJECT: &str = "Reset your Soundroom password";
pub const CONFIRM_SUBJECT: &str = "Confirm your new Soundroom email address";
pub const NOTICE_SUBJECT: &str = "Your Soundroom email address is about to change";
pub const PASSWORD_CHANGED_SUBJECT: &str = "Your Soundroom password was changed";

/// The settings of a server that mails through `smtp_url` and retries quickly.
pub fn mail_settings(smtp_url: &str) -> Vec<(String, String)> {
    [
        ("SMTP_URL", smtp_url),
        ("FRONTEND_URL", FRONTEND),
        ("MAIL_FROM", "Soundroom <no-reply@soundroom.test>"),
        ("MAIL_RETRY_MIN_MS", "100"),
        ("MAIL_RETRY_MAX_MS", "300"),
        ("SMTP_TIMEOUT_SECS", "1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// A server mailing through `smtp_url`, with `extra` settings on top.
pub async fn spawn_mailing_to(smtp_url: &str, extra: &[(&str, &str)]) -> TestApp {
    let settings = mail_settings(smtp_url);
    let mut pairs: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.extend_from_slice(extra);
    TestApp::spawn_with(&pairs).await
}

/// An SMTP server and a server mailing through it.
pub async fn spawn() -> (TestApp, SmtpServer) {
    spawn_with(&[]).await
}

pub async fn spawn_with(extra: &[(&str, &str)]) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let app = spawn_mailing_to(&smtp.url(), extra).await;
    (app, smtp)
}

/// `extensions.field` of the first error.
pub fn field(body: &Value) -> &str {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field in {body}"))
}

pub async fn me(app: &TestApp, access: &str) -> Value {
    let body = app
        .gql(
            Some(access),
            "{ me { id email emailVerified twoFactorEnabled } }",
            json!({}),
        )
        .await;
    body["data"]["me"].clone()
}

pub async fn verify_email(app: &TestApp, token: &str) -> Value {
    app.gql(
        None,
        "mutation($t: String!) { verifyEmail(token: $t) { id email emailVerified } }",
        json!({ "t": token }),
    )
    .await
}

pub async fn refresh(app: &TestApp, refresh_token: &str) -> Value {
    app.gql(
        None,
        "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken refreshToken } }",
        json!({ "t": refresh_token }),
    )
    .await
}

/// Registers `email` and follows the verification link that arrives.
pub async fn register_verified(app: &TestApp, smtp: &SmtpServer, email: &str) -> Session {
    let session = app.register(email, "ann").await;
    let mail = smtp.wait_for(email, VERIFY_SUBJECT).await;
    let token = mail.token("verify-email").expect("verification link");
    let body = verify_email(app, &token).await;
    assert_eq!(body["data"]["verifyEmail"]["emailVerified"], true, "{body}");
    session
}

/// Turns two-factor authentication on for the signed-in user; returns the recovery codes.
pub async fn enable_two_factor(app: &TestApp, access: &str) -> Vec<String> {
    let setup = app
        .gql(
            Some(access),
            "mutation { beginTwoFactorSetup { secret } }",
            json!({}),
        )
        .await;
    let secret = setup["data"]["beginTwoFactorSetup"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{setup}"));
    let code = totp_rs::Builder::new()
        .with_secret(
            totp_rs::Secret::try_from_base32(secret)
                .expect("base32")
                .as_bytes()
                .to_vec(),
        )
        .build()
        .expect("totp")
        .generate(chrono::Utc::now().timestamp() as u64)
        .to_string();
    let on = app
        .gql(
            Some(access),
            "mutation($c: String!) { enableTwoFactor(code: $c) { recoveryCodes } }",
            json!({ "c": code }),
        )
        .await;
    on["data"]["enableTwoFactor"]["recoveryCodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{on}"))
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect()
}

/// Moves every mailed link's expiry into the past.
pub async fn expire_links(app: &TestApp) {
    entity::email_token::Entity::update_many()
        .col_expr(
            entity::email_token::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .exec(&app.state.db)
        .await
        .expect("expire links");
}

/// Mails still waiting in the queue.
pub async fn queued(app: &TestApp) -> Vec<entity::outbound_mail::Model> {
    entity::outbound_mail::Entity::find()
        .all(&app.state.db)
        .await
        .expect("queue")
}
