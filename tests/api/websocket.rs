//! graphql-transport-ws (and legacy graphql-ws) compliance over a real socket.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::helpers::{TestApp, WsClient};

const ME: &str = "{ me { id email } }";

#[tokio::test]
async fn token_in_connection_init_payload() {
    let app = TestApp::spawn().await;
    let s = app.register("ws@example.com", "ws user").await;
    let mut ws = WsClient::signed_in(&app, Some(&s.access)).await;
    assert_eq!(ws.protocol.as_deref(), Some("graphql-transport-ws"));
    ws.subscribe("1", ME, json!({})).await;
    let next = ws.next_for("1").await;
    assert_eq!(next["type"], "next");
    assert_eq!(next["payload"]["data"]["me"]["id"], s.user_id.as_str());
    assert_eq!(next["payload"]["data"]["me"]["email"], "ws@example.com");
    assert_eq!(ws.next_for("1").await["type"], "complete");
}

#[tokio::test]
async fn token_in_upgrade_header() {
    let app = TestApp::spawn().await;
    let s = app.register("hdr@example.com", "hdr").await;
    let mut ws = WsClient::connect_with(
        &app,
        "graphql-transport-ws",
        Some(&format!("Bearer {}", s.access)),
    )
    .await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.recv_json().await["type"], "connection_ack");
    ws.subscribe("1", ME, json!({})).await;
    assert_eq!(
        ws.next_for("1").await["payload"]["data"]["me"]["id"],
        s.user_id.as_str()
    );
}

#[tokio::test]
async fn bad_token_closes_with_4403() {
    let app = TestApp::spawn().await;
    for payload in [
        json!({ "authorization": "Bearer nope" }),
        json!({ "authorization": 42 }),
        json!({ "authorization": "Basic x" }),
    ] {
        let mut ws = WsClient::connect(&app, "graphql-transport-ws").await;
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        assert_eq!(ws.expect_close().await.0, Some(4403), "{payload}");
    }
    // A bad header token with no payload token is refused too.
    let mut ws = WsClient::connect_with(&app, "graphql-transport-ws", Some("Bearer nope")).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.expect_close().await.0, Some(4403));
}

#[tokio::test]
async fn anonymous_sockets_run_public_operations_and_get_errors_for_private_ones() {
    let app = TestApp::spawn().await;
    let mut ws = WsClient::signed_in(&app, None).await;
    ws.subscribe("1", "{ me { id } serverTime }", json!({}))
        .await;
    let next = ws.next_for("1").await;
    assert_eq!(next["payload"]["data"]["me"], serde_json::Value::Null);
    assert!(next["payload"]["data"]["serverTime"].is_f64());
    assert_eq!(ws.next_for("1").await["type"], "complete");

    // A subscription that may not be opened is an `error` message; the socket stays open.
    ws.subscribe("2", "subscription { userEvents { __typename } }", json!({}))
        .await;
    let error = ws.next_for("2").await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(
        error["payload"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{error}"
    );
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.recv_json().await["type"], "pong");
    // The id is free again after an error.
    ws.subscribe("2", "{ serverTime }", json!({})).await;
    assert_eq!(ws.next_for("2").await["type"], "next");
}

#[tokio::test]
async fn validation_errors_are_error_messages() {
    let app = TestApp::spawn().await;
    let mut ws = WsClient::signed_in(&app, None).await;
    ws.subscribe("v", "{ noSuchField }", json!({})).await;
    let msg = ws.next_for("v").await;
    assert_eq!(msg["type"], "error");
    assert!(msg["payload"][0]["message"].is_string());
}

#[tokio::test]
async fn malformed_messages_close_with_4400() {
    let app = TestApp::spawn().await;
    for raw in [
        "not json".to_owned(),
        json!({ "type": "nonsense" }).to_string(),
        json!({ "type": "subscribe", "payload": { "query": "{ serverTime }" } }).to_string(),
        json!({ "type": "next", "id": "1", "payload": {} }).to_string(),
    ] {
        let mut ws = WsClient::signed_in(&app, None).await;
        ws.send_raw(Message::Text(raw.clone().into())).await;
        assert_eq!(ws.expect_close().await.0, Some(4400), "{raw}");
    }
    let mut ws = WsClient::signed_in(&app, None).await;
    ws.send_raw(Message::Binary(vec![1, 2, 3].into())).await;
    assert_eq!(ws.expect_close().await.0, Some(4400));
}

#[tokio::test]
async fn subscribe_before_ack_closes_with_4401() {
    let app = TestApp::spawn().await;
    let mut ws = WsClient::connect(&app, "graphql-transport-ws").await;
    ws.subscribe("1", "{ serverTime }", json!({})).await;
    assert_eq!(ws.expect_close().await.0, Some(4401));
}

#[tokio::test]
async fn no_init_within_the_timeout_closes_with_4408() {
    let app = TestApp::spawn_with(&[("WS_INIT_TIMEOUT_MS", "300")]).await;
    let mut ws = WsClient::connect(&app, "graphql-transport-ws").await;
    // Pings are allowed before init, but do not count as init.
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.recv_json().await["type"], "pong");
    assert_eq!(ws.expect_close().await.0, Some(4408));
}

#[tokio::test]
async fn duplicate_subscription_id_closes_with_4409() {
    let app = TestApp::spawn().await;
    let s = app.register("dup-ws@example.com", "dup").await;
    let mut ws = WsClient::signed_in(&app, Some(&s.access)).await;
    ws.subscribe(
        "same",
        "subscription { userEvents { __typename } }",
        json!({}),
    )
    .await;
    ws.subscribe(
        "same",
        "subscription { userEvents { __typename } }",
        json!({}),
    )
    .await;
    let (code, reason) = ws.expect_close().await;
    assert_eq!(code, Some(4409));
    assert!(reason.contains("same"), "{reason}");
}

#[tokio::test]
async fn completed_ids_may_be_reused() {
    let app = TestApp::spawn().await;
    let s = app.register("reuse@example.com", "reuse").await;
    let mut ws = WsClient::signed_in(&app, Some(&s.access)).await;
    ws.subscribe("a", "subscription { userEvents { __typename } }", json!({}))
        .await;
    ws.send(json!({ "id": "a", "type": "complete" })).await;
    ws.subscribe("a", "{ serverTime }", json!({})).await;
    assert_eq!(ws.next_for("a").await["type"], "next");
}

#[tokio::test]
async fn second_connection_init_closes_with_4429() {
    let app = TestApp::spawn().await;
    let mut ws = WsClient::signed_in(&app, None).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.expect_close().await.0, Some(4429));
}

#[tokio::test]
async fn ping_pong_both_ways() {
    let app = TestApp::spawn_with(&[("WS_KEEPALIVE_MS", "200")]).await;
    let mut ws = WsClient::signed_in(&app, None).await;
    ws.send(json!({ "type": "ping", "payload": { "t": 1 } }))
        .await;
    let pong = ws.recv_json().await;
    assert_eq!(pong, json!({ "type": "pong", "payload": { "t": 1 } }));
    ws.auto_pong = false;
    let ping = ws.recv_json().await;
    assert_eq!(ping["type"], "ping", "the server pings on its own");
    ws.send(json!({ "type": "pong" })).await;
}

#[tokio::test]
async fn a_silent_peer_is_dropped_and_an_answering_one_is_kept() {
    let app = TestApp::spawn_with(&[("WS_KEEPALIVE_MS", "200")]).await;
    let mut alive = WsClient::signed_in(&app, None).await;
    let mut silent = WsClient::signed_in(&app, None).await;
    silent.auto_pong = false;
    // `alive` answers pings (the helper does it while reading); `silent` reads nothing at all.
    assert!(
        alive
            .recv_within(Duration::from_millis(1500))
            .await
            .is_none()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The server gave up on it: after the pings it queued, the connection ends.
    let (code, _) = silent.expect_close().await;
    assert_ne!(code, Some(4400));
    alive.subscribe("1", "{ serverTime }", json!({})).await;
    assert_eq!(alive.next_for("1").await["type"], "next");
}

#[tokio::test]
async fn expired_access_token_closes_the_socket_with_4403() {
    let app = TestApp::spawn_with(&[("ACCESS_TOKEN_TTL_SECS", "2")]).await;
    let s = app.register("expws@example.com", "expws").await;
    let mut ws = WsClient::signed_in(&app, Some(&s.access)).await;
    let start = std::time::Instant::now();
    assert_eq!(ws.expect_close().await.0, Some(4403));
    assert!(start.elapsed() <= Duration::from_secs(3));
}

#[tokio::test]
async fn an_expired_token_is_never_acknowledged() {
    let app = TestApp::spawn_with(&[("ACCESS_TOKEN_TTL_SECS", "1")]).await;
    let s = app.register("expack@example.com", "expack").await;
    let exp = crate::helpers::jwt_exp(&s.access);
    crate::helpers::sleep_until_after(exp, 300).await;
    let mut ws = WsClient::connect(&app, "graphql-transport-ws").await;
    ws.send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", s.access) } }))
        .await;
    let (code, _) = ws.expect_close().await;
    assert_eq!(code, Some(4403), "closed without an ack");
}

#[tokio::test]
async fn legacy_graphql_ws_protocol() {
    let app = TestApp::spawn().await;
    let s = app.register("legacy@example.com", "legacy").await;
    let mut ws = WsClient::connect(&app, "graphql-ws").await;
    assert_eq!(ws.protocol.as_deref(), Some("graphql-ws"));
    ws.send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", s.access) } })).await;
    assert_eq!(ws.recv_json().await["type"], "connection_ack");
    ws.send(json!({ "id": "1", "type": "start", "payload": { "query": ME } }))
        .await;
    let data = ws.next_for("1").await;
    assert_eq!(data["type"], "data");
    assert_eq!(data["payload"]["data"]["me"]["id"], s.user_id.as_str());
    assert_eq!(ws.next_for("1").await["type"], "complete");
    ws.send(json!({ "type": "connection_terminate" })).await;
    assert!(matches!(ws.expect_close().await, (Some(1000), _)));

    let mut bad = WsClient::connect(&app, "graphql-ws").await;
    bad.send(json!({ "type": "connection_init", "payload": { "authorization": "Bearer nope" } }))
        .await;
    assert_eq!(bad.recv_json().await["type"], "connection_error");
    assert_eq!(bad.expect_close().await.0, Some(4403));
}

#[tokio::test]
async fn the_clients_first_supported_subprotocol_is_chosen_and_spoken() {
    let app = TestApp::spawn().await;
    let mut ws = WsClient::connect(&app, "graphql-ws, graphql-transport-ws").await;
    assert_eq!(ws.protocol.as_deref(), Some("graphql-ws"));
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.recv_json().await["type"], "connection_ack");
    ws.send(json!({ "id": "1", "type": "start", "payload": { "query": "{ serverTime }" } }))
        .await;
    assert_eq!(ws.next_for("1").await["type"], "data");

    let ws = WsClient::connect(&app, "unknown, graphql-transport-ws").await;
    assert_eq!(ws.protocol.as_deref(), Some("graphql-transport-ws"));

    // Only unknown subprotocols: none is echoed, so strict clients (tungstenite, like browsers)
    // fail the handshake; a lenient one is closed with 4406.
    let mut request = app.ws_url().into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "soap".parse().expect("header"));
    assert!(tokio_tungstenite::connect_async(request).await.is_err());
}

#[tokio::test]
async fn mutations_run_over_the_socket() {
    let app = TestApp::spawn().await;
    let mut ws = WsClient::signed_in(&app, None).await;
    ws.subscribe(
        "m",
        "mutation($i: RegisterInput!) { register(input: $i) { user { email } } }",
        json!({ "i": { "email": "viaws@example.com", "username": "via ws", "password": "long enough" } }),
    )
    .await;
    let next = ws.next_for("m").await;
    assert_eq!(
        next["payload"]["data"]["register"]["user"]["email"], "viaws@example.com",
        "{next}"
    );
    // A failing mutation with no data at all comes back as `error`, with its code.
    ws.subscribe(
        "m2",
        "mutation($i: RegisterInput!) { register(input: $i) { user { email } } }",
        json!({ "i": { "email": "viaws@example.com", "username": "via ws", "password": "long enough" } }),
    )
    .await;
    let msg = ws.next_for("m2").await;
    assert_eq!(msg["payload"][0]["extensions"]["code"], "CONFLICT", "{msg}");
}
