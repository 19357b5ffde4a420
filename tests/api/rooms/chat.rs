//! Room chat (messages, edits, deletes, history, read markers), typing and its expiry, WebRTC
//! signalling between members.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, WsClient, code};
use crate::rooms::{create_room, joined, subscribe};

const SEND: &str = "mutation($r: UUID!, $b: String!) { sendRoomMessage(roomId: $r, body: $b) { id roomId body author { id } createdAt editedAt deleted } }";
const EDIT: &str = "mutation($m: UUID!, $b: String!) { editRoomMessage(messageId: $m, body: $b) { id body editedAt } }";
const DELETE: &str = "mutation($m: UUID!) { deleteRoomMessage(messageId: $m) { id body deleted } }";
const HISTORY: &str = "query($r: UUID!, $l: Int, $b: String) { roomMessages(roomId: $r, last: $l, before: $b) { totalCount unreadCount edges { cursor node { id body deleted } } nodes { body } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }";
const READ: &str = "mutation($r: UUID!, $m: UUID!) { markRoomRead(roomId: $r, messageId: $m) }";
const TYPING: &str = "mutation($r: UUID!, $t: Boolean!) { setTyping(roomId: $r, isTyping: $t) }";
const SIGNAL: &str = "mutation($r: UUID!, $u: UUID!, $s: JSON!) { sendSignal(roomId: $r, toUserId: $u, signal: $s) }";

async fn send(app: &TestApp, who: &Session, room: &str, body: &str) -> Value {
    let b = app
        .gql(Some(&who.access), SEND, json!({ "r": room, "b": body }))
        .await;
    assert!(b["errors"].is_null(), "{b}");
    b["data"]["sendRoomMessage"].clone()
}

async fn history(
    app: &TestApp,
    who: &Session,
    room: &str,
    last: i32,
    before: Option<&str>,
) -> Value {
    let b = app
        .gql(
            Some(&who.access),
            HISTORY,
            json!({ "r": room, "l": last, "b": before }),
        )
        .await;
    assert!(b["errors"].is_null(), "{b}");
    b["data"]["roomMessages"].clone()
}

fn bodies(page: &Value) -> Vec<String> {
    page["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn messages_edits_deletes_history_and_read_markers() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-chat@example.com", "ann").await;
    let bob = app.register("bob-chat@example.com", "bob").await;
    let eve = app.register("eve-chat@example.com", "eve").await;
    let id = create_room(&app, &ann, "Chat", json!({})).await;
    joined(&app, &bob, &id).await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;

    let first = send(&app, &bob, &id, "hello").await;
    assert_eq!(first["author"]["id"], bob.user_id.as_str());
    assert_eq!(first["deleted"], false);
    let e = ann_ws.next_of("ChatMessagePosted").await;
    assert_eq!(e["message"]["body"], "hello");
    for i in 1..=4 {
        send(&app, &ann, &id, &format!("message {i}")).await;
    }

    // Newest last, paged backwards.
    let page = history(&app, &ann, &id, 2, None).await;
    assert_eq!(bodies(&page), ["message 3", "message 4"]);
    assert_eq!(page["totalCount"], 5);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    let cursor = page["pageInfo"]["startCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let older = history(&app, &ann, &id, 10, Some(&cursor)).await;
    assert_eq!(bodies(&older), ["hello", "message 1", "message 2"]);
    assert_eq!(older["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(older["pageInfo"]["hasNextPage"], true);
    let bad = app
        .gql(Some(&ann.access), HISTORY, json!({ "r": id, "b": "nope" }))
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");

    // Edits: own messages only.
    let m = first["id"].as_str().expect("id");
    let refused = app
        .gql(Some(&ann.access), EDIT, json!({ "m": m, "b": "hijacked" }))
        .await;
    assert_eq!(code(&refused), "FORBIDDEN");
    let edited = app
        .gql(Some(&bob.access), EDIT, json!({ "m": m, "b": "hello!" }))
        .await;
    assert_eq!(
        edited["data"]["editRoomMessage"]["body"], "hello!",
        "{edited}"
    );
    assert!(edited["data"]["editRoomMessage"]["editedAt"].is_string());
    let e = ann_ws.next_of("ChatMessageEdited").await;
    assert_eq!(e["message"]["body"], "hello!");

    // Deletes: own, or the host deletes any; the message keeps its place.
    let m4 = history(&app, &ann, &id, 1, None).await["edges"][0]["node"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let refused = app.gql(Some(&bob.access), DELETE, json!({ "m": m4 })).await;
    assert_eq!(code(&refused), "FORBIDDEN", "not his");
    let deleted = app.gql(Some(&ann.access), DELETE, json!({ "m": m })).await;
    assert_eq!(
        deleted["data"]["deleteRoomMessage"]["deleted"], true,
        "the host deletes bob's: {deleted}"
    );
    assert_eq!(deleted["data"]["deleteRoomMessage"]["body"], "");
    let e = ann_ws.next_of("ChatMessageDeleted").await;
    assert_eq!(e["message"]["deleted"], true);
    let all = history(&app, &bob, &id, 10, None).await;
    assert_eq!(
        bodies(&all),
        ["", "message 1", "message 2", "message 3", "message 4"]
    );
    let again = app
        .gql(Some(&bob.access), EDIT, json!({ "m": m, "b": "back" }))
        .await;
    assert_eq!(code(&again), "CONFLICT");

    // Read markers: forward only, members see them.
    assert_eq!(history(&app, &bob, &id, 1, None).await["unreadCount"], 4);
    let third = all["edges"][2]["node"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let moved = app
        .gql(Some(&bob.access), READ, json!({ "r": id, "m": third }))
        .await;
    assert_eq!(moved["data"]["markRoomRead"], true, "{moved}");
    let e = ann_ws.next_of("ReadMarkerUpdated").await;
    assert_eq!(
        (e["user"]["id"].as_str(), e["messageId"].as_str()),
        (Some(bob.user_id.as_str()), Some(third.as_str()))
    );
    assert_eq!(history(&app, &bob, &id, 1, None).await["unreadCount"], 2);
    let second = all["edges"][1]["node"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let back = app
        .gql(Some(&bob.access), READ, json!({ "r": id, "m": second }))
        .await;
    assert_eq!(back["data"]["markRoomRead"], false, "never backwards");

    // Limits and strangers.
    for body in ["", "   ", &"x".repeat(4097)] {
        let b = app
            .gql(Some(&ann.access), SEND, json!({ "r": id, "b": body }))
            .await;
        assert_eq!(code(&b), "BAD_USER_INPUT");
        assert_eq!(b["errors"][0]["extensions"]["field"], "body");
    }
    send(&app, &ann, &id, &"é".repeat(4096)).await;
    let b = app
        .gql(Some(&eve.access), SEND, json!({ "r": id, "b": "hi" }))
        .await;
    assert_eq!(code(&b), "FORBIDDEN");
    let b = app
        .gql(Some(&eve.access), HISTORY, json!({ "r": id }))
        .await;
    assert_eq!(code(&b), "FORBIDDEN");
    let b = app.gql(Some(&eve.access), DELETE, json!({ "m": m4 })).await;
    assert_eq!(
        code(&b),
        "NOT_FOUND",
        "a stranger does not learn the message exists"
    );
}

#[tokio::test]
async fn typing_is_shown_refreshed_and_expires() {
    let app = TestApp::spawn_with(&[("ROOM_TYPING_TTL_MS", "600")]).await;
    let ann = app.register("ann-type@example.com", "ann").await;
    let bob = app.register("bob-type@example.com", "bob").await;
    let eve = app.register("eve-type@example.com", "eve").await;
    let id = create_room(&app, &ann, "Typing", json!({})).await;
    joined(&app, &bob, &id).await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;

    let on = app
        .gql(Some(&bob.access), TYPING, json!({ "r": id, "t": true }))
        .await;
    assert_eq!(on["data"]["setTyping"], true, "{on}");
    let e = ann_ws.next_of("TypingChanged").await;
    assert_eq!(
        (e["user"]["id"].as_str(), e["isTyping"].as_bool()),
        (Some(bob.user_id.as_str()), Some(true))
    );
    // Refreshes within the TTL keep it on without new events.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.gql(Some(&bob.access), TYPING, json!({ "r": id, "t": true }))
            .await;
    }
    let seen = ann_ws
        .collect("TypingChanged", Duration::from_millis(100))
        .await;
    assert!(seen.is_empty(), "still typing: {seen:?}");
    // Without a refresh it expires by itself.
    let e = ann_ws.next_of("TypingChanged").await;
    assert_eq!(e["isTyping"], false);

    // Explicit stop, and a message ends typing.
    app.gql(Some(&bob.access), TYPING, json!({ "r": id, "t": true }))
        .await;
    assert_eq!(ann_ws.next_of("TypingChanged").await["isTyping"], true);
    app.gql(Some(&bob.access), TYPING, json!({ "r": id, "t": false }))
        .await;
    assert_eq!(ann_ws.next_of("TypingChanged").await["isTyping"], false);
    app.gql(Some(&bob.access), TYPING, json!({ "r": id, "t": true }))
        .await;
    assert_eq!(ann_ws.next_of("TypingChanged").await["isTyping"], true);
    send(&app, &bob, &id, "done typing").await;
    assert_eq!(ann_ws.next_of("TypingChanged").await["isTyping"], false);
    let posted = ann_ws.next_of("ChatMessagePosted").await;
    assert_eq!(posted["message"]["body"], "done typing");

    let b = app
        .gql(Some(&eve.access), TYPING, json!({ "r": id, "t": true }))
        .await;
    assert_eq!(code(&b), "FORBIDDEN");
}

#[tokio::test]
async fn signals_reach_one_member_only() {
    let app = TestApp::spawn_with(&[("ROOM_SIGNAL_MAX_BYTES", "2048")]).await;
    let ann = app.register("ann-sig@example.com", "ann").await;
    let bob = app.register("bob-sig@example.com", "bob").await;
    let cat = app.register("cat-sig@example.com", "cat").await;
    let eve = app.register("eve-sig@example.com", "eve").await;
    let id = create_room(&app, &ann, "Voice", json!({})).await;
    joined(&app, &bob, &id).await;
    joined(&app, &cat, &id).await;

    let events = "subscription { userEvents { __typename ... on SignalReceived { roomId serverTimeMs from { id } signal } } }";
    let mut bob_ws = WsClient::signed_in(&app, Some(&bob.access)).await;
    bob_ws.subscribe("ev", events, json!({})).await;
    let mut cat_ws = WsClient::signed_in(&app, Some(&cat.access)).await;
    cat_ws.subscribe("ev", events, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let offer = json!({ "type": "offer", "sdp": "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\n", "nested": [1, { "a": null }] });
    let sent = app
        .gql(
            Some(&ann.access),
            SIGNAL,
            json!({ "r": id, "u": bob.user_id, "s": offer }),
        )
        .await;
    assert_eq!(sent["data"]["sendSignal"], true, "{sent}");
    let msg = bob_ws.next_for("ev").await;
    let e = &msg["payload"]["data"]["userEvents"];
    assert_eq!(e["__typename"], "SignalReceived", "{msg}");
    assert_eq!(e["roomId"], id.as_str());
    assert_eq!(e["from"]["id"], ann.user_id.as_str());
    assert_eq!(e["signal"], offer, "relayed as is");
    assert!(
        cat_ws
            .recv_within(Duration::from_millis(300))
            .await
            .is_none(),
        "to bob only"
    );

    // Nobody listening on eve's side is still fine to send to a member: false means unheard.
    let unheard = app
        .gql(
            Some(&bob.access),
            SIGNAL,
            json!({ "r": id, "u": ann.user_id, "s": { "type": "answer" } }),
        )
        .await;
    assert_eq!(unheard["data"]["sendSignal"], false, "{unheard}");
    let to_stranger = app
        .gql(
            Some(&ann.access),
            SIGNAL,
            json!({ "r": id, "u": eve.user_id, "s": {} }),
        )
        .await;
    assert_eq!(code(&to_stranger), "FORBIDDEN");
    let from_stranger = app
        .gql(
            Some(&eve.access),
            SIGNAL,
            json!({ "r": id, "u": bob.user_id, "s": {} }),
        )
        .await;
    assert_eq!(code(&from_stranger), "FORBIDDEN");
    let to_self = app
        .gql(
            Some(&ann.access),
            SIGNAL,
            json!({ "r": id, "u": ann.user_id, "s": {} }),
        )
        .await;
    assert_eq!(code(&to_self), "BAD_USER_INPUT");
    let huge = json!({ "sdp": "x".repeat(3000) });
    let too_big = app
        .gql(
            Some(&ann.access),
            SIGNAL,
            json!({ "r": id, "u": bob.user_id, "s": huge }),
        )
        .await;
    assert_eq!(code(&too_big), "BAD_USER_INPUT");
    assert_eq!(too_big["errors"][0]["extensions"]["field"], "signal");
    assert!(
        bob_ws
            .recv_within(Duration::from_millis(200))
            .await
            .is_none()
    );
}
