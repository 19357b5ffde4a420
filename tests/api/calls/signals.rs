//! `callEvents` and signalling: who may subscribe, signals reaching one participant's devices
//! only, size and rate limits, and the subscription ending when the viewer leaves.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::helpers::{Frame, TestApp, code};

const SIGNAL: &str = "mutation($c: UUID!, $t: UUID!, $s: JSON!) { sendCallSignal(callId: $c, toUserId: $t, signal: $s) }";

async fn signal(app: &TestApp, who: &Session, call_id: &str, to: &Session, s: Value) -> Value {
    app.gql(
        Some(&who.access),
        SIGNAL,
        json!({ "c": call_id, "t": to.user_id, "s": s }),
    )
    .await
}

#[tokio::test]
async fn signals_reach_the_one_participant_on_all_their_devices() {
    let app = TestApp::spawn().await;
    let [ann, bob, cat] = &friends(&app, &["ann", "bob", "cat"]).await[..] else {
        unreachable!()
    };
    let placed = call(&app, ann, &[bob, cat]).await;
    let call_id = id(&placed);
    // Ringing callees may already exchange signals (an offer travels before the answer).
    let mut bob_phone = call_device(&app, bob, &call_id).await;
    let mut bob_laptop = call_device(&app, bob, &call_id).await;
    let mut cat_phone = call_device(&app, cat, &call_id).await;
    let mut ann_phone = call_device(&app, ann, &call_id).await;

    let offer = json!({ "type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" });
    let sent = signal(&app, ann, &call_id, bob, offer.clone()).await;
    assert_eq!(sent["data"]["sendCallSignal"], true, "{sent}");
    for dev in [&mut bob_phone, &mut bob_laptop] {
        let got = next_call_of(dev, "CallSignalReceived").await;
        assert_eq!(got["signal"], offer);
        assert_eq!(got["from"]["id"], ann.user_id.as_str());
        assert_eq!(got["callId"], call_id.as_str());
    }
    // Nobody else hears it.
    for dev in [&mut cat_phone, &mut ann_phone] {
        match dev.recv_within(Duration::from_millis(300)).await {
            None => {}
            Some(Frame::Json(msg)) => panic!("unexpected {msg}"),
            Some(Frame::Closed(..)) => panic!("closed"),
        }
    }

    // The answer goes back the other way.
    act(&app, bob, "acceptCall", &call_id).await;
    let update = next_call_of(&mut ann_phone, "CallUpdated").await;
    assert_eq!(state_of(&update["call"], bob), "JOINED");
    let answer = json!({ "type": "answer", "sdp": "v=0\r\n" });
    signal(&app, bob, &call_id, ann, answer.clone()).await;
    assert_eq!(
        next_call_of(&mut ann_phone, "CallSignalReceived").await["signal"],
        answer
    );

    // Cat declines: her subscription ends after the update that says so, and she can no
    // longer be signalled.
    act(&app, cat, "declineCall", &call_id).await;
    loop {
        // Bob's answer first, then her own decline, which is the last.
        let update = next_call_of(&mut cat_phone, "CallUpdated").await;
        if state_of(&update["call"], cat) == "DECLINED" {
            break;
        }
        assert_eq!(state_of(&update["call"], cat), "RINGING", "{update}");
    }
    assert!(next_call_event(&mut cat_phone).await.is_none(), "completed");
    let refused = signal(&app, ann, &call_id, cat, json!({ "candidate": "x" })).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    let from_cat = signal(&app, cat, &call_id, ann, json!({ "candidate": "x" })).await;
    assert_eq!(code(&from_cat), "FORBIDDEN", "{from_cat}");

    // The call ends: everyone's subscription completes.
    act(&app, ann, "endCall", &call_id).await;
    for dev in [&mut bob_phone, &mut ann_phone] {
        // Earlier updates (Cat's decline) come first; the end is the last.
        while next_call_of(dev, "CallUpdated").await["call"]["state"] != "ENDED" {}
        assert!(next_call_event(dev).await.is_none(), "completed");
    }
    // Subscribing to an ended call answers it as it is, then completes.
    let mut late = call_device(&app, bob, &call_id).await;
    let as_is = next_call_of(&mut late, "CallUpdated").await;
    assert_eq!(as_is["call"]["state"], "ENDED");
    assert!(next_call_event(&mut late).await.is_none());
}

#[tokio::test]
async fn only_participants_subscribe_and_signals_are_bounded() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_CALL_SIGNALS_PER_USER", "3/60")]).await;
    let [ann, bob] = &friends(&app, &["ann", "bob"]).await[..] else {
        unreachable!()
    };
    let eve = user(&app, "eve").await;
    let placed = call(&app, ann, &[bob]).await;
    let call_id = id(&placed);

    let mut ws = WsClient::signed_in(&app, Some(&eve.access)).await;
    ws.subscribe("a", &call_events(), json!({ "c": call_id }))
        .await;
    let msg = ws.next_for("a").await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(msg["payload"][0]["extensions"]["code"], "FORBIDDEN");
    ws.subscribe("b", &call_events(), json!({ "c": uuid::Uuid::new_v4() }))
        .await;
    let msg = ws.next_for("b").await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(msg["payload"][0]["extensions"]["code"], "NOT_FOUND");

    let big = json!({ "sdp": "x".repeat(17 * 1024) });
    let body = signal(&app, ann, &call_id, bob, big).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "signal");
    let to_self = signal(&app, ann, &call_id, ann, json!({})).await;
    assert_eq!(code(&to_self), "BAD_USER_INPUT");
    let outsider = signal(&app, &eve, &call_id, bob, json!({})).await;
    assert_eq!(code(&outsider), "FORBIDDEN", "{outsider}");
    let to_outsider = signal(&app, ann, &call_id, &eve, json!({})).await;
    assert_eq!(code(&to_outsider), "BAD_USER_INPUT", "{to_outsider}");

    for _ in 0..3 {
        let ok = signal(&app, ann, &call_id, bob, json!({ "candidate": "c" })).await;
        assert_eq!(ok["data"]["sendCallSignal"], true, "{ok}");
    }
    let limited = signal(&app, ann, &call_id, bob, json!({ "candidate": "c" })).await;
    assert_eq!(code(&limited), "TOO_MANY_REQUESTS", "{limited}");
}

#[tokio::test]
async fn leaving_ends_the_viewers_call_events_only() {
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
    act(&app, bob, "leaveCall", &call_id).await;
    let last = next_call_of(&mut bob_events, "CallUpdated").await;
    assert_eq!(state_of(&last["call"], bob), "LEFT");
    assert!(
        next_call_event(&mut bob_events).await.is_none(),
        "Bob's completed"
    );
    // Ann's goes on: she hears Bob leave, then Cat's signal.
    let seen = next_call_of(&mut ann_events, "CallUpdated").await;
    assert_eq!(seen["call"]["state"], "ACTIVE");
    signal(&app, cat, &call_id, ann, json!({ "candidate": "c1" })).await;
    let got = next_call_of(&mut ann_events, "CallSignalReceived").await;
    assert_eq!(got["from"]["id"], cat.user_id.as_str());
    // Bob, no longer in the call, can neither signal nor be signalled.
    let from_bob = signal(&app, bob, &call_id, ann, json!({})).await;
    assert_eq!(code(&from_bob), "FORBIDDEN", "{from_bob}");
    let to_bob = signal(&app, ann, &call_id, bob, json!({})).await;
    assert_eq!(code(&to_bob), "BAD_USER_INPUT", "{to_bob}");
}
