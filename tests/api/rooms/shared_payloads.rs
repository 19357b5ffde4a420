//! One room event fanned out to subscribers who share a document and variables is resolved
//! once; fields that depend on who asks (here `Track.isFavorite`) still come out per viewer.

use serde_json::{Value, json};

use super::{create_room, joined, ok, play, seek};
use crate::helpers::{Session, TestApp, WsClient};

const DOCUMENT: &str = "subscription($r: UUID!) { roomEvents(roomId: $r) { __typename
  ... on PlaybackChanged { serverTimeMs playback { version positionMs track { id name isFavorite } } } } }";

/// The same document without viewer-dependent fields.
const PLAIN: &str = "subscription($r: UUID!) { roomEvents(roomId: $r) { __typename
  ... on PlaybackChanged { serverTimeMs playback { version positionMs track { id name } } } } }";

async fn subscribed(app: &TestApp, who: &Session, room: &str, document: &str) -> WsClient {
    let mut ws = WsClient::signed_in(app, Some(&who.access)).await;
    ws.subscribe("ev", document, json!({ "r": room })).await;
    let first = ws.next_for("ev").await;
    assert_eq!(
        first["payload"]["data"]["roomEvents"]["__typename"], "RoomSnapshot",
        "{first}"
    );
    ws
}

/// The next `PlaybackChanged` payload (the whole `next` message's payload).
async fn playback_changed(ws: &mut WsClient) -> Value {
    loop {
        let msg = ws.next_for("ev").await;
        assert_eq!(msg["type"], "next", "{msg}");
        if msg["payload"]["data"]["roomEvents"]["__typename"] == "PlaybackChanged" {
            return msg["payload"].clone();
        }
    }
}

#[tokio::test]
async fn subscribers_sharing_an_event_get_their_own_viewer_dependent_fields() {
    let app = TestApp::spawn().await;
    let host = app.register("host-share@example.com", "host").await;
    let fan = app.register("fan-share@example.com", "fan").await;
    let other = app.register("other-share@example.com", "other").await;
    let fan2 = app.register("fan2-share@example.com", "fan2").await;
    let room = create_room(&app, &host, "Shared", json!({})).await;
    for member in [&fan, &other, &fan2] {
        joined(&app, member, &room).await;
    }
    let track = app.create_track("Loved", 200_000).await;
    let favorite = "mutation($t: UUID!) { addFavorite(trackId: $t) { id isFavorite } }";
    for who in [&fan, &fan2] {
        let added = ok(&app, who, favorite, json!({ "t": track }), "addFavorite").await;
        assert_eq!(added["isFavorite"], true);
    }

    let mut sockets = Vec::new();
    for who in [&host, &fan, &other, &fan2] {
        sockets.push(subscribed(&app, who, &room, DOCUMENT).await);
    }
    // Another document on the same event: its own shape.
    let mut plain = subscribed(&app, &other, &room, PLAIN).await;

    ok(
        &app,
        &host,
        &play(),
        json!({ "r": room, "t": track, "p": 0 }),
        "roomPlay",
    )
    .await;
    ok(
        &app,
        &host,
        &seek(),
        json!({ "r": room, "p": 30_000 }),
        "roomSeek",
    )
    .await;

    for (version, position) in [(1, 0), (2, 30_000)] {
        let mut payloads = Vec::new();
        for ws in &mut sockets {
            payloads.push(playback_changed(ws).await);
        }
        let favorites: Vec<&Value> = payloads
            .iter()
            .map(|p| &p["data"]["roomEvents"]["playback"]["track"]["isFavorite"])
            .collect();
        assert_eq!(
            favorites,
            [&json!(false), &json!(true), &json!(false), &json!(true)],
            "host, fan, other, fan2 at version {version}: {payloads:?}"
        );
        for p in &payloads {
            let event = &p["data"]["roomEvents"];
            assert_eq!(event["playback"]["version"], version, "{p}");
            assert_eq!(event["playback"]["positionMs"], position, "{p}");
            assert_eq!(event["playback"]["track"]["id"], track.as_str());
            assert_eq!(event["playback"]["track"]["name"], "Loved");
            assert!(p["errors"].is_null(), "{p}");
        }
        // The same event in the same shape: identical apart from the viewer's own field.
        let strip = |p: &Value| {
            let mut p = p.clone();
            p["data"]["roomEvents"]["playback"]["track"]["isFavorite"] = Value::Null;
            p
        };
        assert!(payloads.iter().all(|p| strip(p) == strip(&payloads[0])));

        let shown = playback_changed(&mut plain).await;
        let track_shown = &shown["data"]["roomEvents"]["playback"]["track"];
        assert_eq!(track_shown["id"], track.as_str(), "{shown}");
        assert!(
            track_shown.get("isFavorite").is_none(),
            "a document that did not ask for isFavorite does not get it: {shown}"
        );
        assert_eq!(shown["data"]["roomEvents"]["playback"]["version"], version);
    }
}
