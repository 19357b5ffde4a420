//! Accounts over HTTP: register, login, me, sessions, validation.

use serde_json::json;

use crate::helpers::{TestApp, code};

const ME: &str = "{ me { id username tag email twoFactorEnabled createdAt avatarUrl } }";

#[tokio::test]
async fn register_login_me() {
    let app = TestApp::spawn().await;
    let session = app.register("Ann@Example.com", "Ann Lee").await;
    assert!(session.tag.starts_with("ann_lee#"), "{}", session.tag);
    assert_eq!(session.tag.len(), "ann_lee#".len() + 4);

    let body = app.login("ann@example.com", "correct horse").await;
    let login = &body["data"]["login"];
    assert_eq!(login["__typename"], "AuthPayload", "{body}");
    assert_eq!(login["user"]["email"], "ann@example.com");
    let token = login["accessToken"].as_str().expect("token");

    let me = app.gql(Some(token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["id"], session.user_id.as_str());
    assert_eq!(me["data"]["me"]["email"], "ann@example.com");
    assert_eq!(me["data"]["me"]["username"], "Ann Lee");
    assert_eq!(me["data"]["me"]["twoFactorEnabled"], false);

    let anonymous = app.gql(None, ME, json!({})).await;
    assert_eq!(anonymous["data"]["me"], serde_json::Value::Null);
    assert!(anonymous.get("errors").is_none(), "{anonymous}");
}

#[tokio::test]
async fn tags_are_unique_for_the_same_username() {
    let app = TestApp::spawn().await;
    let mut tags = std::collections::HashSet::new();
    for i in 0..5 {
        let s = app.register(&format!("sam{i}@example.com"), "sam").await;
        assert!(tags.insert(s.tag.clone()), "duplicate tag {}", s.tag);
    }
}

#[tokio::test]
async fn bad_registration_input_names_the_field() {
    let app = TestApp::spawn().await;
    let q = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }";
    for (email, username, password, field) in [
        ("not-an-email", "valid name", "long enough", "email"),
        ("a@b", "valid name", "long enough", "email"),
        ("ok@example.com", "ab", "long enough", "username"),
        ("ok@example.com", &"x".repeat(33), "long enough", "username"),
        ("ok@example.com", "valid name", "short", "password"),
    ] {
        let body = app
            .gql(
                None,
                q,
                json!({ "i": { "email": email, "username": username, "password": password } }),
            )
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        assert_eq!(body["data"], serde_json::Value::Null);
    }
    // A missing field is a validation error from GraphQL itself.
    let body = app
        .gql(None, q, json!({ "i": { "email": "x@example.com" } }))
        .await;
    assert!(body["errors"][0]["message"].as_str().is_some(), "{body}");
}

#[tokio::test]
async fn duplicate_email_is_a_conflict_whatever_the_case() {
    let app = TestApp::spawn().await;
    app.register("dup@example.com", "first").await;
    let body = app
        .gql(
            None,
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
            json!({ "i": { "email": " DUP@example.com ", "username": "second", "password": "long enough" } }),
        )
        .await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "email");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = TestApp::spawn().await;
    app.register("pw@example.com", "pw user").await;
    let wrong = app.login("pw@example.com", "wrong password").await;
    let unknown = app.login("nobody@example.com", "wrong password").await;
    let malformed = app.login("nobody", "wrong password").await;
    for body in [&wrong, &unknown, &malformed] {
        assert_eq!(code(body), "UNAUTHENTICATED", "{body}");
        assert_eq!(body["errors"][0]["message"], wrong["errors"][0]["message"]);
    }
}

#[tokio::test]
async fn other_users_do_not_see_email() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let bob = app.register("bob@example.com", "bob").await;
    let q = "query($id: UUID!) { user(id: $id) { id tag email twoFactorEnabled } }";
    let seen_by_bob = app
        .gql(Some(&bob.access), q, json!({ "id": ann.user_id }))
        .await;
    assert_eq!(seen_by_bob["data"]["user"]["tag"], ann.tag.as_str());
    assert_eq!(
        seen_by_bob["data"]["user"]["email"],
        serde_json::Value::Null
    );
    let seen_by_ann = app
        .gql(Some(&ann.access), q, json!({ "id": ann.user_id }))
        .await;
    assert_eq!(seen_by_ann["data"]["user"]["email"], "ann@example.com");
    let anonymous = app.gql(None, q, json!({ "id": ann.user_id })).await;
    assert_eq!(anonymous["data"]["user"]["email"], serde_json::Value::Null);
    let unknown = app
        .gql(None, q, json!({ "id": uuid::Uuid::new_v4() }))
        .await;
    assert_eq!(unknown["data"]["user"], serde_json::Value::Null);
    let malformed = app.gql(None, q, json!({ "id": "not-a-uuid" })).await;
    assert!(malformed["errors"].is_array(), "{malformed}");
}

#[tokio::test]
async fn a_bad_token_is_never_treated_as_anonymous() {
    let app = TestApp::spawn().await;
    let session = app.register("tok@example.com", "tok").await;
    let mut tampered = session.access.clone();
    tampered.replace_range(tampered.len() - 3.., "abc");
    for auth in [
        format!("Bearer {tampered}"),
        "Bearer garbage".to_owned(),
        "Basic abc".to_owned(),
        format!("Bearer {}", session.refresh),
    ] {
        // application/json: 200 with an UNAUTHENTICATED error.
        let resp = app
            .http
            .post(app.url("/graphql"))
            .header("authorization", &auth)
            .json(&json!({ "query": "{ serverTime }" }))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 200);
        let body: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(code(&body), "UNAUTHENTICATED", "{auth}: {body}");
        assert!(body.get("data").is_none());
        // application/graphql-response+json: 401.
        let resp = app
            .http
            .post(app.url("/graphql"))
            .header("authorization", &auth)
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": "{ serverTime }" }))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 401);
        assert!(resp.headers().get("www-authenticate").is_some());
    }
}

#[tokio::test]
async fn expired_access_token_is_unauthenticated() {
    let app = TestApp::spawn_with(&[("ACCESS_TOKEN_TTL_SECS", "1")]).await;
    let session = app.register("exp@example.com", "exp").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let body = app.gql(Some(&session.access), ME, json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{body}"
    );
}

#[tokio::test]
async fn an_access_token_is_refused_from_the_millisecond_it_expires() {
    let app = TestApp::spawn_with(&[("ACCESS_TOKEN_TTL_SECS", "1")]).await;
    let session = app.register("ms@example.com", "millis").await;
    let exp = crate::helpers::jwt_exp(&session.access);
    // 300 ms into the second after expiry: jsonwebtoken alone still accepts it.
    crate::helpers::sleep_until_after(exp, 300).await;
    let body = app.gql(Some(&session.access), ME, json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
}

const REFRESH: &str = "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken refreshToken expiresIn user { id email } } }";

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let first = app.register("rot@example.com", "rot").await;

    let body = app.gql(None, REFRESH, json!({ "t": first.refresh })).await;
    let second = &body["data"]["refreshTokens"];
    let second_refresh = second["refreshToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    assert_ne!(second_refresh, first.refresh);
    assert_eq!(second["user"]["email"], "rot@example.com");
    assert_eq!(second["expiresIn"], 900);
    let me = app
        .gql(second["accessToken"].as_str(), "{ me { id } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["id"], first.user_id.as_str());

    // The first token is dead; presenting it again is reuse and kills the family.
    let reused = app.gql(None, REFRESH, json!({ "t": first.refresh })).await;
    assert_eq!(code(&reused), "UNAUTHENTICATED", "{reused}");
    let after = app.gql(None, REFRESH, json!({ "t": second_refresh })).await;
    assert_eq!(
        code(&after),
        "UNAUTHENTICATED",
        "the rotated token of a revoked family must die too: {after}"
    );

    // Another session of the same user is unaffected.
    let other = app.login("rot@example.com", "correct horse").await;
    let other_refresh = other["data"]["login"]["refreshToken"]
        .as_str()
        .expect("refresh");
    let ok = app.gql(None, REFRESH, json!({ "t": other_refresh })).await;
    assert!(
        ok["data"]["refreshTokens"]["accessToken"].is_string(),
        "{ok}"
    );
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_have_one_winner() {
    let app = TestApp::spawn().await;
    let session = app.register("race@example.com", "race").await;
    let attempts = (0..6).map(|_| app.gql(None, REFRESH, json!({ "t": session.refresh })));
    let results = futures_util::future::join_all(attempts).await;
    let winners = results
        .iter()
        .filter(|b| b["data"]["refreshTokens"].is_object())
        .count();
    assert_eq!(winners, 1, "{results:?}");
    for loser in results
        .iter()
        .filter(|b| !b["data"]["refreshTokens"].is_object())
    {
        assert_eq!(code(loser), "UNAUTHENTICATED", "{loser}");
    }
}

#[tokio::test]
async fn garbage_refresh_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let session = app.register("garbage@example.com", "garbage").await;
    for bad in ["", "nope", &session.access, &"x".repeat(5000)] {
        let body = app.gql(None, REFRESH, json!({ "t": bad })).await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    }
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let session = app.register("out@example.com", "out").await;
    let q = "mutation($t: String!) { logout(refreshToken: $t) }";
    let body = app.gql(None, q, json!({ "t": session.refresh })).await;
    assert_eq!(body["data"]["logout"], true, "{body}");
    let refresh = app
        .gql(None, REFRESH, json!({ "t": session.refresh }))
        .await;
    assert_eq!(code(&refresh), "UNAUTHENTICATED");
    let unknown = app.gql(None, q, json!({ "t": "unknown" })).await;
    assert_eq!(unknown["data"]["logout"], false);
}

#[tokio::test]
async fn update_profile_validates_and_needs_a_user() {
    let app = TestApp::spawn().await;
    let session = app.register("prof@example.com", "prof").await;
    let q =
        "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { username avatarUrl tag } }";
    let ok = app
        .gql(
            Some(&session.access),
            q,
            json!({ "i": { "username": "Prof X", "avatarUrl": "https://cdn.example/a.png" } }),
        )
        .await;
    assert_eq!(ok["data"]["updateProfile"]["username"], "Prof X", "{ok}");
    assert_eq!(
        ok["data"]["updateProfile"]["tag"],
        session.tag.as_str(),
        "the tag never changes"
    );
    let cleared = app
        .gql(
            Some(&session.access),
            q,
            json!({ "i": { "avatarUrl": null } }),
        )
        .await;
    assert_eq!(
        cleared["data"]["updateProfile"]["avatarUrl"],
        serde_json::Value::Null
    );
    assert_eq!(cleared["data"]["updateProfile"]["username"], "Prof X");
    let bad = app
        .gql(
            Some(&session.access),
            q,
            json!({ "i": { "avatarUrl": "javascript:alert(1)" } }),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "avatarUrl");
    let anonymous = app
        .gql(None, q, json!({ "i": { "username": "anon" } }))
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
}

#[tokio::test]
async fn server_time_is_the_server_clock() {
    let app = TestApp::spawn().await;
    let before = chrono::Utc::now().timestamp_millis() as f64;
    let body = app.gql(None, "{ serverTime }", json!({})).await;
    let after = chrono::Utc::now().timestamp_millis() as f64;
    let t = body["data"]["serverTime"].as_f64().expect("float");
    assert!(before <= t && t <= after, "{before} <= {t} <= {after}");
}
