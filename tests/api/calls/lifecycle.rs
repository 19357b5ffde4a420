//! A call's life: ringing on every device, answering, declining, hanging up, conferences in a
//! conversation, time-outs, and the history that remembers them.

use serde_json::json;

use super::*;
use crate::helpers::{TestApp, code};

#[tokio::test]
async fn a_one_to_one_call_rings_every_device_and_stops_ringing_on_answer() {
    let app = TestApp::spawn().await;
    let [ann, bob] = &friends(&app, &["ann", "bob"]).await[..] else {
        unreachable!()
    };
    let mut bob_phone = device(&app, bob).await;
    let mut bob_laptop = device(&app, bob).await;
    let mut ann_other = device(&app, ann).await;

    let placed = call(&app, ann, &[bob]).await;
    assert_eq!(placed["state"], "RINGING");
    assert_eq!(placed["isOneToOne"], true);
    assert_eq!(placed["initiator"]["id"], ann.user_id.as_str());
    assert_eq!(state_of(&placed, ann), "JOINED");
    assert_eq!(state_of(&placed, bob), "RINGING");
    let call_id = id(&placed);
    for dev in [&mut bob_phone, &mut bob_laptop] {
        let ring = next_of(dev, "IncomingCall").await;
        assert_eq!(ring["from"]["id"], ann.user_id.as_str());
        assert_eq!(ring["call"]["id"], call_id.as_str());
    }
    // The caller's other devices learn of the call too.
    let mine = next_of(&mut ann_other, "CallUpdated").await;
    assert_eq!(mine["call"]["id"], call_id.as_str());

    let answered = act(&app, bob, "acceptCall", &call_id).await;
    assert_eq!(answered["state"], "ACTIVE");
    assert!(answered["startedAt"].is_string(), "{answered}");
    assert_eq!(state_of(&answered, bob), "JOINED");
    for dev in [&mut bob_phone, &mut bob_laptop, &mut ann_other] {
        let update = next_of(dev, "CallUpdated").await;
        assert_eq!(state_of(&update["call"], bob), "JOINED", "{update}");
    }

    let hung = act(&app, ann, "leaveCall", &call_id).await;
    assert_eq!(hung["state"], "ENDED");
    assert_eq!(hung["endReason"], "HANGUP");
    assert_eq!(state_of(&hung, ann), "LEFT");
    assert_eq!(state_of(&hung, bob), "LEFT");
    assert!(hung["durationMs"].as_f64().is_some(), "{hung}");
    let last = next_of(&mut bob_laptop, "CallUpdated").await;
    assert_eq!(last["call"]["state"], "ENDED");
}

#[tokio::test]
async fn declined_busy_and_cancelled_calls_end_with_their_reason() {
    let app = TestApp::spawn().await;
    let [ann, bob, cat, dan] = &friends(&app, &["ann", "bob", "cat", "dan"]).await[..] else {
        unreachable!()
    };
    let placed = call(&app, ann, &[bob]).await;
    let declined = act(&app, bob, "declineCall", &id(&placed)).await;
    assert_eq!(declined["state"], "ENDED");
    assert_eq!(declined["endReason"], "DECLINED");
    assert_eq!(state_of(&declined, bob), "DECLINED");
    assert!(declined["durationMs"].is_null());
    // Answering it now is too late.
    let late = try_act(&app, bob, "acceptCall", &id(&placed)).await;
    assert_eq!(code(&late), "CONFLICT", "{late}");

    // Bob talks to Cat; Dan's call to Bob finds him busy and ends at once.
    let busy_call = call(&app, cat, &[bob]).await;
    act(&app, bob, "acceptCall", &id(&busy_call)).await;
    let refused = call(&app, dan, &[bob]).await;
    assert_eq!(refused["state"], "ENDED", "{refused}");
    assert_eq!(refused["endReason"], "BUSY");
    assert_eq!(state_of(&refused, bob), "BUSY");

    // The caller hanging up before an answer: the callee missed it.
    let cancelled = call(&app, ann, &[dan]).await;
    let ended = act(&app, ann, "endCall", &id(&cancelled)).await;
    assert_eq!(ended["endReason"], "MISSED");
    assert_eq!(state_of(&ended, dan), "MISSED");
    // Only the initiator ends a call for everyone.
    let other = call(&app, ann, &[cat]).await;
    let not_yours = try_act(&app, cat, "endCall", &id(&other)).await;
    assert_eq!(code(&not_yours), "FORBIDDEN", "{not_yours}");
}

#[tokio::test]
async fn an_unanswered_call_is_missed_after_the_ring_timeout() {
    let app = TestApp::spawn_with(&[("CALL_RING_TIMEOUT_MS", "400")]).await;
    let [ann, bob] = &friends(&app, &["ann", "bob"]).await[..] else {
        unreachable!()
    };
    let mut bob_phone = device(&app, bob).await;
    let placed = call(&app, ann, &[bob]).await;
    next_of(&mut bob_phone, "IncomingCall").await;
    let missed = next_of(&mut bob_phone, "CallUpdated").await;
    assert_eq!(missed["call"]["state"], "ENDED", "{missed}");
    assert_eq!(missed["call"]["endReason"], "MISSED");
    assert_eq!(state_of(&missed["call"], bob), "MISSED");
    let stored = fetch(&app, ann, &id(&placed)).await;
    assert_eq!(stored["endReason"], "MISSED");
}

#[tokio::test]
async fn a_conversation_call_is_a_conference_of_its_members() {
    let app = TestApp::spawn().await;
    let [ann, bob, cat] = &friends(&app, &["ann", "bob", "cat"]).await[..] else {
        unreachable!()
    };
    let group = crate::messenger::create_group(&app, ann, "Band", &[bob, cat]).await;
    let conversation = group["id"].as_str().expect("id").to_owned();
    let body = try_start(
        &app,
        bob,
        json!({ "kind": "VIDEO", "conversationId": conversation }),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let placed = body["data"]["startCall"].clone();
    assert_eq!(placed["kind"], "VIDEO");
    assert_eq!(placed["isOneToOne"], false);
    assert_eq!(placed["conversationId"], conversation.as_str());
    assert_eq!(state_of(&placed, ann), "RINGING");
    assert_eq!(state_of(&placed, cat), "RINGING");
    let call_id = id(&placed);

    let active = act(&app, ann, "acceptCall", &call_id).await;
    assert_eq!(active["state"], "ACTIVE");
    let after_decline = act(&app, cat, "declineCall", &call_id).await;
    assert_eq!(after_decline["state"], "ACTIVE", "two are still joined");
    // Cat changes her mind and joins the running call.
    let rejoined = act(&app, cat, "joinCall", &call_id).await;
    assert_eq!(state_of(&rejoined, cat), "JOINED");
    act(&app, bob, "leaveCall", &call_id).await;
    let still = fetch(&app, ann, &call_id).await;
    assert_eq!(still["state"], "ACTIVE");
    let ended = act(&app, ann, "leaveCall", &call_id).await;
    assert_eq!(ended["state"], "ENDED");
    assert_eq!(ended["endReason"], "HANGUP");
    assert_eq!(state_of(&ended, cat), "LEFT");

    // Someone outside the conversation cannot call it.
    let eve = user(&app, "eve").await;
    let refused = try_start(
        &app,
        &eve,
        json!({ "kind": "AUDIO", "conversationId": conversation }),
    )
    .await;
    assert_eq!(code(&refused), "NOT_FOUND", "{refused}");
}

#[tokio::test]
async fn answering_another_call_leaves_the_first() {
    let app = TestApp::spawn().await;
    let [ann, bob, cat] = &friends(&app, &["ann", "bob", "cat"]).await[..] else {
        unreachable!()
    };
    let first = call(&app, ann, &[bob]).await;
    act(&app, bob, "acceptCall", &id(&first)).await;
    // Cat rings Bob: he is busy in an active call, so he is refused...
    let busy = call(&app, cat, &[bob]).await;
    assert_eq!(state_of(&busy, bob), "BUSY");
    // ...but Bob may still place a call himself, which leaves the first one.
    let second = call(&app, bob, &[cat]).await;
    assert_eq!(state_of(&second, bob), "JOINED");
    let before = fetch(&app, ann, &id(&first)).await;
    assert_eq!(state_of(&before, bob), "LEFT");
    assert_eq!(before["state"], "ENDED", "Ann was left alone: {before}");
    act(&app, cat, "acceptCall", &id(&second)).await;
    // Joining the ended first call again is refused.
    let gone = try_act(&app, bob, "joinCall", &id(&first)).await;
    assert_eq!(code(&gone), "CONFLICT", "{gone}");
}

#[tokio::test]
async fn history_lists_every_call_newest_first_and_pages() {
    let app = TestApp::spawn().await;
    let [ann, bob, cat] = &friends(&app, &["ann", "bob", "cat"]).await[..] else {
        unreachable!()
    };
    let outgoing = call(&app, ann, &[bob]).await;
    act(&app, bob, "declineCall", &id(&outgoing)).await;
    let incoming = call(&app, cat, &[ann]).await;
    act(&app, ann, "acceptCall", &id(&incoming)).await;
    act(&app, cat, "leaveCall", &id(&incoming)).await;
    let missed = call(&app, bob, &[ann]).await;
    act(&app, bob, "endCall", &id(&missed)).await;

    let q = format!(
        "query($f: Int, $a: String) {{ calls(first: $f, after: $a) {{ totalCount
  pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {CALL} }} }} }} }}"
    );
    let body = app.gql(Some(&ann.access), &q, json!({ "f": 2 })).await;
    assert!(body["errors"].is_null(), "{body}");
    let page = &body["data"]["calls"];
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let edges = page["edges"].as_array().expect("edges");
    assert_eq!(edges[0]["node"]["id"], id(&missed).as_str());
    assert_eq!(edges[0]["node"]["endReason"], "MISSED");
    assert_eq!(edges[1]["node"]["id"], id(&incoming).as_str());
    assert!(edges[1]["node"]["durationMs"].as_f64().is_some());
    let rest = app
        .gql(
            Some(&ann.access),
            &q,
            json!({ "f": 2, "a": page["pageInfo"]["endCursor"] }),
        )
        .await;
    let edges = rest["data"]["calls"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 1, "{rest}");
    assert_eq!(edges[0]["node"]["id"], id(&outgoing).as_str());
    assert_eq!(edges[0]["node"]["endReason"], "DECLINED");
    assert_eq!(rest["data"]["calls"]["pageInfo"]["hasNextPage"], false);

    // Others' calls are invisible.
    let eve = user(&app, "eve").await;
    let q = format!("query($c: UUID!) {{ call(id: $c) {{ {CALL} }} }}");
    let hidden = app
        .gql(Some(&eve.access), &q, json!({ "c": id(&missed) }))
        .await;
    assert!(hidden["data"]["call"].is_null(), "{hidden}");
    let bad = app
        .gql(
            Some(&ann.access),
            "{ calls(after: \"nope\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT", "{bad}");
}

#[tokio::test]
async fn bad_calls_get_clear_codes() {
    let app = TestApp::spawn().await;
    let [ann, bob] = &friends(&app, &["ann", "bob"]).await[..] else {
        unreachable!()
    };
    let stranger = user(&app, "eve").await;
    let cases = [
        (
            json!({ "kind": "AUDIO", "userIds": [stranger.user_id] }),
            "FORBIDDEN",
        ),
        (json!({ "kind": "AUDIO", "userIds": [] }), "BAD_USER_INPUT"),
        (
            json!({ "kind": "AUDIO", "userIds": [ann.user_id] }),
            "BAD_USER_INPUT",
        ),
        (json!({ "kind": "AUDIO" }), "BAD_USER_INPUT"),
        (
            json!({ "kind": "AUDIO", "userIds": [bob.user_id], "roomId": uuid::Uuid::new_v4() }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "kind": "AUDIO", "roomId": uuid::Uuid::new_v4() }),
            "NOT_FOUND",
        ),
        (
            json!({ "kind": "AUDIO", "conversationId": uuid::Uuid::new_v4() }),
            "NOT_FOUND",
        ),
    ];
    for (input, expected) in cases {
        let body = try_start(&app, ann, input.clone()).await;
        assert_eq!(code(&body), expected, "{input}: {body}");
    }
    let placed = call(&app, ann, &[bob]).await;
    for mutation in [
        "acceptCall",
        "declineCall",
        "joinCall",
        "leaveCall",
        "endCall",
    ] {
        let unknown = try_act(&app, ann, mutation, &uuid::Uuid::new_v4().to_string()).await;
        assert_eq!(code(&unknown), "NOT_FOUND", "{mutation}: {unknown}");
        let outsider = try_act(&app, &stranger, mutation, &id(&placed)).await;
        assert_eq!(code(&outsider), "FORBIDDEN", "{mutation}: {outsider}");
    }
    let anonymous = app.gql(None, "{ calls { totalCount } }", json!({})).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
}
