//! Two-factor authentication: setup, enabling, the login challenge, codes computed here from the
//! secret (RFC 6238), replay, recovery codes, and the challenge being useless elsewhere.

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, WsClient, code};

const BEGIN: &str = "mutation { beginTwoFactorSetup { secret otpauthUrl qrCodePngBase64 } }";
const ENABLE: &str = "mutation($c: String!) { enableTwoFactor(code: $c) { recoveryCodes } }";
const DISABLE: &str = "mutation($c: String!) { disableTwoFactor(code: $c) }";
const VERIFY: &str = "mutation($t: String!, $c: String!) { verifyTwoFactor(challengeToken: $t, code: $c) { accessToken refreshToken expiresIn user { id email twoFactorEnabled } } }";
const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { __typename ... on TwoFactorChallenge { challengeToken } ... on AuthPayload { accessToken } } }";
const ME: &str = "{ me { id twoFactorEnabled } }";

/// The current TOTP time step.
fn now_step() -> u64 {
    (chrono::Utc::now().timestamp() as u64) / 30
}

/// The code for `step`, computed from the base32 secret the way an authenticator app does.
fn totp_code(secret_base32: &str, step: u64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).expect("base32 secret");
    totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .build()
        .expect("totp")
        .generate(step * 30)
        .to_string()
}

/// Registers Ann and turns two-factor authentication on with the code of the current step.
/// Returns her session, the secret, the step used, and the recovery codes.
async fn ann_with_2fa(app: &TestApp) -> (Session, String, u64, Vec<String>) {
    let ann = app.register("ann@example.com", "ann").await;
    let setup = app.gql(Some(&ann.access), BEGIN, json!({})).await;
    let secret = setup["data"]["beginTwoFactorSetup"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("setup failed: {setup}"))
        .to_owned();
    let step = now_step();
    let enabled = app
        .gql(
            Some(&ann.access),
            ENABLE,
            json!({ "c": totp_code(&secret, step) }),
        )
        .await;
    let codes: Vec<String> = enabled["data"]["enableTwoFactor"]["recoveryCodes"]
        .as_array()
        .unwrap_or_else(|| panic!("enable failed: {enabled}"))
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    (ann, secret, step, codes)
}

async fn challenge(app: &TestApp) -> String {
    let body = app
        .gql(
            None,
            LOGIN,
            json!({ "i": { "email": "ann@example.com", "password": "correct horse" } }),
        )
        .await;
    assert_eq!(
        body["data"]["login"]["__typename"], "TwoFactorChallenge",
        "{body}"
    );
    body["data"]["login"]["challengeToken"]
        .as_str()
        .expect("challenge")
        .to_owned()
}

async fn verify(app: &TestApp, challenge: &str, code: &str) -> Value {
    app.gql(None, VERIFY, json!({ "t": challenge, "c": code }))
        .await
}

#[tokio::test]
async fn setup_enable_sign_in_with_a_code_and_disable() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;

    let setup = app.gql(Some(&ann.access), BEGIN, json!({})).await;
    let setup = &setup["data"]["beginTwoFactorSetup"];
    let secret = setup["secret"].as_str().expect("secret");
    assert!(secret.len() >= 32, "at least 160 bits: {secret}");
    let url = setup["otpauthUrl"].as_str().expect("url");
    assert!(
        url.starts_with("otpauth://totp/Soundroom:ann%40example.com?"),
        "{url}"
    );
    for part in [format!("secret={secret}"), "issuer=Soundroom".into()] {
        assert!(url.contains(&part), "{url} lacks {part}");
    }
    // SHA-1, 6 digits and 30 s are the key-URI defaults: absent, or stated as such.
    for (key, default) in [("digits", "6"), ("algorithm", "SHA1"), ("period", "30")] {
        if let Some(rest) = url.split(&format!("{key}=")).nth(1) {
            assert!(rest.starts_with(default), "{url}");
        }
    }
    let png = base64::engine::general_purpose::STANDARD
        .decode(setup["qrCodePngBase64"].as_str().expect("qr"))
        .expect("bare base64");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // Not on until a code proves the app has the secret.
    let me = app.gql(Some(&ann.access), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["twoFactorEnabled"], false);
    let login = app.login("ann@example.com", "correct horse").await;
    assert_eq!(login["data"]["login"]["__typename"], "AuthPayload");

    let wrong = app
        .gql(Some(&ann.access), ENABLE, json!({ "c": "000000" }))
        .await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT", "{wrong}");
    assert_eq!(wrong["errors"][0]["extensions"]["field"], "code");

    let step = now_step();
    let enabled = app
        .gql(
            Some(&ann.access),
            ENABLE,
            json!({ "c": totp_code(secret, step) }),
        )
        .await;
    let recovery = enabled["data"]["enableTwoFactor"]["recoveryCodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{enabled}"));
    assert_eq!(recovery.len(), 10);
    let me = app.gql(Some(&ann.access), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["twoFactorEnabled"], true);

    // The password alone now gets a challenge, not tokens.
    let challenge = challenge(&app).await;
    let wrong = verify(&app, &challenge, "000000").await;
    assert_eq!(code(&wrong), "UNAUTHENTICATED", "{wrong}");
    let ok = verify(&app, &challenge, &totp_code(secret, step + 1)).await;
    let payload = &ok["data"]["verifyTwoFactor"];
    assert_eq!(payload["user"]["email"], "ann@example.com", "{ok}");
    assert_eq!(payload["user"]["twoFactorEnabled"], true);
    assert_eq!(payload["expiresIn"], 900);
    let token = payload["accessToken"].as_str().expect("token");
    let me = app.gql(Some(token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["id"], ann.user_id.as_str());

    // Disabling needs a valid code too.
    let wrong = app
        .gql(Some(token), DISABLE, json!({ "c": "123456" }))
        .await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT", "{wrong}");
    assert_eq!(wrong["errors"][0]["extensions"]["field"], "code");
    let recovery_code = recovery[0].as_str().expect("code");
    let off = app
        .gql(Some(token), DISABLE, json!({ "c": recovery_code }))
        .await;
    assert_eq!(off["data"]["disableTwoFactor"], true, "{off}");
    let login = app.login("ann@example.com", "correct horse").await;
    assert_eq!(
        login["data"]["login"]["__typename"], "AuthPayload",
        "{login}"
    );
}

#[tokio::test]
async fn a_code_is_accepted_once() {
    let app = TestApp::spawn().await;
    let (_ann, secret, step, _) = ann_with_2fa(&app).await;

    // The code that enabled 2FA cannot sign in.
    let first = challenge(&app).await;
    let replayed = verify(&app, &first, &totp_code(&secret, step)).await;
    assert_eq!(code(&replayed), "UNAUTHENTICATED", "{replayed}");

    // A fresh code works once, even with two challenges racing for it.
    let second = challenge(&app).await;
    let next = totp_code(&secret, step + 1);
    let (a, b) = tokio::join!(verify(&app, &first, &next), verify(&app, &second, &next));
    let wins = [&a, &b]
        .iter()
        .filter(|r| r["data"]["verifyTwoFactor"]["accessToken"].is_string())
        .count();
    assert_eq!(wins, 1, "{a}\n{b}");
    let again = verify(&app, &challenge(&app).await, &next).await;
    assert_eq!(code(&again), "UNAUTHENTICATED", "{again}");
}

#[tokio::test]
async fn signing_in_with_two_factor_on_several_devices_is_not_limited() {
    // The per-account limit counts wrong codes only: Ann signs in on more devices than it allows
    // attempts, each with a right code, and is never refused.
    let app = TestApp::spawn_with(&[("RATE_LIMIT_2FA_PER_ACCOUNT", "2/300")]).await;
    let (_, _, _, codes) = ann_with_2fa(&app).await;
    for recovery in codes.iter().take(4) {
        let token = challenge(&app).await;
        let body = verify(&app, &token, recovery).await;
        assert!(
            body["data"]["verifyTwoFactor"]["accessToken"].is_string(),
            "{body}"
        );
    }
    let token = challenge(&app).await;
    for _ in 0..2 {
        assert_eq!(
            code(&verify(&app, &token, "123456").await),
            "UNAUTHENTICATED"
        );
    }
    let limited = verify(&app, &token, &codes[5]).await;
    assert_eq!(code(&limited), "TOO_MANY_REQUESTS", "{limited}");
}

#[tokio::test]
async fn recovery_codes_work_once_each() {
    let app = TestApp::spawn().await;
    let (_ann, _secret, _step, codes) = ann_with_2fa(&app).await;
    assert_eq!(codes.len(), 10);
    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), 10);

    let ok = verify(&app, &challenge(&app).await, &codes[0]).await;
    assert!(
        ok["data"]["verifyTwoFactor"]["accessToken"].is_string(),
        "{ok}"
    );
    let reused = verify(&app, &challenge(&app).await, &codes[0]).await;
    assert_eq!(code(&reused), "UNAUTHENTICATED", "{reused}");

    // Typed loosely: case, dashes and spaces do not matter.
    let typed = codes[1].to_uppercase().replace('-', " ");
    let ok = verify(&app, &challenge(&app).await, &typed).await;
    assert!(
        ok["data"]["verifyTwoFactor"]["accessToken"].is_string(),
        "{ok}"
    );
    let nonsense = verify(&app, &challenge(&app).await, "not-a-code").await;
    assert_eq!(code(&nonsense), "UNAUTHENTICATED", "{nonsense}");
}

#[tokio::test]
async fn the_challenge_is_refused_everywhere_else() {
    let app = TestApp::spawn().await;
    let (ann, secret, step, _) = ann_with_2fa(&app).await;
    let challenge = challenge(&app).await;

    // Not an access token over HTTP…
    let me = app.gql(Some(&challenge), ME, json!({})).await;
    assert_eq!(code(&me), "UNAUTHENTICATED", "{me}");
    // …nor over WebSocket…
    let mut ws = WsClient::connect(&app, "graphql-transport-ws").await;
    ws.send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {challenge}") } }))
        .await;
    assert_eq!(ws.expect_close().await.0, Some(4403));
    // …nor a refresh token.
    let refreshed = app
        .gql(
            None,
            "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken } }",
            json!({ "t": challenge }),
        )
        .await;
    assert_eq!(code(&refreshed), "UNAUTHENTICATED", "{refreshed}");

    // And other tokens are not challenges.
    for not_a_challenge in [ann.access.as_str(), ann.refresh.as_str(), "garbage"] {
        let body = verify(&app, not_a_challenge, &totp_code(&secret, step + 1)).await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    }

    // An expired challenge (signed with the right key, five minutes old) is refused.
    let now = chrono::Utc::now().timestamp();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": ann.user_id, "typ": "2fa_challenge", "iss": "soundroom",
                 "iat": now - 301, "exp": now - 1, "jti": uuid::Uuid::new_v4() }),
        &jsonwebtoken::EncodingKey::from_secret(b"test-2fa-secret-0123456789abcdef"),
    )
    .expect("encode");
    let body = verify(&app, &expired, &totp_code(&secret, step + 1)).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{body}"
    );
    // The same claims, fresh, work: the refusal above was the expiry.
    let fresh = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": ann.user_id, "typ": "2fa_challenge", "iss": "soundroom",
                 "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4() }),
        &jsonwebtoken::EncodingKey::from_secret(b"test-2fa-secret-0123456789abcdef"),
    )
    .expect("encode");
    let body = verify(&app, &fresh, &totp_code(&secret, step + 1)).await;
    assert!(
        body["data"]["verifyTwoFactor"]["accessToken"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn setup_rules() {
    let app = TestApp::spawn().await;
    let anonymous = app.gql(None, BEGIN, json!({})).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");

    let ann = app.register("ann@example.com", "ann").await;
    let not_started = app
        .gql(Some(&ann.access), ENABLE, json!({ "c": "123456" }))
        .await;
    assert_eq!(code(&not_started), "CONFLICT", "{not_started}");
    let not_on = app
        .gql(Some(&ann.access), DISABLE, json!({ "c": "123456" }))
        .await;
    assert_eq!(code(&not_on), "CONFLICT", "{not_on}");

    // A second setup replaces the first secret.
    let first = app.gql(Some(&ann.access), BEGIN, json!({})).await;
    let first = first["data"]["beginTwoFactorSetup"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let second = app.gql(Some(&ann.access), BEGIN, json!({})).await;
    let second = second["data"]["beginTwoFactorSetup"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_ne!(first, second);
    let step = now_step();
    let stale = app
        .gql(
            Some(&ann.access),
            ENABLE,
            json!({ "c": totp_code(&first, step) }),
        )
        .await;
    assert_eq!(code(&stale), "BAD_USER_INPUT", "{stale}");
    let ok = app
        .gql(
            Some(&ann.access),
            ENABLE,
            json!({ "c": totp_code(&second, step) }),
        )
        .await;
    assert!(
        ok["data"]["enableTwoFactor"]["recoveryCodes"].is_array(),
        "{ok}"
    );
    let again = app.gql(Some(&ann.access), BEGIN, json!({})).await;
    assert_eq!(code(&again), "CONFLICT", "{again}");

    // Someone else's view of Ann never says whether she uses 2FA.
    let bob = app.register("bob@example.com", "bob").await;
    let seen = app
        .gql(
            Some(&bob.access),
            "query($id: UUID!) { user(id: $id) { twoFactorEnabled email } }",
            json!({ "id": ann.user_id }),
        )
        .await;
    assert_eq!(seen["data"]["user"]["twoFactorEnabled"], false, "{seen}");
}

#[tokio::test]
async fn secrets_and_recovery_codes_are_not_stored_in_the_clear() {
    use sea_orm::EntityTrait;
    let app = TestApp::spawn().await;
    let (ann, secret, _, codes) = ann_with_2fa(&app).await;
    let id: uuid::Uuid = ann.user_id.parse().expect("uuid");
    let row = entity::user_two_factor::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("row");
    let raw = totp_rs::Secret::try_from_base32(&secret).expect("base32");
    let raw_b64 = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
    let raw_b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.as_bytes());
    for clear in [secret.as_str(), raw_b64.as_str(), raw_b64url.as_str()] {
        assert!(!row.secret_sealed.contains(clear), "{}", row.secret_sealed);
    }
    assert!(
        row.secret_sealed.starts_with("v1."),
        "{}",
        row.secret_sealed
    );

    let stored = entity::recovery_code::Entity::find()
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(stored.len(), 10);
    for code in &codes {
        let bare = code.replace('-', "");
        assert!(
            stored
                .iter()
                .all(|r| !r.code_hash.contains(code.as_str()) && !r.code_hash.contains(&bare))
        );
    }
}
