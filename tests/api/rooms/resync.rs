//! A room subscriber that falls behind is resynced only while it is still a member: the
//! events it missed may be the ones that removed it.

use std::time::Duration;

use serde_json::{Value, json};
use soundroom::realtime::Topic;

use crate::helpers::{Frame, Session, TestApp, WsClient};
use crate::rooms::{create_room, joined, room_events};
use crate::social::befriend;

const SAY: &str =
    "mutation($r: UUID!, $b: String!) { sendRoomMessage(roomId: $r, body: $b) { id } }";
const KICK: &str = "mutation($r: UUID!, $u: UUID!) { kickFromRoom(roomId: $r, userId: $u) }";

async fn say(app: &TestApp, who: &Session, room: &str, body: &str) {
    let said = app
        .gql(Some(&who.access), SAY, json!({ "r": room, "b": body }))
        .await;
    assert!(said["errors"].is_null(), "{said}");
}

/// Whether the room's only subscriber has stopped taking events (its socket is full).
async fn held_up(app: &TestApp, topic: Topic) -> bool {
    if app.state.bus.queued(topic) == 0 {
        return false;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    app.state.bus.queued(topic) > 0
}

#[tokio::test]
async fn a_member_kicked_while_not_reading_hears_nothing_after_the_kick() {
    let app =
        TestApp::spawn_with(&[("EVENT_BUFFER", "8"), ("ROOM_MESSAGE_MAX_CHARS", "16384")]).await;
    let ann = app.register("ann-resync@example.com", "ann").await;
    let bob = app.register("bob-resync@example.com", "bob").await;
    befriend(&app, &ann, &bob).await;
    let id = create_room(&app, &ann, "Hush", json!({ "visibility": "PRIVATE" })).await;
    let invited = app
        .gql(
            Some(&ann.access),
            "mutation($r: UUID!, $u: UUID!) { inviteToRoom(roomId: $r, userId: $u) }",
            json!({ "r": id, "u": bob.user_id }),
        )
        .await;
    assert_eq!(invited["data"]["inviteToRoom"], true, "{invited}");
    joined(&app, &bob, &id).await;

    let mut bob_ws = WsClient::signed_in_with_small_buffer(&app, Some(&bob.access)).await;
    bob_ws
        .subscribe("ev", &room_events(), json!({ "r": id }))
        .await;
    let first = bob_ws.next_for("ev").await;
    assert_eq!(
        first["payload"]["data"]["roomEvents"]["__typename"], "RoomSnapshot",
        "{first}"
    );

    // Bob stops reading. Ann talks until his connection holds the server up.
    let topic = Topic::Room(id.parse().expect("uuid"));
    let filler = "x".repeat(16_000);
    let mut before = 0;
    while !held_up(&app, topic).await {
        before += 1;
        assert!(before < 2_000, "the subscriber was never held up");
        say(&app, &ann, &id, &format!("before {before} {filler}")).await;
    }
    // Now the host removes him, and the room goes on: his MemberLeft is pushed out of his
    // buffer by what follows.
    let kicked = app
        .gql(
            Some(&ann.access),
            KICK,
            json!({ "r": id, "u": bob.user_id }),
        )
        .await;
    assert_eq!(kicked["data"]["kickFromRoom"], true, "{kicked}");
    for i in 0..20 {
        say(&app, &ann, &id, &format!("after the kick {i}")).await;
    }

    // Bob reads again: what was already on its way, then the end, and nothing said after it.
    let mut kinds: Vec<String> = Vec::new();
    let mut last: Value = Value::Null;
    loop {
        let frame = bob_ws
            .recv_within(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("the subscription never ended; heard {kinds:?}"));
        let msg = match frame {
            Frame::Json(msg) if msg["id"] == "ev" => msg,
            Frame::Json(_) => continue,
            Frame::Closed(code, reason) => panic!("socket closed: {code:?} {reason}"),
        };
        if msg["type"] == "complete" {
            break;
        }
        assert_eq!(msg["type"], "next", "{msg}");
        let event = msg["payload"]["data"]["roomEvents"].clone();
        let kind = event["__typename"].as_str().unwrap_or_default().to_owned();
        assert_ne!(kind, "RoomSnapshot", "no snapshot after the kick");
        let body = event["message"]["body"].as_str().unwrap_or_default();
        assert!(
            !body.starts_with("after the kick"),
            "heard what was said after the kick: {body}"
        );
        kinds.push(kind);
        last = event;
    }
    assert_eq!(last["__typename"], "MemberLeft", "{kinds:?}");
    assert_eq!(last["user"]["id"], bob.user_id.as_str());
    assert_eq!(last["kicked"], true);
    // The socket stays usable, and the room is closed to him.
    bob_ws
        .subscribe("again", &room_events(), json!({ "r": id }))
        .await;
    let refused = bob_ws.next_for("again").await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "NOT_FOUND");
}
