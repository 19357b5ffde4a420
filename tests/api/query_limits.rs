//! Abusive documents are refused before they run: depth (introspection included, fragments
//! followed), complexity, aliases, batches, oversized WebSocket messages; and the WebSocket caps
//! (connections per client address and per user, operations per connection).

use serde_json::{Value, json};

use crate::helpers::{Frame, TestApp, WsClient};

const GRJ: &str = "application/graphql-response+json";

/// The introspection query GraphiQL and most clients send (graphql-js `getIntrospectionQuery`).
const INTROSPECTION: &str = "query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";

/// `{ __schema { types { fields { type { ofType { … ofType { name } … } } } } } }` with `n`
/// levels of `ofType`: depth `n + 5`.
fn deep_introspection(n: usize) -> String {
    format!(
        "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
        "ofType { ".repeat(n),
        " }".repeat(n)
    )
}

async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    let resp = app
        .http
        .post(app.url("/graphql"))
        .header("accept", GRJ)
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_standard_introspection_query_passes_the_default_limits() {
    let app = TestApp::spawn().await;
    let (status, body) = post(&app, json!({ "query": INTROSPECTION })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["__schema"]["types"].is_array(), "{body}");
}

#[tokio::test]
async fn deep_queries_are_refused_before_running() {
    let app = TestApp::spawn().await;
    // Depth 15 (the default limit) passes; 16 does not, written inline or through fragments.
    let (status, body) = post(&app, json!({ "query": deep_introspection(10) })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&app, json!({ "query": deep_introspection(11) })).await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("nested too deep"), "{body}");
    assert!(body.get("data").is_none(), "nothing ran: {body}");

    let via_fragments = "{ __schema { types { ...A } } }
        fragment A on __Type { fields { type { ...B } } }
        fragment B on __Type { ofType { ofType { ofType { ...C } } } }
        fragment C on __Type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } }";
    let (status, body) = post(&app, json!({ "query": via_fragments })).await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("nested too deep"), "{body}");

    // Over WebSocket too: an `error` message, nothing runs.
    let mut ws = WsClient::signed_in(&app, None).await;
    ws.subscribe("d", &deep_introspection(11), json!({})).await;
    let msg = ws.next_for("d").await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert!(
        msg["payload"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nested too deep"),
        "{msg}"
    );
}

#[tokio::test]
async fn the_depth_limit_applies_to_ordinary_queries() {
    let app = TestApp::spawn_with(&[("GRAPHQL_MAX_DEPTH", "3")]).await;
    let ann = app.register("ann@example.com", "ann").await;
    let ok = app
        .gql(
            Some(&ann.access),
            "{ friends { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert!(ok["data"]["friends"]["edges"].is_array(), "{ok}");
    let deep = app
        .gql(
            Some(&ann.access),
            "{ friends { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(message(&deep).contains("nested too deep"), "{deep}");
}

#[tokio::test]
async fn aliases_are_capped() {
    let app = TestApp::spawn_with(&[("GRAPHQL_MAX_ALIASES", "10")]).await;
    let aliased = |n: usize| {
        format!(
            "{{ {} }}",
            (0..n)
                .map(|i| format!("t{i}: serverTime"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let (status, body) = post(&app, json!({ "query": aliased(10) })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&app, json!({ "query": aliased(11) })).await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("11 aliases; at most 10"), "{body}");

    // The classic: one request guessing many passwords through aliases.
    let guesses = (0..11)
        .map(|i| format!("g{i}: login(input: {{ email: \"ann@example.com\", password: \"guess{i}xx\" }}) {{ __typename }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let (status, body) = post(
        &app,
        json!({ "query": format!("mutation {{ {guesses} }}") }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none(), "{body}");
}

#[tokio::test]
async fn complex_queries_are_refused() {
    let app = TestApp::spawn_with(&[
        ("GRAPHQL_MAX_COMPLEXITY", "20"),
        ("GRAPHQL_MAX_ALIASES", "1000"),
    ])
    .await;
    let wide = |n: usize| {
        format!(
            "{{ {} }}",
            (0..n)
                .map(|i| format!("t{i}: serverTime"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let (status, _) = post(&app, json!({ "query": wide(20) })).await;
    assert_eq!(status, 200);
    let (status, body) = post(&app, json!({ "query": wide(21) })).await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("too complex"), "{body}");
}

#[tokio::test]
async fn batches_are_not_accepted() {
    let app = TestApp::spawn().await;
    let batch = json!([{ "query": "{ serverTime }" }, { "query": "{ serverTime }" }]);
    let (status, body) = post(&app, batch).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        message(&body).contains("batched requests are not supported"),
        "{body}"
    );
}

#[tokio::test]
async fn oversized_websocket_messages_close_the_socket() {
    let app = TestApp::spawn_with(&[("BODY_LIMIT_BYTES", "4096")]).await;
    let mut ws = WsClient::signed_in(&app, None).await;
    let padding = "x".repeat(8000);
    ws.subscribe("big", &format!("{{ serverTime }} #{padding}"), json!({}))
        .await;
    match ws.recv().await {
        // Closed with RFC 6455's "Message Too Big".
        Frame::Closed(code, reason) => assert_eq!(code, Some(1009), "{reason}"),
        Frame::Json(v) => panic!("an oversized message was processed: {v}"),
    }
    // A normal message on a new socket is fine.
    let mut ws = WsClient::signed_in(&app, None).await;
    ws.subscribe("ok", "{ serverTime }", json!({})).await;
    assert_eq!(ws.next_for("ok").await["type"], "next");
}

#[tokio::test]
async fn websocket_connections_per_client_address_are_capped() {
    let app = TestApp::spawn_with(&[("WS_MAX_CONNECTIONS_PER_CLIENT", "2")]).await;
    let first = WsClient::signed_in(&app, None).await;
    let _second = WsClient::signed_in(&app, None).await;
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            app.ws_url(),
        )
        .expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 429);
            assert!(resp.headers().contains_key("retry-after"));
        }
        other => panic!("third connection was not refused: {:?}", other.map(|_| ())),
    }
    // Closing one frees its place.
    first.close().await;
    let mut reopened = None;
    for _ in 0..50 {
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                app.ws_url(),
            )
            .expect("request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        if let Ok(ok) = tokio_tungstenite::connect_async(request).await {
            reopened = Some(ok);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        reopened.is_some(),
        "a closed connection's place was not freed"
    );
}

#[tokio::test]
async fn websocket_connections_per_user_are_capped() {
    let app = TestApp::spawn_with(&[("WS_MAX_CONNECTIONS_PER_USER", "2")]).await;
    let ann = app.register("ann@example.com", "ann").await;
    let bob = app.register("bob@example.com", "bob").await;
    let _a = WsClient::signed_in(&app, Some(&ann.access)).await;
    let _b = WsClient::signed_in(&app, Some(&ann.access)).await;
    let mut third = WsClient::connect(&app, "graphql-transport-ws").await;
    third
        .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", ann.access) } }))
        .await;
    let (close, reason) = third.expect_close().await;
    assert_eq!(close, Some(1013), "{reason}");
    assert!(reason.contains("Too many connections"), "{reason}");
    // Others, and anonymous sockets, are not affected.
    let _bob = WsClient::signed_in(&app, Some(&bob.access)).await;
    let _anon = WsClient::signed_in(&app, None).await;
}

#[tokio::test]
async fn operations_per_connection_are_capped() {
    let app = TestApp::spawn_with(&[("WS_MAX_OPERATIONS_PER_CONNECTION", "2")]).await;
    let ann = app.register("ann@example.com", "ann").await;
    let mut ws = WsClient::signed_in(&app, Some(&ann.access)).await;
    let sub = "subscription { userEvents { __typename } }";
    ws.subscribe("1", sub, json!({})).await;
    ws.subscribe("2", sub, json!({})).await;
    ws.subscribe("3", sub, json!({})).await;
    let refused = ws.next_for("3").await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "TOO_MANY_REQUESTS",
        "{refused}"
    );
    // The socket stays open; completing one makes room.
    ws.send(json!({ "id": "1", "type": "complete" })).await;
    ws.subscribe("4", "{ serverTime }", json!({})).await;
    assert_eq!(ws.next_for("4").await["type"], "next");
}

/// `depth` levels of `tracks(first: 100) { nodes { artist { … } } }`.
fn nested_track_lists(depth: usize) -> String {
    format!(
        "{{ {}id{} }}",
        "tracks(first: 100) { nodes { artist { ".repeat(depth),
        " } } }".repeat(depth)
    )
}

#[tokio::test]
async fn lists_cost_their_page_size_so_nested_pages_are_refused() {
    let app = TestApp::spawn().await;
    // Four levels ask for 10^8 tracks, two already for 10^4: refused before anything runs,
    // anonymously, written inline or with the page size in a variable.
    for query in [nested_track_lists(4), nested_track_lists(2)] {
        let (status, body) = post(&app, json!({ "query": query })).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.get("data").is_none(), "{body}");
        assert!(message(&body).contains("too complex"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
    let by_variable = "query($n: Int) { tracks(first: $n) { nodes { artist { tracks(first: $n) { nodes { id } } } } } }";
    let (status, body) = post(
        &app,
        json!({ "query": by_variable, "variables": { "n": 100 } }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(
        &app,
        json!({ "query": by_variable, "variables": { "n": 5 } }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The same shape with one page of one costs next to nothing.
    let (status, body) = post(
        &app,
        json!({ "query": nested_track_lists(4).replace("first: 100", "first: 1") }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn every_real_screen_fits_the_default_cost() {
    let app = TestApp::spawn().await;
    let s = app.register("screens@example.com", "screens").await;
    let token = Some(s.access.as_str());
    let track_page = "{ tracks(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name genre durationMs mimeType bitrate sizeBytes streamUrl isFavorite createdAt artist { id name genre imageUrl } } } } }";
    let artists_with_tracks = "{ artists(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { id name genre imageUrl createdAt tracks(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { id name genre durationMs streamUrl isFavorite artist { id name } } } } } }";
    let room = app
        .gql(
            token,
            "mutation { createRoom(input: { name: \"Screen\", visibility: PUBLIC }) { id } }",
            json!({}),
        )
        .await;
    let room_id = room["data"]["createRoom"]["id"].clone();
    let room_screen = "query($r: UUID!) { room(id: $r) { id name visibility controlMode createdAt memberCount connectedCount host { id username tag avatarUrl }
        members { role isConnected joinedAt lastReadMessageId waitOptOut user { id username tag avatarUrl isOnline friendship } }
        queue { id addedAt addedBy { id username } track { id name durationMs streamUrl mimeType artist { id name } } }
        playback { isPlaying positionMs anchorTimeMs version track { id name durationMs streamUrl artist { name } } }
        typing { id username } }
      roomMessages(roomId: $r, last: 50) { totalCount unreadCount pageInfo { hasPreviousPage startCursor } nodes { id body createdAt editedAt deleted author { id username tag avatarUrl } } } }";
    for (query, variables) in [
        (track_page, json!({})),
        (artists_with_tracks, json!({})),
        (room_screen, json!({ "r": room_id })),
        (INTROSPECTION, json!({})),
    ] {
        let body = app.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "{query}: {body}");
    }
}
