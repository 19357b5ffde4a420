//! The web client and GraphiQL served by the binary: `/` and client routes answer the client's
//! page, hashed assets are cached for good, GraphiQL loads nothing from elsewhere, and the API
//! routes keep their precedence over the fallback.

use reqwest::{Response, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, WsClient, test_config};

async fn get(app: &TestApp, path: &str, accept: Option<&str>) -> Response {
    let mut req = app.http.get(app.url(path));
    if let Some(a) = accept {
        req = req.header(header::ACCEPT, a);
    }
    req.send().await.expect("send")
}

fn header_of(resp: &Response, name: header::HeaderName) -> &str {
    resp.headers()
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The `src`/`href` values of a page that point at files (scripts, styles, icons).
fn referenced(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for piece in html.split(attr).skip(1) {
            if let Some(end) = piece.find('"') {
                out.push(piece[..end].to_owned());
            }
        }
    }
    out
}

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

#[tokio::test]
async fn root_serves_the_client_and_client_routes_fall_back_to_it() {
    let app = TestApp::spawn().await;
    let root = get(&app, "/", Some(BROWSER_ACCEPT)).await;
    assert_eq!(root.status(), 200);
    assert!(header_of(&root, header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(header_of(&root, header::CACHE_CONTROL), "no-cache");
    assert!(header_of(&root, header::CONTENT_SECURITY_POLICY).contains("default-src 'self'"));
    let etag = header_of(&root, header::ETAG).to_owned();
    let page = root.text().await.expect("text");
    assert!(page.contains("<div id=\"root\">"), "{page}");

    for path in [
        "/rooms/7b1c6c8e-8a51-4f0e-9d8e-0c3f3d2f6a11",
        "/library",
        "/auth/callback",
        "/friends/",
    ] {
        let resp = get(&app, path, Some(BROWSER_ACCEPT)).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(
            header_of(&resp, header::CACHE_CONTROL),
            "no-cache",
            "{path}"
        );
        assert_eq!(resp.text().await.expect("text"), page, "{path}");
    }

    // Revalidation: the same page answers 304.
    let again = app
        .http
        .get(app.url("/rooms/x"))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("send");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_misses_are_404() {
    let app = TestApp::spawn().await;
    let page = get(&app, "/", None).await.text().await.expect("text");
    let assets: Vec<String> = referenced(&page)
        .into_iter()
        .filter(|p| p.starts_with("/assets/"))
        .collect();
    assert!(
        assets.iter().any(|a| a.ends_with(".js")),
        "a script: {assets:?}"
    );
    assert!(
        assets.iter().any(|a| a.ends_with(".css")),
        "a stylesheet: {assets:?}"
    );
    for asset in &assets {
        let resp = get(&app, asset, None).await;
        assert_eq!(resp.status(), 200, "{asset}");
        assert_eq!(
            header_of(&resp, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable",
            "{asset}"
        );
        let ct = header_of(&resp, header::CONTENT_TYPE).to_owned();
        assert!(
            ct.starts_with("text/javascript") || ct.starts_with("text/css"),
            "{asset}: {ct}"
        );
        assert!(!resp.bytes().await.expect("body").is_empty());
    }
    let icon = get(&app, "/favicon.svg", None).await;
    assert_eq!(icon.status(), 200);
    assert_eq!(header_of(&icon, header::CONTENT_TYPE), "image/svg+xml");

    // What does not exist is 404, never the client's page.
    for path in [
        "/assets/app-missing.js",
        "/assets/",
        "/api",
        "/api/rooms",
        "/graphql/extra",
        "/stream/1/2/3",
        "/health/deep",
        "/robots.txt",
    ] {
        let resp = get(&app, path, Some(BROWSER_ACCEPT)).await;
        assert_eq!(resp.status(), 404, "{path}");
        assert!(
            !header_of(&resp, header::CONTENT_TYPE).starts_with("text/html"),
            "{path}"
        );
    }
    // A client route asked for as JSON, or written to, is not a page either.
    assert_eq!(
        get(&app, "/rooms/x", Some("application/json"))
            .await
            .status(),
        404
    );
    let post = app
        .http
        .post(app.url("/rooms/x"))
        .send()
        .await
        .expect("send");
    assert_eq!(post.status(), 404);
}

#[tokio::test]
async fn graphiql_references_only_local_assets() {
    let app = TestApp::spawn().await;
    for (path, accept) in [("/graphiql", BROWSER_ACCEPT), ("/graphql", BROWSER_ACCEPT)] {
        let resp = get(&app, path, Some(accept)).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert!(header_of(&resp, header::CONTENT_TYPE).starts_with("text/html"));
        let html = resp.text().await.expect("text");
        assert!(html.contains("<title>Soundroom GraphiQL</title>"), "{path}");
        assert!(
            !html.contains("unpkg") && !html.contains("://"),
            "{path}: {html}"
        );
        let files = referenced(&html);
        assert!(!files.is_empty());
        for file in files {
            assert!(file.starts_with('/') && !file.starts_with("//"), "{file}");
            let asset = get(&app, &file, None).await;
            assert_eq!(asset.status(), 200, "{file}");
        }
    }
}

#[tokio::test]
async fn api_routes_keep_precedence_over_the_client() {
    let app = TestApp::spawn().await;
    let health: Value = get(&app, "/health", Some(BROWSER_ACCEPT))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(get(&app, "/ready", None).await.status(), 200);
    assert!(
        get(&app, "/metrics", None)
            .await
            .text()
            .await
            .expect("text")
            .contains("soundroom_")
    );
    let body = app.gql(None, "{ serverTime }", json!({})).await;
    assert!(body["data"]["serverTime"].is_number(), "{body}");
    let resp = get(
        &app,
        "/graphql?query=%7BserverTime%7D",
        Some("application/json"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    // /stream and /auth/google answer as themselves (401 and 404 here), not with the client.
    let stream = get(
        &app,
        "/stream/7b1c6c8e-8a51-4f0e-9d8e-0c3f3d2f6a11",
        Some(BROWSER_ACCEPT),
    )
    .await;
    assert_eq!(stream.status(), 401);
    let google = get(&app, "/auth/google", Some(BROWSER_ACCEPT)).await;
    assert_eq!(google.status(), 404);
    assert!(!header_of(&google, header::CONTENT_TYPE).starts_with("text/html"));
    // Subscriptions still upgrade on /graphql.
    let ws = WsClient::signed_in(&app, None).await;
    assert_eq!(ws.protocol.as_deref(), Some("graphql-transport-ws"));
    ws.close().await;
}

#[tokio::test]
async fn providers_say_whether_google_sign_in_is_offered() {
    let app = TestApp::spawn().await;
    let off: Value = get(&app, "/auth/providers", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(off, json!({ "google": false }));
    let app = TestApp::spawn_with(&[
        ("OIDC_ISSUER_URL", "http://127.0.0.1:9"),
        ("GOOGLE_CLIENT_ID", "id"),
    ])
    .await;
    let on: Value = get(&app, "/auth/providers", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(on, json!({ "google": true }));
}

#[test]
fn the_frontend_is_the_server_itself_by_default() {
    let config = test_config(&[("HOST", "127.0.0.1"), ("PORT", "8123")]);
    assert_eq!(config.security.frontend_url, "http://127.0.0.1:8123");
    let config = test_config(&[("PUBLIC_URL", "https://listen.example.com/")]);
    assert_eq!(config.security.frontend_url, "https://listen.example.com");
    let config = test_config(&[
        ("PUBLIC_URL", "https://api.example.com"),
        ("FRONTEND_URL", "https://app.example.com"),
    ]);
    assert_eq!(config.security.frontend_url, "https://app.example.com");
}
