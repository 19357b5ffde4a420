//! Invitations and a room's visibility: only the host's invitations admit into a PRIVATE room,
//! whenever they were sent.

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, WsClient, code};
use crate::rooms::{create_room, join, joined, room, room_events};
use crate::social::befriend;

const INVITE: &str = "mutation($r: UUID!, $u: UUID!) { inviteToRoom(roomId: $r, userId: $u) }";
const UPDATE: &str = "mutation($r: UUID!, $i: UpdateRoomInput!) { updateRoom(roomId: $r, input: $i) { visibility } }";
const ROOMS: &str = "{ rooms(first: 50) { totalCount nodes { id } } }";

async fn invite(app: &TestApp, from: &Session, room: &str, to: &Session) {
    let body = app
        .gql(
            Some(&from.access),
            INVITE,
            json!({ "r": room, "u": to.user_id }),
        )
        .await;
    assert_eq!(body["data"]["inviteToRoom"], true, "{body}");
}

async fn set_visibility(app: &TestApp, host: &Session, room: &str, visibility: &str) {
    let body = app
        .gql(
            Some(&host.access),
            UPDATE,
            json!({ "r": room, "i": { "visibility": visibility } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateRoom"]["visibility"], visibility,
        "{body}"
    );
}

async fn listed(app: &TestApp, who: &Session, room: &str) -> bool {
    let body = app.gql(Some(&who.access), ROOMS, json!({})).await;
    body["data"]["rooms"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .any(|r| r["id"] == room)
}

/// The answer to `roomEvents` for a user who has not joined: `FORBIDDEN` when they may see
/// the room, `NOT_FOUND` when not.
async fn subscribe_code(app: &TestApp, who: &Session, room: &str) -> String {
    let mut ws = WsClient::signed_in(app, Some(&who.access)).await;
    ws.subscribe("ev", &room_events(), json!({ "r": room }))
        .await;
    let msg = ws.next_for("ev").await;
    assert_eq!(msg["type"], "error", "{msg}");
    msg["payload"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_members_invitation_stops_admitting_when_the_room_turns_private() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-acc@example.com", "ann").await;
    let bob = app.register("bob-acc@example.com", "bob").await;
    let eve = app.register("eve-acc@example.com", "eve").await;
    let cat = app.register("cat-acc@example.com", "cat").await;
    // Bob is Ann's friend; Eve is Bob's friend only; Cat is friends with both.
    befriend(&app, &ann, &bob).await;
    befriend(&app, &bob, &eve).await;
    befriend(&app, &ann, &cat).await;
    befriend(&app, &bob, &cat).await;

    let id = create_room(&app, &ann, "Den", json!({ "visibility": "FRIENDS" })).await;
    joined(&app, &bob, &id).await;
    // A member invites into a FRIENDS room: Eve may see it.
    invite(&app, &bob, &id, &eve).await;
    assert_eq!(room(&app, Some(&eve), &id).await["id"], id.as_str());
    assert!(listed(&app, &eve, &id).await);
    // The host invites Cat; then Bob invites her too (which must not weaken the host's).
    invite(&app, &ann, &id, &cat).await;
    invite(&app, &bob, &id, &cat).await;

    set_visibility(&app, &ann, &id, "PRIVATE").await;
    // Bob's invitation no longer admits Eve: the room does not exist for her.
    assert_eq!(room(&app, Some(&eve), &id).await, Value::Null);
    assert!(!listed(&app, &eve, &id).await);
    assert_eq!(code(&join(&app, &eve, &id).await), "NOT_FOUND");
    assert_eq!(subscribe_code(&app, &eve, &id).await, "NOT_FOUND");
    // Nor can Bob renew it now.
    let again = app
        .gql(
            Some(&bob.access),
            INVITE,
            json!({ "r": id, "u": eve.user_id }),
        )
        .await;
    assert_eq!(code(&again), "FORBIDDEN", "{again}");
    assert_eq!(room(&app, Some(&eve), &id).await, Value::Null);

    // The host's invitation, sent before the switch, still admits Cat.
    assert_eq!(room(&app, Some(&cat), &id).await["id"], id.as_str());
    assert!(listed(&app, &cat, &id).await);
    assert_eq!(subscribe_code(&app, &cat, &id).await, "FORBIDDEN");
    joined(&app, &cat, &id).await;

    // Back to FRIENDS, Bob's invitation admits Eve again.
    set_visibility(&app, &ann, &id, "FRIENDS").await;
    assert_eq!(room(&app, Some(&eve), &id).await["id"], id.as_str());
    joined(&app, &eve, &id).await;
}

#[tokio::test]
async fn a_members_invitation_does_not_lift_a_ban() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-ban@example.com", "ann").await;
    let bob = app.register("bob-ban@example.com", "bob").await;
    let eve = app.register("eve-ban@example.com", "eve").await;
    befriend(&app, &ann, &bob).await;
    befriend(&app, &bob, &eve).await;
    let id = create_room(&app, &ann, "Club", json!({ "visibility": "PUBLIC" })).await;
    joined(&app, &bob, &id).await;
    joined(&app, &eve, &id).await;
    let kicked = app
        .gql(
            Some(&ann.access),
            "mutation($r: UUID!, $u: UUID!) { kickFromRoom(roomId: $r, userId: $u) }",
            json!({ "r": id, "u": eve.user_id }),
        )
        .await;
    assert_eq!(kicked["data"]["kickFromRoom"], true, "{kicked}");
    let by_member = app
        .gql(
            Some(&bob.access),
            INVITE,
            json!({ "r": id, "u": eve.user_id }),
        )
        .await;
    assert_eq!(code(&by_member), "FORBIDDEN", "{by_member}");
    assert_eq!(code(&join(&app, &eve, &id).await), "FORBIDDEN");
}
