//! Rate limits: sign-in, two-factor and registration per account and per client address, the
//! general per-client limit, `RATE_LIMIT=off`, proxies, and counters shared through Redis.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, WsClient, code};

const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { __typename } }";
const REGISTER: &str = "mutation($i: RegisterInput!) { register(input: $i) { user { id } } }";

struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

async fn send(app: &TestApp, query: &str, variables: Value, forwarded_for: Option<&str>) -> Answer {
    let mut req = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    Answer {
        status,
        retry_after,
        body: resp.json().await.expect("json"),
    }
}

async fn login(app: &TestApp, email: &str, password: &str) -> Answer {
    send(
        app,
        LOGIN,
        json!({ "i": { "email": email, "password": password } }),
        None,
    )
    .await
}

fn retry_after_ext(body: &Value) -> u64 {
    body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or_else(|| panic!("no retryAfter in {body}"))
}

#[tokio::test]
async fn login_attempts_per_account_trip_and_reset() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_LOGIN_PER_ACCOUNT", "3/2")]).await;
    app.register("ann@example.com", "ann").await;
    app.register("bob@example.com", "bob").await;
    for _ in 0..3 {
        let a = login(&app, "ann@example.com", "wrong password").await;
        assert_eq!(code(&a.body), "UNAUTHENTICATED", "{}", a.body);
    }
    // The fourth attempt is refused before the password is even checked, right or wrong, and
    // whatever the case of the email.
    let limited = login(&app, " ANN@example.com", "correct horse").await;
    assert_eq!(code(&limited.body), "TOO_MANY_REQUESTS", "{}", limited.body);
    let wait = retry_after_ext(&limited.body);
    assert!((1..=2).contains(&wait), "{}", limited.body);
    assert_eq!(limited.retry_after, Some(wait), "Retry-After header");
    assert_eq!(limited.status, 200, "a GraphQL error, not an HTTP one");

    // Another account is not affected.
    let bob = login(&app, "bob@example.com", "correct horse").await;
    assert_eq!(
        bob.body["data"]["login"]["__typename"], "AuthPayload",
        "{}",
        bob.body
    );

    // After the window, Ann may sign in again.
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(100)).await;
    let again = login(&app, "ann@example.com", "correct horse").await;
    assert_eq!(
        again.body["data"]["login"]["__typename"], "AuthPayload",
        "{}",
        again.body
    );
}

#[tokio::test]
async fn successful_sign_ins_do_not_count() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMIT_LOGIN_PER_ACCOUNT", "2/60"),
        ("RATE_LIMIT_LOGIN_PER_CLIENT", "3/60"),
    ])
    .await;
    app.register("ann@example.com", "ann").await;
    // Many devices sign in: none is refused.
    for _ in 0..6 {
        let ok = login(&app, "ann@example.com", "correct horse").await;
        assert_eq!(
            ok.body["data"]["login"]["__typename"], "AuthPayload",
            "{}",
            ok.body
        );
    }
    // Failures still count, and the budget is the documented one.
    for _ in 0..2 {
        let a = login(&app, "ann@example.com", "wrong password").await;
        assert_eq!(code(&a.body), "UNAUTHENTICATED", "{}", a.body);
    }
    let limited = login(&app, "ann@example.com", "correct horse").await;
    assert_eq!(code(&limited.body), "TOO_MANY_REQUESTS", "{}", limited.body);
}

#[tokio::test]
async fn login_attempts_per_client_address() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_LOGIN_PER_CLIENT", "3/60")]).await;
    for i in 0..3 {
        let a = login(&app, &format!("nobody{i}@example.com"), "whatever1").await;
        assert_eq!(code(&a.body), "UNAUTHENTICATED", "{}", a.body);
    }
    let limited = login(&app, "someone-else@example.com", "whatever1").await;
    assert_eq!(code(&limited.body), "TOO_MANY_REQUESTS", "{}", limited.body);
    assert!(retry_after_ext(&limited.body) > 50);
    // Sent as a WebSocket operation, the login counts for the same address.
    let mut ws = WsClient::signed_in(&app, None).await;
    ws.subscribe(
        "l",
        LOGIN,
        json!({ "i": { "email": "ws@example.com", "password": "whatever1" } }),
    )
    .await;
    let msg = ws.next_for("l").await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(
        msg["payload"][0]["extensions"]["code"], "TOO_MANY_REQUESTS",
        "{msg}"
    );
}

#[tokio::test]
async fn registrations_per_client_and_per_email() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMIT_REGISTER_PER_CLIENT", "4/60"),
        ("RATE_LIMIT_REGISTER_PER_ACCOUNT", "2/60"),
    ])
    .await;
    let register = |email: String| {
        let app = &app;
        async move {
            send(
                app,
                REGISTER,
                json!({ "i": { "email": email, "username": "someone", "password": "correct horse" } }),
                None,
            )
            .await
        }
    };
    // Per email: the same address tried again and again.
    assert!(register("x@example.com".into()).await.body["data"]["register"].is_object());
    let dup = register("x@example.com".into()).await;
    assert_eq!(code(&dup.body), "CONFLICT");
    let limited = register("X@example.com".into()).await;
    assert_eq!(code(&limited.body), "TOO_MANY_REQUESTS", "{}", limited.body);
    // Per client: every attempt counts (three so far); a fourth passes, a fifth does not.
    assert!(register("y@example.com".into()).await.body["data"]["register"].is_object());
    let limited = register("z@example.com".into()).await;
    assert_eq!(code(&limited.body), "TOO_MANY_REQUESTS", "{}", limited.body);
}

#[tokio::test]
async fn two_factor_codes_cannot_be_guessed() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_2FA_PER_ACCOUNT", "3/60")]).await;
    let ann = app.register("ann@example.com", "ann").await;
    let setup = app
        .gql(
            Some(&ann.access),
            "mutation { beginTwoFactorSetup { secret } }",
            json!({}),
        )
        .await;
    let secret = setup["data"]["beginTwoFactorSetup"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let code_at = |step: u64| {
        let s = totp_rs::Secret::try_from_base32(&secret).expect("base32");
        totp_rs::Builder::new()
            .with_secret(s.as_bytes().to_vec())
            .build()
            .expect("totp")
            .generate(step * 30)
            .to_string()
    };
    let step = chrono::Utc::now().timestamp() as u64 / 30;
    // A wrong code for enableTwoFactor counts as an attempt on the account; the right one not.
    let wrong = app
        .gql(
            Some(&ann.access),
            "mutation($c: String!) { enableTwoFactor(code: $c) { recoveryCodes } }",
            json!({ "c": "000000" }),
        )
        .await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT", "{wrong}");
    let on = app
        .gql(
            Some(&ann.access),
            "mutation($c: String!) { enableTwoFactor(code: $c) { recoveryCodes } }",
            json!({ "c": code_at(step) }),
        )
        .await;
    assert!(on["data"]["enableTwoFactor"].is_object(), "{on}");
    let token = app
        .gql(
            None,
            "mutation($i: LoginInput!) { login(input: $i) { ... on TwoFactorChallenge { challengeToken } } }",
            json!({ "i": { "email": "ann@example.com", "password": "correct horse" } }),
        )
        .await["data"]["login"]["challengeToken"]
        .as_str()
        .expect("challenge")
        .to_owned();
    let verify = |c: String| {
        let (app, token) = (&app, token.clone());
        async move {
            send(
                app,
                "mutation($t: String!, $c: String!) { verifyTwoFactor(challengeToken: $t, code: $c) { accessToken } }",
                json!({ "t": token, "c": c }),
                None,
            )
            .await
        }
    };
    for guess in ["111111", "222222"] {
        assert_eq!(code(&verify(guess.into()).await.body), "UNAUTHENTICATED");
    }
    // Fourth failure-counted attempt on the account: refused even with the right code.
    let limited = verify(code_at(step + 1)).await;
    assert_eq!(code(&limited.body), "TOO_MANY_REQUESTS", "{}", limited.body);
    assert!(limited.retry_after.is_some());
}

#[tokio::test]
async fn the_general_limit_is_per_client_and_spares_health_checks() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_REQUESTS_PER_CLIENT", "5/60")]).await;
    for _ in 0..5 {
        let a = send(&app, "{ serverTime }", json!({}), None).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let limited = send(&app, "{ serverTime }", json!({}), None).await;
    assert_eq!(limited.status, 429);
    assert_eq!(code(&limited.body), "TOO_MANY_REQUESTS", "{}", limited.body);
    let wait = retry_after_ext(&limited.body);
    assert_eq!(limited.retry_after, Some(wait));
    // X-Forwarded-For is not trusted by default: a made-up address does not help.
    let spoofed = send(&app, "{ serverTime }", json!({}), Some("203.0.113.7")).await;
    assert_eq!(spoofed.status, 429);
    // Health checks are never limited.
    let health = app.http.get(app.url("/health")).send().await.expect("send");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn behind_a_trusted_proxy_clients_are_told_apart_by_forwarded_for() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMIT_REQUESTS_PER_CLIENT", "2/60"),
        ("TRUST_PROXY_HOPS", "1"),
    ])
    .await;
    for _ in 0..2 {
        assert_eq!(
            send(&app, "{ serverTime }", json!({}), Some("198.51.100.1"))
                .await
                .status,
            200
        );
    }
    assert_eq!(
        send(&app, "{ serverTime }", json!({}), Some("198.51.100.1"))
            .await
            .status,
        429
    );
    // Another client behind the same proxy; a spoofed left-hand entry does not matter.
    assert_eq!(
        send(
            &app,
            "{ serverTime }",
            json!({}),
            Some("198.51.100.1, 198.51.100.2")
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn rate_limit_off_turns_every_limit_off() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMIT", "off"),
        ("RATE_LIMIT_REQUESTS_PER_CLIENT", "1/60"),
        ("RATE_LIMIT_LOGIN_PER_ACCOUNT", "1/60"),
        ("RATE_LIMIT_LOGIN_PER_CLIENT", "1/60"),
    ])
    .await;
    for _ in 0..4 {
        let a = login(&app, "ann@example.com", "wrong password").await;
        assert_eq!(a.status, 200);
        assert_eq!(code(&a.body), "UNAUTHENTICATED", "{}", a.body);
    }
}

#[tokio::test]
async fn rate_limit_off_lifts_the_websocket_connection_caps() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMIT", "off"),
        ("WS_MAX_CONNECTIONS_PER_CLIENT", "1"),
        ("WS_MAX_CONNECTIONS_PER_USER", "1"),
    ])
    .await;
    let ann = app.register("ann@example.com", "ann").await;
    let _a = WsClient::signed_in(&app, Some(&ann.access)).await;
    let _b = WsClient::signed_in(&app, Some(&ann.access)).await;
}

/// Redis at `TEST_REDIS_URL` (default `redis://127.0.0.1:6379`), or `None` with a notice.
pub async fn redis_url() -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let addr = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:6379")
        .to_owned();
    match tokio::net::TcpStream::connect(&addr).await {
        Ok(_) => Some(url),
        Err(_) => {
            eprintln!("notice: no Redis at {url}: the tests that need it are skipped");
            None
        }
    }
}

#[tokio::test]
async fn with_redis_instances_share_their_counters() {
    let Some(url) = redis_url().await else {
        return;
    };
    let prefix = format!("soundroom-test-{}:", uuid::Uuid::new_v4().simple());
    let settings = [
        ("REDIS_URL", url.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("RATE_LIMIT_LOGIN_PER_ACCOUNT", "3/60"),
    ];
    let a = TestApp::spawn_with(&settings).await;
    let b = TestApp::spawn_with(&settings).await;
    // Successful sign-ins are taken back in Redis too.
    a.register("ann@example.com", "ann").await;
    for _ in 0..4 {
        let ok = login(&a, "ann@example.com", "correct horse").await;
        assert_eq!(
            ok.body["data"]["login"]["__typename"], "AuthPayload",
            "{}",
            ok.body
        );
    }
    for app in [&a, &b, &a] {
        let r = login(app, "ann@example.com", "wrong password").await;
        assert_eq!(code(&r.body), "UNAUTHENTICATED", "{}", r.body);
    }
    let limited = login(&b, "ann@example.com", "wrong password").await;
    assert_eq!(code(&limited.body), "TOO_MANY_REQUESTS", "{}", limited.body);
    let wait = retry_after_ext(&limited.body);
    assert!(
        (50..=60).contains(&wait),
        "the TTL comes from Redis: {wait}"
    );
}

#[tokio::test]
async fn an_unreachable_redis_falls_back_to_local_counters() {
    // Nothing listens on port 9 (discard) on the test machine.
    let app = TestApp::spawn_with(&[
        ("REDIS_URL", "redis://127.0.0.1:9"),
        ("RATE_LIMIT_LOGIN_PER_ACCOUNT", "2/60"),
    ])
    .await;
    for _ in 0..2 {
        let r = login(&app, "ann@example.com", "wrong password").await;
        assert_eq!(code(&r.body), "UNAUTHENTICATED", "{}", r.body);
    }
    let limited = login(&app, "ann@example.com", "wrong password").await;
    assert_eq!(code(&limited.body), "TOO_MANY_REQUESTS", "{}", limited.body);
}
