//! Media state and screen sharing: mute and camera, one sharer at a time, remote control asked
//! of and granted by the sharer, annotations relayed while someone shares, and leaving the call
//! stopping your share.

use serde_json::{Value, json};

use super::*;
use crate::helpers::{TestApp, code};

async fn share(app: &TestApp, who: &Session, call_id: &str) -> Value {
    let q = format!(
        "mutation($c: UUID!) {{ startScreenShare(callId: $c, hasAudio: true, quality: HIGH) {{ {CALL} }} }}"
    );
    app.gql(Some(&who.access), &q, json!({ "c": call_id }))
        .await
}

async fn annotate(app: &TestApp, who: &Session, call_id: &str, data: Value) -> Value {
    app.gql(
        Some(&who.access),
        "mutation($c: UUID!, $i: ScreenAnnotationInput!) { addScreenAnnotation(callId: $c, input: $i) }",
        json!({ "c": call_id, "i": { "kind": "DRAW", "data": data } }),
    )
    .await
}

async fn control(app: &TestApp, who: &Session, call_id: &str, to: Option<&Session>) -> Value {
    let q = format!(
        "mutation($c: UUID!, $u: UUID) {{ setRemoteControl(callId: $c, userId: $u) {{ {CALL} }} }}"
    );
    app.gql(
        Some(&who.access),
        &q,
        json!({ "c": call_id, "u": to.map(|s| s.user_id.clone()) }),
    )
    .await
}

#[tokio::test]
async fn media_state_and_one_screen_share_at_a_time() {
    let app = TestApp::spawn().await;
    let [ann, bob, cat] = &friends(&app, &["ann", "bob", "cat"]).await[..] else {
        unreachable!()
    };
    let placed = call(&app, ann, &[bob, cat]).await;
    let call_id = id(&placed);
    act(&app, bob, "acceptCall", &call_id).await;
    act(&app, cat, "acceptCall", &call_id).await;
    let mut bob_events = call_device(&app, bob, &call_id).await;
    let mut ann_events = call_device(&app, ann, &call_id).await;

    let media = app
        .gql(
            Some(&bob.access),
            "mutation($c: UUID!, $i: CallMediaInput!) { setCallMedia(callId: $c, input: $i) { user { id } audioMuted videoMuted quality } }",
            json!({ "c": call_id, "i": { "audioMuted": true, "quality": "LOW" } }),
        )
        .await;
    let me = &media["data"]["setCallMedia"];
    assert_eq!(me["audioMuted"], true, "{media}");
    assert_eq!(me["videoMuted"], false);
    assert_eq!(me["quality"], "LOW");
    let update = next_call_of(&mut ann_events, "CallUpdated").await;
    let bob_row = update["call"]["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["user"]["id"] == bob.user_id.as_str())
        .cloned()
        .expect("bob");
    assert_eq!(bob_row["audioMuted"], true);

    // Nobody shares: annotations and remote control have nothing to act on.
    let early = annotate(&app, ann, &call_id, json!({ "x": 1 })).await;
    assert_eq!(code(&early), "CONFLICT", "{early}");

    let shared = share(&app, bob, &call_id).await;
    let screen = &shared["data"]["startScreenShare"]["screenShare"];
    assert_eq!(screen["user"]["id"], bob.user_id.as_str(), "{shared}");
    assert_eq!(screen["hasAudio"], true);
    assert_eq!(screen["quality"], "HIGH");
    let second = share(&app, cat, &call_id).await;
    assert_eq!(code(&second), "CONFLICT", "{second}");

    // Ann asks Bob for control; only Bob hears it.
    let asked = app
        .gql(
            Some(&ann.access),
            "mutation($c: UUID!) { requestRemoteControl(callId: $c) }",
            json!({ "c": call_id }),
        )
        .await;
    assert_eq!(asked["data"]["requestRemoteControl"], true, "{asked}");
    let request = next_call_of(&mut bob_events, "RemoteControlRequested").await;
    assert_eq!(request["from"]["id"], ann.user_id.as_str());
    let not_sharer = control(&app, cat, &call_id, Some(cat)).await;
    assert_eq!(code(&not_sharer), "FORBIDDEN", "{not_sharer}");
    let granted = control(&app, bob, &call_id, Some(ann)).await;
    assert_eq!(
        granted["data"]["setRemoteControl"]["screenShare"]["remoteController"]["id"],
        ann.user_id.as_str(),
        "{granted}"
    );

    let drawn = annotate(&app, cat, &call_id, json!({ "path": [[0, 0], [5, 5]] })).await;
    assert_eq!(drawn["data"]["addScreenAnnotation"], true, "{drawn}");
    let seen = next_call_of(&mut ann_events, "ScreenAnnotationAdded").await;
    assert_eq!(seen["kind"], "DRAW");
    assert_eq!(seen["from"]["id"], cat.user_id.as_str());
    assert_eq!(seen["data"]["path"][1][0], 5);
    let big = annotate(&app, cat, &call_id, json!({ "t": "x".repeat(17 * 1024) })).await;
    assert_eq!(code(&big), "BAD_USER_INPUT", "{big}");
    assert_eq!(big["errors"][0]["extensions"]["field"], "data");

    // Bob leaves: his share stops with him, and Cat may share now.
    let left = act(&app, bob, "leaveCall", &call_id).await;
    assert!(left["screenShare"].is_null(), "{left}");
    let cat_shares = share(&app, cat, &call_id).await;
    assert!(cat_shares["errors"].is_null(), "{cat_shares}");
    let stop_other = app
        .gql(
            Some(&ann.access),
            &format!("mutation($c: UUID!) {{ stopScreenShare(callId: $c) {{ {CALL} }} }}"),
            json!({ "c": call_id }),
        )
        .await;
    assert_eq!(code(&stop_other), "FORBIDDEN", "{stop_other}");
    let stopped = act(&app, cat, "stopScreenShare", &call_id).await;
    assert!(stopped["screenShare"].is_null());
}
