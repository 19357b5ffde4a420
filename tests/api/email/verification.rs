//! The verification link: mailed at registration, verifying once, refused when wrong, used or
//! expired; resent on demand, with a limit.

use serde_json::json;

use super::{FRONTEND, VERIFY_SUBJECT, expire_links, field, me, spawn, spawn_with, verify_email};
use crate::helpers::code;

const RESEND: &str = "mutation { resendVerificationEmail }";

#[tokio::test]
async fn registering_mails_a_link_that_verifies_the_address() {
    let (app, smtp) = spawn().await;
    let ann = app.register("Ann@Example.com", "Ann").await;
    assert_eq!(me(&app, &ann.access).await["emailVerified"], false);

    let mail = smtp.wait_for("ann@example.com", VERIFY_SUBJECT).await;
    assert_eq!(mail.mail_from, "no-reply@soundroom.test");
    assert_eq!(mail.from, "Soundroom <no-reply@soundroom.test>");
    assert_eq!(mail.content_type, "multipart/alternative");
    assert_eq!(mail.parts, ["text/plain", "text/html"]);
    assert!(mail.message_id.contains('@'), "{}", mail.message_id);
    let token = mail.token("verify-email").expect("link in the text part");
    let link = format!("{FRONTEND}/verify-email#token={token}");
    assert!(mail.text().contains(&link), "{}", mail.text());
    assert!(mail.text().contains("Hi Ann,"));
    let html = mail.html.clone().expect("html part");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(!html.contains("<img"), "no remote content");
    assert!(token.len() >= 43, "256 random bits: {token}");

    let body = verify_email(&app, &token).await;
    let user = &body["data"]["verifyEmail"];
    assert_eq!(user["id"], ann.user_id.as_str(), "{body}");
    assert_eq!(user["email"], "ann@example.com");
    assert_eq!(user["emailVerified"], true);
    assert_eq!(me(&app, &ann.access).await["emailVerified"], true);

    // Nobody else learns it.
    let bob = app.register("bob@example.com", "bob").await;
    let seen = app
        .gql(
            Some(&bob.access),
            "query($id: UUID!) { user(id: $id) { email emailVerified } }",
            json!({ "id": ann.user_id }),
        )
        .await;
    assert_eq!(seen["data"]["user"]["emailVerified"], false, "{seen}");
    assert_eq!(seen["data"]["user"]["email"], json!(null));

    // Only the hash of the token is stored.
    use sea_orm::EntityTrait;
    let rows = entity::email_token::Entity::find()
        .all(&app.state.db)
        .await
        .expect("tokens");
    assert!(
        rows.iter()
            .all(|r| r.token_hash != token && r.token_hash.len() == 64)
    );
}

#[tokio::test]
async fn a_wrong_used_or_expired_verification_link_is_refused() {
    let (app, smtp) = spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let first = smtp
        .wait_for("ann@example.com", VERIFY_SUBJECT)
        .await
        .token("verify-email")
        .expect("link");

    let wrong = verify_email(&app, "not-a-token").await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT", "{wrong}");
    assert_eq!(field(&wrong), "token");

    // A resent link works too; once one is used, the others die with it.
    let resent = app.gql(Some(&ann.access), RESEND, json!({})).await;
    assert_eq!(resent["data"]["resendVerificationEmail"], true, "{resent}");
    let mails = smtp
        .wait_for_count("ann@example.com", VERIFY_SUBJECT, 2)
        .await;
    let second = mails
        .iter()
        .filter_map(|m| m.token("verify-email"))
        .find(|t| *t != first)
        .expect("a second link");
    let body = verify_email(&app, &second).await;
    assert_eq!(body["data"]["verifyEmail"]["emailVerified"], true, "{body}");
    for used in [&second, &first] {
        let again = verify_email(&app, used).await;
        assert_eq!(code(&again), "BAD_USER_INPUT", "{again}");
        assert_eq!(field(&again), "token");
    }
    // Verified already: nothing to resend.
    let resent = app.gql(Some(&ann.access), RESEND, json!({})).await;
    assert_eq!(resent["data"]["resendVerificationEmail"], false, "{resent}");

    // An expired link.
    app.register("bob@example.com", "bob").await;
    let bobs = smtp
        .wait_for("bob@example.com", VERIFY_SUBJECT)
        .await
        .token("verify-email")
        .expect("link");
    expire_links(&app).await;
    let expired = verify_email(&app, &bobs).await;
    assert_eq!(code(&expired), "BAD_USER_INPUT", "{expired}");
    assert_eq!(field(&expired), "token");
    assert!(
        expired["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{expired}"
    );

    // Resending needs a signed-in user.
    let anonymous = app.gql(None, RESEND, json!({})).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
}

#[tokio::test]
async fn resending_is_limited_per_account() {
    let (app, smtp) = spawn_with(&[("RATE_LIMIT_EMAIL_PER_ACCOUNT", "2/3600")]).await;
    let ann = app.register("ann@example.com", "ann").await;
    for _ in 0..2 {
        let ok = app.gql(Some(&ann.access), RESEND, json!({})).await;
        assert_eq!(ok["data"]["resendVerificationEmail"], true, "{ok}");
    }
    let limited = app.gql(Some(&ann.access), RESEND, json!({})).await;
    assert_eq!(code(&limited), "TOO_MANY_REQUESTS", "{limited}");
    // Registration's link plus the two resent ones.
    smtp.wait_for_count("ann@example.com", VERIFY_SUBJECT, 3)
        .await;
}
