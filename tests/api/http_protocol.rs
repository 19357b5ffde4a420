//! GraphQL over HTTP conformance and the cross-cutting HTTP layers.

use serde_json::{Value, json};

use crate::helpers::TestApp;

const GRJ: &str = "application/graphql-response+json";

async fn post_raw(
    app: &TestApp,
    accept: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> reqwest::Response {
    let mut req = app.http.post(app.url("/graphql")).body(body.to_owned());
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    if let Some(c) = content_type {
        req = req.header("content-type", c);
    }
    req.send().await.expect("send")
}

fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn accept_negotiation() {
    let app = TestApp::spawn().await;
    let q = r#"{"query":"{ __typename }"}"#;
    for (accept, expected) in [
        (Some(GRJ), GRJ),
        (Some("application/json"), "application/json"),
        (Some("*/*"), "application/json"),
        (None, "application/json"),
        (
            Some("application/json;q=0.5, application/graphql-response+json"),
            GRJ,
        ),
    ] {
        let resp = post_raw(&app, accept, Some("application/json"), q).await;
        assert_eq!(resp.status(), 200, "{accept:?}");
        assert!(
            content_type(&resp).starts_with(expected),
            "{accept:?}: {}",
            content_type(&resp)
        );
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["data"]["__typename"], "Query");
    }
    let resp = post_raw(&app, Some("text/html"), Some("application/json"), q).await;
    assert_eq!(resp.status(), 406);
}

#[tokio::test]
async fn malformed_requests_are_400_whatever_the_media_type() {
    let app = TestApp::spawn().await;
    for body in [
        r#"{ "not a JSON"#,
        r#"{"qeury":"{ __typename }"}"#,
        r#"{"query":{"obj":"ect"}}"#,
        r#"{"query":"{ __typename }","variables":"x"}"#,
        r#"{"query":"{ __typename }","operationName":0}"#,
        r#"{"query":"{ __typename }","extensions":[1]}"#,
        r#"[{"query":"{ __typename }"}]"#,
    ] {
        for accept in [GRJ, "application/json"] {
            let resp = post_raw(&app, Some(accept), Some("application/json"), body).await;
            assert_eq!(resp.status(), 400, "{accept}: {body}");
            let json: Value = resp.json().await.expect("json");
            assert!(json.get("data").is_none(), "{body}: {json}");
            assert!(json["errors"][0]["message"].is_string(), "{body}: {json}");
        }
    }
}

#[tokio::test]
async fn document_errors_are_400_under_graphql_response_json_and_200_under_json() {
    let app = TestApp::spawn().await;
    for body in [
        r#"{"query":"{"}"#,
        r#"{"query":"{ doesNotExist }"}"#,
        r#"{"query":"query Q { serverTime }","operationName":"Other"}"#,
    ] {
        let resp = post_raw(&app, Some(GRJ), Some("application/json"), body).await;
        assert_eq!(resp.status(), 400, "{body}");
        let json: Value = resp.json().await.expect("json");
        assert!(json.get("data").is_none(), "{body}: {json}");
        assert!(json["errors"][0]["message"].is_string(), "{body}: {json}");

        let resp = post_raw(
            &app,
            Some("application/json"),
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(resp.status(), 200, "{body}");
        let json: Value = resp.json().await.expect("json");
        assert!(json["errors"].is_array(), "{body}: {json}");
    }
}

#[tokio::test]
async fn field_errors_keep_200_and_data() {
    let app = TestApp::spawn().await;
    let resp = post_raw(
        &app,
        Some(GRJ),
        Some("application/json"),
        r#"{"query":"mutation { updateProfile(input: {username: \"x y z\"}) { id } }"}"#,
    )
    .await;
    assert_eq!(resp.status(), 200);
    let json: Value = resp.json().await.expect("json");
    assert_eq!(json["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(
        json.get("data").is_some(),
        "execution errors keep the data entry: {json}"
    );
}

#[tokio::test]
async fn post_needs_a_json_content_type_and_a_body() {
    let app = TestApp::spawn().await;
    let q = r#"{"query":"{ __typename }"}"#;
    assert_eq!(post_raw(&app, None, None, q).await.status(), 415);
    assert_eq!(
        post_raw(&app, None, Some("text/plain"), q).await.status(),
        415
    );
    assert_eq!(
        post_raw(&app, None, Some("application/json; charset=latin1"), q)
            .await
            .status(),
        415
    );
    assert_eq!(
        post_raw(&app, None, Some("application/json; charset=utf-8"), q)
            .await
            .status(),
        200
    );
    let empty = post_raw(&app, Some(GRJ), Some("application/json"), "").await;
    assert_eq!(empty.status(), 400);
}

#[tokio::test]
async fn get_runs_queries_but_not_mutations() {
    let app = TestApp::spawn().await;
    let resp = app
        .http
        .get(app.url("/graphql"))
        .query(&[
            (
                "query",
                "query Type($name: String!) { __type(name: $name) { name } }",
            ),
            ("variables", r#"{"name":"User"}"#),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["data"]["__type"]["name"], "User");

    for query in [
        "mutation { logout(refreshToken: \"x\") }",
        "query A { serverTime } mutation B { logout(refreshToken: \"x\") }",
    ] {
        let mut params = vec![("query", query)];
        if query.contains("mutation B") {
            params.push(("operationName", "B"));
        }
        let resp = app
            .http
            .get(app.url("/graphql"))
            .header("accept", GRJ)
            .query(&params)
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 405, "{query}");
        assert_eq!(resp.headers()["allow"], "POST");
    }
}

#[tokio::test]
async fn graphiql_is_served() {
    let app = TestApp::spawn().await;
    let resp = app
        .http
        .get(app.url("/graphiql"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.expect("text");
    assert!(html.contains("graphiql") && html.contains("/graphql"));
    // A browser opening /graphql itself gets the playground too.
    let resp = app
        .http
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("send");
    assert!(resp.text().await.expect("text").contains("graphiql"));
}

#[tokio::test]
async fn health_and_ready() {
    let app = TestApp::spawn().await;
    let health: Value = app
        .http
        .get(app.url("/health"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
    assert!(
        health["version"].is_string()
            && health["uptimeSeconds"].is_u64()
            && health["timestamp"].is_string()
    );
    let resp = app.http.get(app.url("/ready")).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    let ready: Value = resp.json().await.expect("json");
    assert_eq!(ready["database"], "ok");
}

#[tokio::test]
async fn request_ids_cors_and_compression() {
    let app = TestApp::spawn().await;
    let resp = app.http.get(app.url("/health")).send().await.expect("send");
    let id = resp
        .headers()
        .get("x-request-id")
        .expect("request id")
        .to_str()
        .expect("ascii");
    assert_eq!(id.len(), 36);
    let resp = app
        .http
        .get(app.url("/health"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("send");
    assert_eq!(
        resp.headers()["x-request-id"],
        "abc-123",
        "a client's request id is kept"
    );

    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("send");
    assert!(preflight.status().is_success());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );

    // A large response is compressed for clients that accept it.
    let introspection =
        json!({ "query": "{ __schema { types { name fields { name description } } } }" });
    let resp = app
        .http
        .post(app.url("/graphql"))
        .header("accept-encoding", "gzip")
        .json(&introspection)
        .send()
        .await
        .expect("send");
    assert_eq!(
        resp.headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap_or("")),
        Some("gzip")
    );
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn_with(&[("CORS_ORIGINS", "https://app.example")]).await;
    for (origin, allowed) in [
        ("https://app.example", true),
        ("https://evil.example", false),
    ] {
        let resp = app
            .http
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .expect("send");
        assert_eq!(
            resp.headers().get("access-control-allow-origin").is_some(),
            allowed,
            "{origin}"
        );
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::spawn_with(&[("BODY_LIMIT_BYTES", "4096")]).await;
    let big = json!({ "query": format!("{{ __typename }} #{}", "x".repeat(8000)) }).to_string();
    let resp = post_raw(&app, None, Some("application/json"), &big).await;
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn overly_complex_queries_are_refused_before_running() {
    let app = TestApp::spawn_with(&[("GRAPHQL_MAX_COMPLEXITY", "50")]).await;
    let wide = format!(
        "{{ {} }}",
        (0..60)
            .map(|i| format!("a{i}: serverTime"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let resp = post_raw(
        &app,
        Some(GRJ),
        Some("application/json"),
        &json!({ "query": wide }).to_string(),
    )
    .await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("too complex"),
        "{body}"
    );
}

#[tokio::test]
async fn preflights_allow_the_headers_clients_send() {
    // What Apollo Client (clientAwareness, CSRF prevention) and Sentry/OpenTelemetry tracing add.
    let asked = "apollographql-client-name,apollographql-client-version,apollo-require-preflight,\
                 sentry-trace,baggage,traceparent,tracestate,authorization,content-type";
    for (cors_origins, origin) in [
        (None, "http://localhost:5173"),
        (Some("https://app.example"), "https://app.example"),
    ] {
        let app = match cors_origins {
            Some(list) => TestApp::spawn_with(&[("CORS_ORIGINS", list)]).await,
            None => TestApp::spawn().await,
        };
        let preflight = app
            .http
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", asked)
            .send()
            .await
            .expect("send");
        assert!(preflight.status().is_success(), "{}", preflight.status());
        let headers = preflight.headers();
        assert_eq!(headers["access-control-allow-origin"], origin);
        let allowed: Vec<String> = headers
            .get_all("access-control-allow-headers")
            .iter()
            .flat_map(|v| v.to_str().unwrap_or_default().split(','))
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        for header in asked.split(',') {
            assert!(
                allowed.iter().any(|a| a == header || a == "*"),
                "{header} not allowed: {allowed:?}"
            );
        }
        let methods = headers["access-control-allow-methods"]
            .to_str()
            .unwrap_or_default();
        assert!(methods.contains("POST"), "{methods}");
    }
    // The origin rules stay: an origin off the list gets no allow-origin.
    let app = TestApp::spawn_with(&[("CORS_ORIGINS", "https://app.example")]).await;
    let refused = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", asked)
        .send()
        .await
        .expect("send");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn graphql_answers_vary_on_authorization() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-vary@example.com", "ann").await;
    for token in [None, Some(ann.access.as_str())] {
        let mut req = app
            .http
            .get(app.url("/graphql?query=%7B%20me%20%7B%20id%20%7D%20%7D"))
            .header("origin", "http://localhost:5173");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("send");
        assert_eq!(resp.status(), 200);
        let vary = vary_of(&resp);
        assert!(vary.contains(&"authorization".to_owned()), "{vary:?}");
        assert!(
            vary.contains(&"origin".to_owned()),
            "CORS keeps its Vary: {vary:?}"
        );
    }
}

/// Every name listed in the response's `Vary` headers, lower-cased.
pub fn vary_of(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or_default().split(','))
        .map(|h| h.trim().to_ascii_lowercase())
        .collect()
}
