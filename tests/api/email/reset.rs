//! Password reset: the link, every session ending, the old password refused and the new one
//! working; the same answer for unknown addresses; single use and expiry; the second factor;
//! the limits.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{
    PASSWORD_CHANGED_SUBJECT, RESET_SUBJECT, enable_two_factor, expire_links, field, me, refresh,
    register_verified, spawn, spawn_with,
};
use crate::helpers::{TestApp, code};

const REQUEST: &str = "mutation($e: String!) { requestPasswordReset(email: $e) }";
const RESET: &str = "mutation($t: String!, $p: String!, $c: String) { resetPassword(token: $t, newPassword: $p, code: $c) { accessToken refreshToken expiresIn user { id email emailVerified } } }";

async fn request(app: &TestApp, email: &str) -> Value {
    app.gql(None, REQUEST, json!({ "e": email })).await
}

async fn reset(app: &TestApp, token: &str, password: &str, code: Option<&str>) -> Value {
    app.gql(None, RESET, json!({ "t": token, "p": password, "c": code }))
        .await
}

#[tokio::test]
async fn a_reset_ends_every_session_refuses_the_old_password_and_signs_in_with_the_new_one() {
    let (app, smtp) = spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let second_device = app.login("ann@example.com", "correct horse").await;
    let second_refresh = second_device["data"]["login"]["refreshToken"]
        .as_str()
        .expect("second session")
        .to_owned();

    let asked = request(&app, "  ANN@example.com ").await;
    assert_eq!(asked["data"]["requestPasswordReset"], true, "{asked}");
    let mail = smtp.wait_for("ann@example.com", RESET_SUBJECT).await;
    assert_eq!(mail.parts, ["text/plain", "text/html"]);
    let token = mail.token("reset-password").expect("reset link");
    assert!(
        mail.html
            .as_deref()
            .is_some_and(|h| h.contains(&format!("reset-password#token={token}")))
    );

    let body = reset(&app, &token, "a brand new password", None).await;
    let payload = &body["data"]["resetPassword"];
    assert_eq!(payload["user"]["id"], ann.user_id.as_str(), "{body}");
    assert_eq!(
        payload["user"]["emailVerified"], true,
        "the reset proved the inbox"
    );
    let new_access = payload["accessToken"].as_str().expect("access").to_owned();
    let new_refresh = payload["refreshToken"]
        .as_str()
        .expect("refresh")
        .to_owned();

    // Every earlier session is gone.
    for old in [&ann.refresh, &second_refresh] {
        let refused = refresh(&app, old).await;
        assert_eq!(code(&refused), "UNAUTHENTICATED", "{refused}");
    }
    // The old password no longer signs in; the new one does.
    let old = app.login("ann@example.com", "correct horse").await;
    assert_eq!(code(&old), "UNAUTHENTICATED", "{old}");
    let new = app.login("ann@example.com", "a brand new password").await;
    assert_eq!(new["data"]["login"]["__typename"], "AuthPayload", "{new}");
    // The session the reset started works.
    assert_eq!(me(&app, &new_access).await["id"], ann.user_id.as_str());
    let refreshed = refresh(&app, &new_refresh).await;
    assert!(
        refreshed["data"]["refreshTokens"]["accessToken"].is_string(),
        "{refreshed}"
    );
    // The link works once.
    let again = reset(&app, &token, "yet another password", None).await;
    assert_eq!(code(&again), "BAD_USER_INPUT", "{again}");
    assert_eq!(field(&again), "token");
    // The account's address is told.
    smtp.wait_for("ann@example.com", PASSWORD_CHANGED_SUBJECT)
        .await;
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_as_fast_and_no_mail() {
    let (app, smtp) = spawn().await;
    app.register("ann@example.com", "ann").await;
    // Warm up (connections, the first statements) before timing.
    request(&app, "warm@example.com").await;

    let mut known = Duration::ZERO;
    let mut unknown = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        let body = request(&app, "ann@example.com").await;
        known += started.elapsed();
        assert_eq!(body, json!({ "data": { "requestPasswordReset": true } }));
        let started = Instant::now();
        let body = request(&app, "nobody@example.com").await;
        unknown += started.elapsed();
        assert_eq!(body, json!({ "data": { "requestPasswordReset": true } }));
    }
    // Neither answer waits on the lookup or the mail; both are quick.
    assert!(known < Duration::from_secs(2), "{known:?}");
    assert!(unknown < Duration::from_secs(2), "{unknown:?}");
    smtp.wait_for_count("ann@example.com", RESET_SUBJECT, 5)
        .await;
    assert_eq!(smtp.count("nobody@example.com", ""), 0);
    assert_eq!(smtp.count("warm@example.com", ""), 0);

    let malformed = request(&app, "not an address").await;
    assert_eq!(code(&malformed), "BAD_USER_INPUT", "{malformed}");
    assert_eq!(field(&malformed), "email");
}

#[tokio::test]
async fn an_expired_or_wrong_reset_link_changes_nothing() {
    let (app, smtp) = spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    request(&app, "ann@example.com").await;
    let token = smtp
        .wait_for("ann@example.com", RESET_SUBJECT)
        .await
        .token("reset-password")
        .expect("link");

    // A too short password is refused before the link is spent.
    let short = reset(&app, &token, "short", None).await;
    assert_eq!(code(&short), "BAD_USER_INPUT", "{short}");
    assert_eq!(field(&short), "newPassword");
    let wrong = reset(&app, "made-up", "a brand new password", None).await;
    assert_eq!(field(&wrong), "token", "{wrong}");
    // A verification link is no reset link.
    let verification = smtp
        .wait_for("ann@example.com", super::VERIFY_SUBJECT)
        .await
        .token("verify-email")
        .expect("link");
    let crossed = reset(&app, &verification, "a brand new password", None).await;
    assert_eq!(field(&crossed), "token", "{crossed}");

    expire_links(&app).await;
    let expired = reset(&app, &token, "a brand new password", None).await;
    assert_eq!(code(&expired), "BAD_USER_INPUT", "{expired}");
    assert_eq!(field(&expired), "token");
    // Nothing changed.
    let login = app.login("ann@example.com", "correct horse").await;
    assert_eq!(
        login["data"]["login"]["__typename"], "AuthPayload",
        "{login}"
    );
    assert!(refresh(&app, &ann.refresh).await["data"]["refreshTokens"].is_object());
}

#[tokio::test]
async fn a_reset_of_a_verified_account_with_two_factor_needs_a_code() {
    let (app, smtp) = spawn().await;
    let ann = register_verified(&app, &smtp, "ann@example.com").await;
    let recovery = enable_two_factor(&app, &ann.access).await;
    request(&app, "ann@example.com").await;
    let token = smtp
        .wait_for("ann@example.com", RESET_SUBJECT)
        .await
        .token("reset-password")
        .expect("link");

    let missing = reset(&app, &token, "a brand new password", None).await;
    assert_eq!(code(&missing), "BAD_USER_INPUT", "{missing}");
    assert_eq!(field(&missing), "code");
    let wrong = reset(&app, &token, "a brand new password", Some("000000")).await;
    assert_eq!(field(&wrong), "code", "{wrong}");
    // The link survived both; with a recovery code it works.
    let body = reset(&app, &token, "a brand new password", Some(&recovery[0])).await;
    let access = body["data"]["resetPassword"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(me(&app, access).await["twoFactorEnabled"], true);
    // Password sign-in still asks for the second factor.
    let login = app.login("ann@example.com", "a brand new password").await;
    assert_eq!(
        login["data"]["login"]["__typename"], "TwoFactorChallenge",
        "{login}"
    );
}

#[tokio::test]
async fn a_reset_of_an_unverified_account_removes_a_second_factor_nobody_proved() {
    let (app, smtp) = spawn().await;
    // Mallory registered Ann's address and turned two-factor authentication on.
    let mallory = app.register("ann@example.com", "mallory").await;
    enable_two_factor(&app, &mallory.access).await;
    // Ann, who reads the inbox, resets the password without any code.
    request(&app, "ann@example.com").await;
    let token = smtp
        .wait_for("ann@example.com", RESET_SUBJECT)
        .await
        .token("reset-password")
        .expect("link");
    let body = reset(&app, &token, "ann's own password", None).await;
    let access = body["data"]["resetPassword"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    let account = me(&app, access).await;
    assert_eq!(account["twoFactorEnabled"], false, "{account}");
    assert_eq!(account["emailVerified"], true);
    let refused = refresh(&app, &mallory.refresh).await;
    assert_eq!(code(&refused), "UNAUTHENTICATED");
    let login = app.login("ann@example.com", "ann's own password").await;
    assert_eq!(
        login["data"]["login"]["__typename"], "AuthPayload",
        "{login}"
    );
}

#[tokio::test]
async fn reset_requests_are_limited_per_address_and_per_client() {
    let (app, _smtp) = spawn_with(&[
        ("RATE_LIMIT_RESET_PER_ACCOUNT", "2/3600"),
        ("RATE_LIMIT_RESET_PER_CLIENT", "4/3600"),
    ])
    .await;
    for _ in 0..2 {
        assert_eq!(
            request(&app, "ann@example.com").await["data"]["requestPasswordReset"],
            true
        );
    }
    let limited = request(&app, "Ann@Example.com").await;
    assert_eq!(code(&limited), "TOO_MANY_REQUESTS", "{limited}");
    assert!(limited["errors"][0]["extensions"]["retryAfter"].as_u64() > Some(0));
    // Another address has its own count, until the client's runs out.
    assert_eq!(
        request(&app, "bob@example.com").await["data"]["requestPasswordReset"],
        true
    );
    let limited = request(&app, "carol@example.com").await;
    assert_eq!(code(&limited), "TOO_MANY_REQUESTS", "{limited}");
}
