//! A listening room's voice call: members only, nobody rung, one per room (starting it again
//! joins it), members who leave or are kicked leave it, and the host may end it.

use serde_json::{Value, json};

use super::*;
use crate::helpers::{TestApp, code};
use crate::rooms::{create_room, joined};

#[tokio::test]
async fn members_share_one_voice_call_per_room() {
    let app = TestApp::spawn().await;
    let [host, bob, cat] = &friends(&app, &["host", "bob", "cat"]).await[..] else {
        unreachable!()
    };
    let eve = user(&app, "eve").await;
    let room = create_room(&app, host, "Voice", json!({})).await;
    joined(&app, bob, &room).await;
    joined(&app, cat, &room).await;
    let mut cat_phone = device(&app, cat).await;

    let body = try_start(&app, bob, json!({ "kind": "AUDIO", "roomId": room })).await;
    assert!(body["errors"].is_null(), "{body}");
    let voice = body["data"]["startCall"].clone();
    assert_eq!(voice["roomId"], room.as_str());
    assert_eq!(voice["state"], "ACTIVE");
    let rows = voice["participants"].as_array().expect("participants");
    assert_eq!(rows.len(), 1, "nobody is rung: {voice}");
    assert_eq!(state_of(&voice, bob), "JOINED");
    let call_id = id(&voice);

    // Starting it again joins the same call.
    let again = try_start(&app, host, json!({ "kind": "AUDIO", "roomId": room })).await;
    assert_eq!(
        again["data"]["startCall"]["id"],
        call_id.as_str(),
        "{again}"
    );
    let with_cat = act(&app, cat, "joinCall", &call_id).await;
    assert_eq!(state_of(&with_cat, cat), "JOINED");
    assert!(
        drain(&mut cat_phone, std::time::Duration::from_millis(200))
            .await
            .iter()
            .all(|e| e["__typename"] != "IncomingCall"),
        "room voice rings nobody"
    );

    // Outsiders can neither start nor join it.
    let outside = try_start(&app, &eve, json!({ "kind": "AUDIO", "roomId": room })).await;
    assert!(
        ["FORBIDDEN", "NOT_FOUND"].contains(&code(&outside)),
        "{outside}"
    );
    let join_outside = try_act(&app, &eve, "joinCall", &call_id).await;
    assert!(
        ["FORBIDDEN", "NOT_FOUND"].contains(&code(&join_outside)),
        "{join_outside}"
    );

    // Leaving the room leaves its call; so does being kicked.
    let left = app
        .gql(
            Some(&cat.access),
            "mutation($r: UUID!) { leaveRoom(roomId: $r) }",
            json!({ "r": room }),
        )
        .await;
    assert_eq!(left["data"]["leaveRoom"], true, "{left}");
    let after = fetch(&app, bob, &call_id).await;
    assert_eq!(state_of(&after, cat), "LEFT", "{after}");
    let kicked = app
        .gql(
            Some(&host.access),
            "mutation($r: UUID!, $u: UUID!) { kickFromRoom(roomId: $r, userId: $u) }",
            json!({ "r": room, "u": bob.user_id }),
        )
        .await;
    assert!(kicked["errors"].is_null(), "{kicked}");
    let after = fetch(&app, host, &call_id).await;
    assert_eq!(state_of(&after, bob), "LEFT", "{after}");
    assert_eq!(after["state"], "ACTIVE", "the host is still in it");

    // The host ends it for everyone; the next start is a new call.
    let ended = act(&app, host, "endCall", &call_id).await;
    assert_eq!(ended["state"], "ENDED");
    let next = try_start(&app, host, json!({ "kind": "AUDIO", "roomId": room })).await;
    assert_ne!(next["data"]["startCall"]["id"], call_id.as_str(), "{next}");
    // The last one out ends it too.
    let next_id = next["data"]["startCall"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let out = act(&app, host, "leaveCall", &next_id).await;
    assert_eq!(out["state"], "ENDED");

    // Closing the room ends its voice call.
    let last = try_start(&app, host, json!({ "kind": "AUDIO", "roomId": room })).await;
    let last_id = last["data"]["startCall"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let closed = app
        .gql(
            Some(&host.access),
            "mutation($r: UUID!) { closeRoom(roomId: $r) }",
            json!({ "r": room }),
        )
        .await;
    assert_eq!(closed["data"]["closeRoom"], true, "{closed}");
    let mut state = Value::Null;
    for _ in 0..40 {
        state = fetch(&app, host, &last_id).await["state"].clone();
        if state == "ENDED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state, "ENDED");
}

#[tokio::test]
async fn room_signals_still_relay_between_members() {
    let app = TestApp::spawn().await;
    let [host, bob] = &friends(&app, &["host", "bob"]).await[..] else {
        unreachable!()
    };
    let room = create_room(&app, host, "Relay", json!({})).await;
    joined(&app, bob, &room).await;
    let mut ws = WsClient::signed_in(&app, Some(&bob.access)).await;
    ws.subscribe(
        "ev",
        "subscription { userEvents { __typename ... on SignalReceived { roomId from { id } signal } } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let sent = app
        .gql(
            Some(&host.access),
            "mutation($r: UUID!, $t: UUID!, $s: JSON!) { sendSignal(roomId: $r, toUserId: $t, signal: $s) }",
            json!({ "r": room, "t": bob.user_id, "s": { "type": "offer" } }),
        )
        .await;
    assert_eq!(sent["data"]["sendSignal"], true, "{sent}");
    let msg = ws.next_for("ev").await;
    let event = &msg["payload"]["data"]["userEvents"];
    assert_eq!(event["__typename"], "SignalReceived", "{msg}");
    assert_eq!(event["signal"]["type"], "offer");
}
