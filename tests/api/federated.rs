//! Google sign-in against a local OpenID provider started by each test: the browser flow end to
//! end (PKCE, state, nonce, code exchange, ID token checks, the redirect to the frontend),
//! `loginWithGoogle`, account linking, and every forgery refused.

use std::collections::HashMap;

use reqwest::{Url, redirect::Policy};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::helpers::oidc_provider::{Identity, Provider, Tweak};
use crate::helpers::{TestApp, code};

const LOGIN_WITH_GOOGLE: &str = "mutation($t: String!) { loginWithGoogle(idToken: $t) { accessToken refreshToken expiresIn user { id email username } } }";

async fn spawn(provider: &Provider) -> TestApp {
    let settings = provider.settings();
    let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestApp::spawn_with(&pairs).await
}

/// A browser that does not follow redirects, so each step can be checked.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Location on {}", resp.status()))
        .to_owned()
}

/// What the browser carries back to the server after the provider.
struct Callback {
    /// Path and query of the callback, to be sent to the test server's real address.
    path_and_query: String,
    cookie: String,
    authorize_url: Url,
}

/// `GET /auth/google`, then the provider's authorization endpoint.
async fn start(app: &TestApp) -> Callback {
    let browser = browser();
    let started = browser
        .get(app.url("/auth/google"))
        .send()
        .await
        .expect("start");
    assert_eq!(started.status(), 303);
    let set_cookie = started
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("binding cookie")
        .to_owned();
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/auth/google",
        "Max-Age=600",
    ] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().expect("pair").to_owned();
    let authorize_url = Url::parse(&location(&started)).expect("authorize url");
    let at_provider = browser
        .get(authorize_url.clone())
        .send()
        .await
        .expect("authorize");
    assert_eq!(at_provider.status(), 302, "{:?}", at_provider.text().await);
    let back = Url::parse(&location(&at_provider)).expect("callback url");
    assert_eq!(
        back.as_str().split('?').next(),
        Some("http://soundroom.test/auth/google/callback")
    );
    Callback {
        path_and_query: format!("{}?{}", back.path(), back.query().unwrap_or_default()),
        cookie,
        authorize_url,
    }
}

async fn finish(app: &TestApp, cb: &Callback, cookie: Option<&str>) -> reqwest::Response {
    let mut req = browser().get(app.url(&cb.path_and_query));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("callback")
}

/// The tokens in the frontend redirect's fragment.
fn fragment_tokens(resp: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(resp.status(), 303);
    let to = location(resp);
    let (base, fragment) = to
        .split_once('#')
        .unwrap_or_else(|| panic!("no fragment: {to}"));
    assert_eq!(base, "http://frontend.test/auth/callback");
    fragment
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

async fn user_count(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::user::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn the_browser_flow_signs_a_new_user_in_and_hands_the_tokens_to_the_frontend() {
    let provider = Provider::start().await;
    let app = spawn(&provider).await;
    assert_eq!(
        provider.discovery_hits(),
        0,
        "discovery is lazy, not at start-up"
    );

    let cb = start(&app).await;
    let q: HashMap<_, _> = cb.authorize_url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "soundroom-test-client");
    assert_eq!(
        q["redirect_uri"],
        "http://soundroom.test/auth/google/callback"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["code_challenge"].len() >= 43);
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16);
    let scopes: Vec<&str> = q["scope"].split(' ').collect();
    for s in ["openid", "email", "profile"] {
        assert!(scopes.contains(&s), "{scopes:?}");
    }

    let done = finish(&app, &cb, Some(&cb.cookie)).await;
    let cleared = done
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let tokens = fragment_tokens(&done);
    assert_eq!(tokens["expiresIn"], "900");
    let me = app
        .gql(
            Some(&tokens["accessToken"]),
            "{ me { id email username } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["email"], "ann@example.com", "{me}");
    assert_eq!(me["data"]["me"]["username"], "Ann Google");
    let refreshed = app
        .gql(
            None,
            "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken } }",
            json!({ "t": tokens["refreshToken"] }),
        )
        .await;
    assert!(
        refreshed["data"]["refreshTokens"]["accessToken"].is_string(),
        "{refreshed}"
    );

    use sea_orm::EntityTrait;
    let id: uuid::Uuid = me["data"]["me"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let user = entity::user::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("user");
    assert_eq!(user.provider, "google");
    assert_eq!(user.password_hash, None);

    // Signing in again finds the same user (the identity is linked).
    let cb = start(&app).await;
    let again = fragment_tokens(&finish(&app, &cb, Some(&cb.cookie)).await);
    let me = app
        .gql(Some(&again["accessToken"]), "{ me { id } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["id"], id.to_string());
    assert_eq!(user_count(&app).await, 1);
    assert_eq!(
        provider.discovery_hits(),
        1,
        "the provider metadata is cached"
    );
}

#[tokio::test]
async fn a_state_works_once_in_the_browser_that_started_it() {
    let provider = Provider::start().await;
    let app = spawn(&provider).await;
    let cb = start(&app).await;

    // Another browser (no binding cookie, or someone else's) cannot finish it…
    let other = start(&app).await;
    for cookie in [None, Some(other.cookie.as_str())] {
        let resp = finish(&app, &cb, cookie).await;
        assert_eq!(resp.status(), 400);
        assert!(resp.headers().get("location").is_none());
    }
    // …and that attempt used the state up: even the right browser now gets a 400.
    let resp = finish(&app, &cb, Some(&cb.cookie)).await;
    assert_eq!(resp.status(), 400);

    // A fresh sign-in works once; replaying its callback fails.
    let cb = start(&app).await;
    fragment_tokens(&finish(&app, &cb, Some(&cb.cookie)).await);
    let replay = finish(&app, &cb, Some(&cb.cookie)).await;
    assert_eq!(replay.status(), 400);
    assert!(replay.headers().get("location").is_none());
    let page = replay.text().await.expect("page");
    assert!(page.contains("already used"), "{page}");

    // A made-up state, or none, is refused too.
    let made_up = browser()
        .get(app.url("/auth/google/callback?code=x&state=made-up"))
        .header("cookie", &cb.cookie)
        .send()
        .await
        .expect("send");
    assert_eq!(made_up.status(), 400);
    let none = browser()
        .get(app.url("/auth/google/callback?code=x"))
        .send()
        .await
        .expect("send");
    assert_eq!(none.status(), 400);
}

#[tokio::test]
async fn forged_or_wrong_id_tokens_fail_the_browser_flow() {
    let provider = Provider::start().await;
    let app = spawn(&provider).await;
    for tweak in [
        Tweak::ForgedSignature,
        Tweak::TamperedPayload,
        Tweak::Unsigned,
        Tweak::WrongAudience,
        Tweak::ExtraAudience,
        Tweak::Expired,
        Tweak::WrongNonce,
        Tweak::WrongIssuer,
    ] {
        provider.sign_in_next(Identity::new("sub-x", "mallory@example.com"), tweak);
        let cb = start(&app).await;
        let resp = finish(&app, &cb, Some(&cb.cookie)).await;
        assert_eq!(resp.status(), 400, "{tweak:?}");
        assert!(
            resp.headers().get("location").is_none(),
            "{tweak:?}: no tokens"
        );
        let page = resp.text().await.expect("page");
        assert!(page.contains("Sign-in failed"), "{tweak:?}: {page}");
    }
    assert_eq!(user_count(&app).await, 0, "nobody was signed in");

    // The same provider, behaving, works: the refusals above were the forgeries.
    provider.sign_in_next(Identity::new("sub-x", "mallory@example.com"), Tweak::None);
    let cb = start(&app).await;
    fragment_tokens(&finish(&app, &cb, Some(&cb.cookie)).await);
}

#[tokio::test]
async fn a_failed_code_exchange_is_a_400_and_a_cancelled_sign_in_goes_back_to_the_frontend() {
    let provider = Provider::start().await;
    let app = spawn(&provider).await;
    let cb = start(&app).await;
    // The provider does not know this code.
    let wrong_code = cb
        .path_and_query
        .split('&')
        .map(|kv| {
            if kv.starts_with("code=") || kv.contains("?code=") {
                kv.split("code=").next().unwrap_or_default().to_owned() + "code=not-a-code"
            } else {
                kv.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    let resp = browser()
        .get(app.url(&wrong_code))
        .header("cookie", &cb.cookie)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());

    provider.sign_in_next(Identity::new("sub-1", "ann@example.com"), Tweak::Deny);
    let cb = start(&app).await;
    let resp = finish(&app, &cb, Some(&cb.cookie)).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        location(&resp),
        "http://frontend.test/auth/callback#error=access_denied"
    );
}

#[tokio::test]
async fn a_verified_email_signs_into_the_existing_account() {
    let provider = Provider::start().await;
    let app = spawn(&provider).await;
    let ann = app.register("ann@example.com", "ann").await;
    provider.sign_in_next(Identity::new("google-ann", "Ann@Example.com"), Tweak::None);
    let cb = start(&app).await;
    let tokens = fragment_tokens(&finish(&app, &cb, Some(&cb.cookie)).await);
    let me = app
        .gql(
            Some(&tokens["accessToken"]),
            "{ me { id username } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["id"], ann.user_id.as_str(), "{me}");
    assert_eq!(me["data"]["me"]["username"], "ann", "the profile is kept");
    // The Google identity now signs in with loginWithGoogle too.
    let token = provider.id_token(&Identity::new("google-ann", "ann@example.com"), Tweak::None);
    let body = app
        .gql(None, LOGIN_WITH_GOOGLE, json!({ "t": token }))
        .await;
    assert_eq!(
        body["data"]["loginWithGoogle"]["user"]["id"],
        ann.user_id.as_str(),
        "{body}"
    );
    assert_eq!(user_count(&app).await, 1);
}

/// Account pre-hijacking: Mallory registers Ann's email with her own password (and two-factor
/// authentication), before Ann ever signs up, and never verifies it (she cannot: the link goes to
/// Ann's inbox). When Ann signs in with Google, the account becomes hers alone: Mallory's
/// password, second factor and sessions are gone. (A verified account keeps them:
/// `email::linking`.)
#[tokio::test]
async fn linking_an_unproven_account_locks_out_whoever_registered_it() {
    let provider = Provider::start().await;
    let app = spawn(&provider).await;
    let mallory = app.register("ann@example.com", "mallory").await;
    let setup = app
        .gql(
            Some(&mallory.access),
            "mutation { beginTwoFactorSetup { secret } }",
            json!({}),
        )
        .await;
    let secret = setup["data"]["beginTwoFactorSetup"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{setup}"))
        .to_owned();
    let totp = totp_rs::Builder::new()
        .with_secret(
            totp_rs::Secret::try_from_base32(&secret)
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
            Some(&mallory.access),
            "mutation($c: String!) { enableTwoFactor(code: $c) { recoveryCodes } }",
            json!({ "c": totp }),
        )
        .await;
    assert!(
        on["data"]["enableTwoFactor"]["recoveryCodes"].is_array(),
        "{on}"
    );

    provider.sign_in_next(Identity::new("google-ann", "ann@example.com"), Tweak::None);
    let cb = start(&app).await;
    let tokens = fragment_tokens(&finish(&app, &cb, Some(&cb.cookie)).await);
    let me = app
        .gql(
            Some(&tokens["accessToken"]),
            "{ me { id twoFactorEnabled emailVerified } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["id"], mallory.user_id.as_str(), "{me}");
    assert_eq!(me["data"]["me"]["twoFactorEnabled"], false, "{me}");
    assert_eq!(
        me["data"]["me"]["emailVerified"], true,
        "Google proved the address"
    );

    // Mallory's password no longer signs in (not even to a two-factor challenge)…
    let login = app.login("ann@example.com", "correct horse").await;
    assert_eq!(code(&login), "UNAUTHENTICATED", "{login}");
    // …her session's refresh token is dead…
    let refresh = app
        .gql(
            None,
            "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken } }",
            json!({ "t": mallory.refresh }),
        )
        .await;
    assert_eq!(code(&refresh), "UNAUTHENTICATED", "{refresh}");
    // …and her recovery codes are gone with the second factor.
    let rows = entity::recovery_code::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(rows, 0);
    // Ann's own Google session keeps working.
    let again = app
        .gql(
            None,
            "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken } }",
            json!({ "t": tokens["refreshToken"] }),
        )
        .await;
    assert!(
        again["data"]["refreshTokens"]["accessToken"].is_string(),
        "{again}"
    );
}

#[tokio::test]
async fn an_unverified_email_never_signs_into_an_account() {
    let provider = Provider::start().await;
    let app = spawn(&provider).await;
    app.register("ann@example.com", "ann").await;
    let unverified = Identity {
        email_verified: false,
        ..Identity::new("google-mallory", "ann@example.com")
    };
    provider.sign_in_next(unverified.clone(), Tweak::None);
    let cb = start(&app).await;
    let resp = finish(&app, &cb, Some(&cb.cookie)).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    assert!(resp.text().await.expect("page").contains("not verified"));

    let body = app
        .gql(
            None,
            LOGIN_WITH_GOOGLE,
            json!({ "t": provider.id_token(&unverified, Tweak::None) }),
        )
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");

    // Nor does it create one under a new email.
    let stranger = Identity {
        email_verified: false,
        ..Identity::new("google-stranger", "stranger@example.com")
    };
    let body = app
        .gql(
            None,
            LOGIN_WITH_GOOGLE,
            json!({ "t": provider.id_token(&stranger, Tweak::None) }),
        )
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    assert_eq!(user_count(&app).await, 1);
}

#[tokio::test]
async fn login_with_google_accepts_a_good_id_token_and_refuses_forgeries() {
    let provider = Provider::start().await;
    let app = spawn(&provider).await;
    let ann = Identity::new("google-ann", "ann@example.com");
    for tweak in [
        Tweak::ForgedSignature,
        Tweak::TamperedPayload,
        Tweak::Unsigned,
        Tweak::WrongAudience,
        Tweak::ExtraAudience,
        Tweak::Expired,
        Tweak::WrongIssuer,
    ] {
        let body = app
            .gql(
                None,
                LOGIN_WITH_GOOGLE,
                json!({ "t": provider.id_token(&ann, tweak) }),
            )
            .await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{tweak:?}: {body}");
    }
    let garbage = app
        .gql(None, LOGIN_WITH_GOOGLE, json!({ "t": "not.a.jwt" }))
        .await;
    assert_eq!(code(&garbage), "UNAUTHENTICATED", "{garbage}");
    assert_eq!(user_count(&app).await, 0);

    let body = app
        .gql(
            None,
            LOGIN_WITH_GOOGLE,
            json!({ "t": provider.id_token(&ann, Tweak::None) }),
        )
        .await;
    let payload = &body["data"]["loginWithGoogle"];
    assert_eq!(payload["user"]["email"], "ann@example.com", "{body}");
    assert_eq!(payload["user"]["username"], "Ann Google");
    assert_eq!(payload["expiresIn"], 900);
    let me = app
        .gql(
            payload["accessToken"].as_str(),
            "{ me { email } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["email"], "ann@example.com");
}

#[tokio::test]
async fn without_a_client_id_google_sign_in_answers_a_clear_error() {
    let app = TestApp::spawn().await;
    for path in ["/auth/google", "/auth/google/callback?code=x&state=y"] {
        let resp = browser().get(app.url(path)).send().await.expect("send");
        assert_eq!(resp.status(), 404, "{path}");
        let body: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(body["error"]["code"], "NOT_FOUND", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("GOOGLE_CLIENT_ID"),
            "{body}"
        );
    }
    let body = app
        .gql(None, LOGIN_WITH_GOOGLE, json!({ "t": "anything" }))
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
}

#[tokio::test]
async fn an_unreachable_provider_does_not_stop_the_server() {
    // Nothing listens on port 9; the server starts anyway (discovery is lazy) and says so
    // only when someone tries to sign in with Google.
    let app = TestApp::spawn_with(&[
        ("OIDC_ISSUER_URL", "http://127.0.0.1:9"),
        ("GOOGLE_CLIENT_ID", "id"),
    ])
    .await;
    let resp = browser()
        .get(app.url("/auth/google"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 500);
    assert!(resp.headers().get("location").is_none());
    let body = app.gql(None, "{ serverTime }", json!({})).await;
    assert!(body["data"]["serverTime"].is_number());
}
