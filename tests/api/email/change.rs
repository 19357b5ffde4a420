//! Changing the address (confirmed from the new inbox, with a notice to the old one) and the
//! password (the caller's session stays, every other one ends).

use serde_json::{Value, json};

use super::{CONFIRM_SUBJECT, NOTICE_SUBJECT, PASSWORD_CHANGED_SUBJECT, field, me, refresh, spawn};
use crate::helpers::{TestApp, code};

const CHANGE_EMAIL: &str =
    "mutation($e: String!, $p: String!) { changeEmail(newEmail: $e, password: $p) }";
const CONFIRM: &str =
    "mutation($t: String!) { confirmEmailChange(token: $t) { id email emailVerified } }";
const CHANGE_PASSWORD: &str =
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

async fn change_email(app: &TestApp, access: &str, email: &str, password: &str) -> Value {
    app.gql(
        Some(access),
        CHANGE_EMAIL,
        json!({ "e": email, "p": password }),
    )
    .await
}

async fn confirm(app: &TestApp, token: &str) -> Value {
    app.gql(None, CONFIRM, json!({ "t": token })).await
}

#[tokio::test]
async fn the_address_changes_when_the_new_inbox_confirms() {
    let (app, smtp) = spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let asked = change_email(&app, &ann.access, "Ann.New@Example.com", "correct horse").await;
    assert_eq!(asked["data"]["changeEmail"], true, "{asked}");

    let confirmation = smtp.wait_for("ann.new@example.com", CONFIRM_SUBJECT).await;
    assert_eq!(confirmation.parts, ["text/plain", "text/html"]);
    let token = confirmation.token("confirm-email").expect("link");
    let notice = smtp.wait_for("ann@example.com", NOTICE_SUBJECT).await;
    assert!(
        notice.text().contains("ann.new@example.com"),
        "{}",
        notice.text()
    );
    assert!(
        notice.token("confirm-email").is_none(),
        "the old inbox gets no link"
    );

    // Nothing changed yet.
    assert_eq!(me(&app, &ann.access).await["email"], "ann@example.com");
    let early = app.login("ann.new@example.com", "correct horse").await;
    assert_eq!(code(&early), "UNAUTHENTICATED");

    let body = confirm(&app, &token).await;
    let user = &body["data"]["confirmEmailChange"];
    assert_eq!(user["id"], ann.user_id.as_str(), "{body}");
    assert_eq!(user["email"], "ann.new@example.com");
    assert_eq!(user["emailVerified"], true);
    let login = app.login("ann.new@example.com", "correct horse").await;
    assert_eq!(
        login["data"]["login"]["__typename"], "AuthPayload",
        "{login}"
    );
    let old = app.login("ann@example.com", "correct horse").await;
    assert_eq!(code(&old), "UNAUTHENTICATED");
    // Sessions go on; the link works once.
    assert!(refresh(&app, &ann.refresh).await["data"]["refreshTokens"].is_object());
    let again = confirm(&app, &token).await;
    assert_eq!(code(&again), "BAD_USER_INPUT", "{again}");
    assert_eq!(field(&again), "token");
    // The old address is free again.
    app.register("ann@example.com", "someone").await;
}

#[tokio::test]
async fn an_email_change_needs_the_password_and_a_free_address() {
    let (app, smtp) = spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    app.register("bob@example.com", "bob").await;

    let wrong = change_email(&app, &ann.access, "ann.new@example.com", "wrong horse").await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT", "{wrong}");
    assert_eq!(field(&wrong), "password");
    let taken = change_email(&app, &ann.access, "BOB@example.com", "correct horse").await;
    assert_eq!(code(&taken), "CONFLICT", "{taken}");
    assert_eq!(field(&taken), "newEmail");
    let same = change_email(&app, &ann.access, "ann@example.com", "correct horse").await;
    assert_eq!(field(&same), "newEmail", "{same}");
    let malformed = change_email(&app, &ann.access, "nope", "correct horse").await;
    assert_eq!(field(&malformed), "newEmail", "{malformed}");
    let anonymous = app
        .gql(
            None,
            CHANGE_EMAIL,
            json!({ "e": "x@example.com", "p": "correct horse" }),
        )
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");

    // The address is taken between the request and the confirmation.
    let asked = change_email(&app, &ann.access, "free@example.com", "correct horse").await;
    assert_eq!(asked["data"]["changeEmail"], true, "{asked}");
    let token = smtp
        .wait_for("free@example.com", CONFIRM_SUBJECT)
        .await
        .token("confirm-email")
        .expect("link");
    app.register("free@example.com", "carol").await;
    let conflict = confirm(&app, &token).await;
    assert_eq!(code(&conflict), "CONFLICT", "{conflict}");
    assert_eq!(me(&app, &ann.access).await["email"], "ann@example.com");
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_keeps_the_callers() {
    let (app, smtp) = spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let other = app.login("ann@example.com", "correct horse").await;
    let other_refresh = other["data"]["login"]["refreshToken"]
        .as_str()
        .expect("second session")
        .to_owned();
    // An email change asked for with the old password…
    let asked = change_email(&app, &ann.access, "elsewhere@example.com", "correct horse").await;
    assert_eq!(asked["data"]["changeEmail"], true, "{asked}");
    let pending = smtp
        .wait_for("elsewhere@example.com", CONFIRM_SUBJECT)
        .await
        .token("confirm-email")
        .expect("link");

    let wrong = app
        .gql(
            Some(&ann.access),
            CHANGE_PASSWORD,
            json!({ "c": "wrong horse", "n": "a brand new password" }),
        )
        .await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT", "{wrong}");
    assert_eq!(field(&wrong), "currentPassword");
    let short = app
        .gql(
            Some(&ann.access),
            CHANGE_PASSWORD,
            json!({ "c": "correct horse", "n": "short" }),
        )
        .await;
    assert_eq!(field(&short), "newPassword", "{short}");

    let changed = app
        .gql(
            Some(&ann.access),
            CHANGE_PASSWORD,
            json!({ "c": "correct horse", "n": "a brand new password" }),
        )
        .await;
    assert_eq!(changed["data"]["changePassword"], true, "{changed}");

    let dead = refresh(&app, &other_refresh).await;
    assert_eq!(code(&dead), "UNAUTHENTICATED", "{dead}");
    let alive = refresh(&app, &ann.refresh).await;
    assert!(alive["data"]["refreshTokens"].is_object(), "{alive}");
    assert_eq!(me(&app, &ann.access).await["id"], ann.user_id.as_str());
    let old = app.login("ann@example.com", "correct horse").await;
    assert_eq!(code(&old), "UNAUTHENTICATED");
    let new = app.login("ann@example.com", "a brand new password").await;
    assert_eq!(new["data"]["login"]["__typename"], "AuthPayload", "{new}");
    smtp.wait_for("ann@example.com", PASSWORD_CHANGED_SUBJECT)
        .await;
    // …is void now.
    let void = confirm(&app, &pending).await;
    assert_eq!(field(&void), "token", "{void}");
    assert_eq!(me(&app, &ann.access).await["email"], "ann@example.com");
}
