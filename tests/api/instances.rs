//! Several server instances on one database, their events bridged over Redis (as behind a
//! load balancer): members connected to different instances hear the same room, and each event
//! arrives once. Skipped (with a notice) when no Redis is reachable.

use std::time::Duration;

use serde_json::json;

use crate::{
    friends::EVENTS,
    helpers::{Frame, TestApp, WsClient, test_config},
    rate_limits::redis_url,
    rooms::{create_room, joined, subscribe},
};

#[tokio::test]
async fn members_on_different_instances_hear_the_same_room() {
    let Some(url) = redis_url().await else {
        return;
    };
    let prefix = format!("soundroom-test-{}:", uuid::Uuid::new_v4().simple());
    let config = test_config(&[("REDIS_URL", url.as_str()), ("REDIS_KEY_PREFIX", &prefix)]);
    let a = TestApp::start(config.clone()).await;
    let b = TestApp::start(config.clone()).await;
    // An instance under another prefix is another deployment: it hears nothing of these.
    let mut elsewhere = config.clone();
    elsewhere.security.redis_key_prefix = format!("{prefix}other:");
    let other = TestApp::start(elsewhere).await;

    let ann = a.register("ann-inst@example.com", "ann").await;
    let bob = a.register("bob-inst@example.com", "bob").await;
    let track = a.create_track("Shared", 240_000).await;

    // Personal events: a request sent through A reaches Bob's device on B.
    let mut bob_devices = WsClient::signed_in(&b, Some(&bob.access)).await;
    bob_devices.subscribe("ev", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = a
        .gql(
            Some(&ann.access),
            "mutation($u: UUID!) { sendFriendRequest(userId: $u) { id } }",
            json!({ "u": bob.user_id }),
        )
        .await;
    assert!(sent["errors"].is_null(), "{sent}");
    let msg = bob_devices.next_for("ev").await;
    let event = &msg["payload"]["data"]["userEvents"];
    assert_eq!(event["__typename"], "FriendRequestReceived", "{msg}");
    assert_eq!(event["request"]["requester"]["id"], ann.user_id.as_str());

    // A room hosted through A, joined and heard through B.
    let id = create_room(&a, &ann, "Across", json!({})).await;
    let mut ann_ws = subscribe(&a, &ann, &id).await;
    let mut outsider = WsClient::signed_in(&other, Some(&ann.access)).await;
    outsider
        .subscribe("ev", &crate::rooms::room_events(), json!({ "r": id }))
        .await;
    let first = outsider.next_for("ev").await;
    assert_eq!(
        first["payload"]["data"]["roomEvents"]["__typename"], "RoomSnapshot",
        "{first}"
    );
    joined(&b, &bob, &id).await;
    let mut bob_ws = subscribe(&b, &bob, &id).await;
    let joined_event = ann_ws.next_of("MemberJoined").await;
    assert_eq!(joined_event["user"]["id"], bob.user_id.as_str());

    let played = a
        .gql(
            Some(&ann.access),
            "mutation($r: UUID!, $t: UUID) { roomPlay(roomId: $r, trackId: $t) { version } }",
            json!({ "r": id, "t": track }),
        )
        .await;
    assert_eq!(played["data"]["roomPlay"]["version"], 1, "{played}");
    let heard = bob_ws.next_of("PlaybackChanged").await;
    assert_eq!(heard["playback"]["track"]["id"], track.as_str(), "{heard}");
    assert_eq!(heard["playback"]["version"], 1);

    let said = b
        .gql(
            Some(&bob.access),
            "mutation($r: UUID!, $b: String!) { sendRoomMessage(roomId: $r, body: $b) { id } }",
            json!({ "r": id, "b": "hello from B" }),
        )
        .await;
    assert!(said["errors"].is_null(), "{said}");
    let message = ann_ws.next_of("ChatMessagePosted").await;
    assert_eq!(message["message"]["body"], "hello from B");

    // Each event once on each instance: no echo of what an instance published itself.
    let again = ann_ws
        .collect("ChatMessagePosted", Duration::from_millis(400))
        .await;
    assert!(again.is_empty(), "delivered twice: {again:?}");
    let again = bob_ws
        .collect("PlaybackChanged", Duration::from_millis(100))
        .await;
    assert!(again.is_empty(), "delivered twice: {again:?}");
    // The other deployment's subscriber heard none of it (only its own presence, locally).
    let mut heard = Vec::new();
    while let Some(frame) = outsider.recv_within(Duration::from_millis(100)).await {
        if let Frame::Json(msg) = frame {
            heard.push(msg["payload"]["data"]["roomEvents"]["__typename"].clone());
        }
    }
    assert!(
        heard
            .iter()
            .all(|kind| kind == "PresenceChanged" || kind.is_null()),
        "another prefix is another deployment: {heard:?}"
    );
}
