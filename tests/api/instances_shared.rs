//! What instances on one database and one Redis share through their presence reports, beyond
//! who is online: the WebSocket connection caps (per user and per client address) and who is
//! typing in a room. Skipped (with a notice) when no Redis is reachable.

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

use crate::helpers::{Frame, Session, TestApp, WsClient};
use crate::instances::two_instances;
use crate::rooms::{create_room, joined, subscribe};

/// How long a report may take to reach the other instance on a busy machine.
const SPREAD: Duration = Duration::from_secs(3);

/// A graphql-ws socket to `app` signed in as `who`: `Ok` once acknowledged, or the close code
/// and reason it was refused with at `connection_init`.
async fn sign_in(app: &TestApp, who: &Session) -> Result<WsClient, (Option<u16>, String)> {
    let mut ws = WsClient::connect(app, "graphql-transport-ws").await;
    ws.send(json!({ "type": "connection_init",
        "payload": { "authorization": format!("Bearer {}", who.access) } }))
        .await;
    loop {
        match ws.recv().await {
            Frame::Json(msg) if msg["type"] == "connection_ack" => return Ok(ws),
            Frame::Json(msg) if msg["type"] == "ping" => continue,
            Frame::Json(msg) => panic!("unexpected {msg}"),
            Frame::Closed(code, reason) => return Err((code, reason)),
        }
    }
}

/// Signs `who` in on `app` until it is refused (what the other instance reported has arrived);
/// admitted probes are closed again. Returns the refusal.
async fn refused_soon(app: &TestApp, who: &Session) -> (Option<u16>, String) {
    let deadline = Instant::now() + SPREAD;
    loop {
        match sign_in(app, who).await {
            Err(refusal) => return refusal,
            Ok(probe) => probe.close().await,
        }
        assert!(Instant::now() < deadline, "never refused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signs `who` in on `app` as soon as it is admitted.
async fn admitted_soon(app: &TestApp, who: &Session) -> WsClient {
    let deadline = Instant::now() + SPREAD;
    loop {
        match sign_in(app, who).await {
            Ok(ws) => return ws,
            Err(refusal) => assert!(Instant::now() < deadline, "still refused: {refusal:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_per_user_cap_counts_the_connections_on_every_instance() {
    let Some((a, b)) = two_instances(&[("WS_MAX_CONNECTIONS_PER_USER", "2")]).await else {
        return;
    };
    let ann = a.register("ann-cap-x@example.com", "ann").await;
    let bob = a.register("bob-cap-x@example.com", "bob").await;
    let first = sign_in(&a, &ann).await.expect("first on A");
    let second = sign_in(&a, &ann).await.expect("second on A");
    assert!(sign_in(&a, &ann).await.is_err(), "third on A");

    let (code, reason) = refused_soon(&b, &ann).await;
    assert_eq!(code, Some(1013), "{reason}");
    assert!(reason.contains("Too many connections"), "{reason}");
    // Someone else is not affected.
    let _bob = sign_in(&b, &bob).await.expect("bob on B");

    // A's sockets close: B admits Ann again, up to the cap, and then A refuses her.
    first.close().await;
    second.close().await;
    let _on_b = admitted_soon(&b, &ann).await;
    let _again = admitted_soon(&b, &ann).await;
    let (code, _) = refused_soon(&a, &ann).await;
    assert_eq!(code, Some(1013));
}

/// The HTTP status of an upgrade to `app` (101 when accepted; the socket is dropped again).
async fn upgrade(app: &TestApp) -> u16 {
    let mut request = app.ws_url().into_client_request().expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => 101,
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("upgrade failed: {e}"),
    }
}

#[tokio::test]
async fn the_per_address_cap_counts_the_connections_on_every_instance() {
    let Some((a, b)) = two_instances(&[("WS_MAX_CONNECTIONS_PER_CLIENT", "2")]).await else {
        return;
    };
    let first = WsClient::signed_in(&a, None).await;
    let second = WsClient::signed_in(&a, None).await;
    let deadline = Instant::now() + SPREAD;
    loop {
        if upgrade(&b).await == 429 {
            break;
        }
        assert!(Instant::now() < deadline, "B never refused the upgrade");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.close().await;
    second.close().await;
    let deadline = Instant::now() + SPREAD;
    loop {
        if upgrade(&b).await == 101 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B never admitted the address again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const SET_TYPING: &str =
    "mutation($r: UUID!, $t: Boolean!) { setTyping(roomId: $r, isTyping: $t) }";

/// Who `room { typing }` lists, asked through `app`.
async fn typing_in(app: &TestApp, who: &Session, room: &str) -> Vec<String> {
    let body = app
        .gql(
            Some(&who.access),
            "query($r: UUID!) { room(id: $r) { typing { id } } }",
            json!({ "r": room }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["room"]["typing"]
        .as_array()
        .expect("typing")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Polls until `app` lists `expected` as typing in `room`; returns when that was.
async fn until_typing(app: &TestApp, who: &Session, room: &str, expected: &[&str]) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(6);
    loop {
        if typing_in(app, who, room).await == expected {
            return Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "typing never became {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_member_typing_on_another_instance_is_in_the_room_and_expires_with_the_ttl() {
    let ttl = Duration::from_millis(2000);
    let Some((a, b)) = two_instances(&[("ROOM_TYPING_TTL_MS", "2000")]).await else {
        return;
    };
    let ann = a.register("ann-typing-x@example.com", "ann").await;
    let bob = a.register("bob-typing-x@example.com", "bob").await;
    let room = create_room(&a, &ann, "Typing", json!({})).await;
    joined(&a, &bob, &room).await;

    let started = Instant::now();
    let set = b
        .gql(
            Some(&bob.access),
            SET_TYPING,
            json!({ "r": room, "t": true }),
        )
        .await;
    assert_eq!(set["data"]["setTyping"], true, "{set}");
    until_typing(&a, &ann, &room, &[&bob.user_id]).await;
    let snapshot = subscribe(&a, &ann, &room).await.snapshot;
    assert_eq!(
        snapshot["typing"],
        json!([{ "id": bob.user_id }]),
        "{snapshot}"
    );

    // A refresh through B moves the expiry there, and here too.
    tokio::time::sleep_until(started + ttl / 2).await;
    let refreshed = Instant::now();
    b.gql(
        Some(&bob.access),
        SET_TYPING,
        json!({ "r": room, "t": true }),
    )
    .await;
    tokio::time::sleep_until(started + ttl + Duration::from_millis(200)).await;
    assert_eq!(
        typing_in(&a, &ann, &room).await,
        [bob.user_id.as_str()],
        "expired at the first deadline though refreshed"
    );
    let ended = until_typing(&a, &ann, &room, &[]).await;
    let lasted = ended - refreshed;
    assert!(
        lasted >= ttl - Duration::from_millis(100) && lasted < ttl + Duration::from_secs(1),
        "listed {lasted:?} after the refresh"
    );
    let snapshot = subscribe(&a, &ann, &room).await.snapshot;
    assert_eq!(snapshot["typing"], json!([]), "{snapshot}");

    // A stop through B is seen at once (well within the TTL).
    b.gql(
        Some(&bob.access),
        SET_TYPING,
        json!({ "r": room, "t": true }),
    )
    .await;
    until_typing(&a, &ann, &room, &[&bob.user_id]).await;
    let stopping = Instant::now();
    b.gql(
        Some(&bob.access),
        SET_TYPING,
        json!({ "r": room, "t": false }),
    )
    .await;
    until_typing(&a, &ann, &room, &[]).await;
    assert!(stopping.elapsed() < ttl / 2, "{:?}", stopping.elapsed());
}
