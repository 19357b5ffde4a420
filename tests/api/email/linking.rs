//! The Google linking rule with verification: an account whose address was verified keeps its
//! password and second factor when a Google identity with that address links to it; an
//! unverified one loses them (see `federated`), and with them the links its registrant asked
//! for.

use serde_json::{Value, json};

use super::{
    CONFIRM_SUBJECT, enable_two_factor, field, mail_settings, me, refresh, register_verified,
};
use crate::helpers::oidc_provider::{Identity, Provider, Tweak};
use crate::helpers::smtp::SmtpServer;
use crate::helpers::{TestApp, code};

async fn spawn(provider: &Provider, smtp: &SmtpServer) -> TestApp {
    let mut settings: Vec<(String, String)> = mail_settings(&smtp.url());
    settings.extend(
        provider
            .settings()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    let pairs: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    TestApp::spawn_with(&pairs).await
}

async fn google(app: &TestApp, provider: &Provider, identity: &Identity) -> Value {
    let token = provider.id_token(identity, Tweak::None);
    let body = app
        .gql(
            None,
            "mutation($t: String!) { loginWithGoogle(idToken: $t) { accessToken user { id email emailVerified twoFactorEnabled } } }",
            json!({ "t": token }),
        )
        .await;
    body["data"]["loginWithGoogle"].clone()
}

#[tokio::test]
async fn linking_a_verified_account_keeps_its_password_and_second_factor() {
    let provider = Provider::start().await;
    let smtp = SmtpServer::start().await;
    let app = spawn(&provider, &smtp).await;
    let ann = register_verified(&app, &smtp, "ann@example.com").await;
    enable_two_factor(&app, &ann.access).await;

    let signed_in = google(
        &app,
        &provider,
        &Identity::new("google-ann", "ann@example.com"),
    )
    .await;
    assert_eq!(signed_in["user"]["id"], ann.user_id.as_str(), "{signed_in}");
    assert_eq!(signed_in["user"]["twoFactorEnabled"], true);
    assert_eq!(signed_in["user"]["emailVerified"], true);

    // Her password still leads to the second step, and her sessions go on.
    let login = app.login("ann@example.com", "correct horse").await;
    assert_eq!(
        login["data"]["login"]["__typename"], "TwoFactorChallenge",
        "{login}"
    );
    let refreshed = refresh(&app, &ann.refresh).await;
    assert!(
        refreshed["data"]["refreshTokens"].is_object(),
        "{refreshed}"
    );
    assert_eq!(me(&app, &ann.access).await["twoFactorEnabled"], true);
}

#[tokio::test]
async fn linking_an_unverified_account_verifies_it_and_voids_the_links_its_registrant_asked_for() {
    let provider = Provider::start().await;
    let smtp = SmtpServer::start().await;
    let app = spawn(&provider, &smtp).await;
    // Mallory registers Ann's address and asks to move the account to her own.
    let mallory = app.register("ann@example.com", "mallory").await;
    let asked = app
        .gql(
            Some(&mallory.access),
            "mutation { changeEmail(newEmail: \"mallory@example.com\", password: \"correct horse\") }",
            json!({}),
        )
        .await;
    assert_eq!(asked["data"]["changeEmail"], true, "{asked}");
    let pending = smtp
        .wait_for("mallory@example.com", CONFIRM_SUBJECT)
        .await
        .token("confirm-email")
        .expect("link");

    // Ann signs in with Google before Mallory confirms.
    let signed_in = google(
        &app,
        &provider,
        &Identity::new("google-ann", "ann@example.com"),
    )
    .await;
    assert_eq!(
        signed_in["user"]["id"],
        mallory.user_id.as_str(),
        "{signed_in}"
    );
    assert_eq!(signed_in["user"]["emailVerified"], true);
    let login = app.login("ann@example.com", "correct horse").await;
    assert_eq!(code(&login), "UNAUTHENTICATED", "{login}");

    // Mallory's link no longer moves the account away.
    let confirm = app
        .gql(
            None,
            "mutation($t: String!) { confirmEmailChange(token: $t) { email } }",
            json!({ "t": pending }),
        )
        .await;
    assert_eq!(code(&confirm), "BAD_USER_INPUT", "{confirm}");
    assert_eq!(field(&confirm), "token");
    let access = signed_in["accessToken"].as_str().expect("access");
    assert_eq!(me(&app, access).await["email"], "ann@example.com");
}

#[tokio::test]
async fn an_account_created_through_google_is_verified() {
    let provider = Provider::start().await;
    let smtp = SmtpServer::start().await;
    let app = spawn(&provider, &smtp).await;
    let signed_in = google(
        &app,
        &provider,
        &Identity::new("google-bea", "bea@example.com"),
    )
    .await;
    assert_eq!(signed_in["user"]["email"], "bea@example.com", "{signed_in}");
    assert_eq!(signed_in["user"]["emailVerified"], true);
    let resend = app
        .gql(
            signed_in["accessToken"].as_str(),
            "mutation { resendVerificationEmail }",
            json!({}),
        )
        .await;
    assert_eq!(resend["data"]["resendVerificationEmail"], false, "{resend}");
}
