//! Races end in one outcome: two devices answering at once, a decline racing an accept, two
//! friends calling each other at the same instant, and two instances timing out the same ring
//! (also across a restart).

use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::helpers::{TestApp, code, test_config};
use crate::rate_limits::redis_url;

fn is_ok(body: &Value) -> bool {
    body["errors"].is_null()
}

#[tokio::test]
async fn two_devices_answering_at_once_answer_once() {
    let app = TestApp::spawn().await;
    let [ann, bob] = &friends(&app, &["ann", "bob"]).await[..] else {
        unreachable!()
    };
    for _ in 0..3 {
        let mut ann_phone = device(&app, ann).await;
        let placed = call(&app, ann, &[bob]).await;
        let call_id = id(&placed);
        let (a, b) = tokio::join!(
            try_act(&app, bob, "acceptCall", &call_id),
            try_act(&app, bob, "acceptCall", &call_id)
        );
        assert!(
            is_ok(&a) && is_ok(&b),
            "both devices see the call answered: {a} {b}"
        );
        let events = drain(&mut ann_phone, Duration::from_millis(400)).await;
        let answers = events
            .iter()
            .filter(|e| e["__typename"] == "CallUpdated" && state_of(&e["call"], bob) == "JOINED")
            .count();
        assert_eq!(answers, 1, "one answer announced: {events:?}");
        let stored = fetch(&app, ann, &call_id).await;
        assert_eq!(stored["state"], "ACTIVE");
        act(&app, ann, "endCall", &call_id).await;
    }
}

#[tokio::test]
async fn a_decline_racing_an_accept_has_one_winner() {
    let app = TestApp::spawn().await;
    let [ann, bob] = &friends(&app, &["ann", "bob"]).await[..] else {
        unreachable!()
    };
    for _ in 0..4 {
        let placed = call(&app, ann, &[bob]).await;
        let call_id = id(&placed);
        let (accepted, declined) = tokio::join!(
            try_act(&app, bob, "acceptCall", &call_id),
            try_act(&app, bob, "declineCall", &call_id)
        );
        assert_ne!(is_ok(&accepted), is_ok(&declined), "{accepted} {declined}");
        let stored = fetch(&app, ann, &call_id).await;
        if is_ok(&accepted) {
            assert_eq!(code(&declined), "CONFLICT");
            assert_eq!(stored["state"], "ACTIVE", "{stored}");
            assert_eq!(state_of(&stored, bob), "JOINED");
            act(&app, ann, "endCall", &call_id).await;
        } else {
            assert_eq!(code(&accepted), "CONFLICT");
            assert_eq!(stored["state"], "ENDED", "{stored}");
            assert_eq!(stored["endReason"], "DECLINED");
        }
    }
}

#[tokio::test]
async fn friends_calling_each_other_at_once_end_in_one_call() {
    let app = TestApp::spawn().await;
    let [ann, bob] = &friends(&app, &["ann", "bob"]).await[..] else {
        unreachable!()
    };
    for _ in 0..3 {
        let (to_bob, to_ann) = ([bob], [ann]);
        let (a, b) = tokio::join!(call(&app, ann, &to_bob), call(&app, bob, &to_ann));
        assert_eq!(a["id"], b["id"], "one call: {a} {b}");
        let stored = fetch(&app, ann, &id(&a)).await;
        assert_eq!(stored["state"], "ACTIVE", "{stored}");
        assert_eq!(state_of(&stored, ann), "JOINED");
        assert_eq!(state_of(&stored, bob), "JOINED");
        act(&app, ann, "leaveCall", &id(&a)).await;
    }
    // Sequential glare: B's call rings A, and A calling B answers it.
    let ringing = call(&app, bob, &[ann]).await;
    let answered = call(&app, ann, &[bob]).await;
    assert_eq!(answered["id"], ringing["id"]);
    assert_eq!(answered["state"], "ACTIVE");
    let history = app
        .gql(
            Some(&ann.access),
            "{ calls { totalCount } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(history["data"]["calls"]["totalCount"], 4, "{history}");
}

#[tokio::test]
async fn a_ring_timeout_survives_a_restart() {
    let mut app = TestApp::spawn_with(&[("CALL_RING_TIMEOUT_MS", "3000")]).await;
    let [ann, bob] = &friends(&app, &["ann", "bob"]).await[..] else {
        unreachable!()
    };
    let placed = call(&app, ann, &[bob]).await;
    app.restart().await;
    assert_eq!(
        app.state.calls.ring_timers.armed(),
        1,
        "re-armed at start-up"
    );
    let mut bob_phone = device(&app, bob).await;
    let missed = next_of(&mut bob_phone, "CallUpdated").await;
    assert_eq!(missed["call"]["id"], placed["id"]);
    assert_eq!(missed["call"]["endReason"], "MISSED", "{missed}");
    assert_eq!(state_of(&missed["call"], bob), "MISSED");
}

#[tokio::test]
async fn two_instances_time_out_the_same_ring_once() {
    let Some(url) = redis_url().await else {
        return;
    };
    let prefix = format!("soundroom-test-{}:", uuid::Uuid::new_v4().simple());
    let config = test_config(&[
        ("REDIS_URL", url.as_str()),
        ("REDIS_KEY_PREFIX", &prefix),
        ("CALL_RING_TIMEOUT_MS", "3000"),
    ]);
    let a = TestApp::start(config.clone()).await;
    let [ann, bob] = &friends(&a, &["ann", "bob"]).await[..] else {
        unreachable!()
    };
    let placed = call(&a, ann, &[bob]).await;
    // A second instance on the same database arms the same ring's timer at start-up.
    let b = TestApp::start(config.clone()).await;
    assert_eq!(a.state.calls.ring_timers.armed(), 1);
    assert_eq!(b.state.calls.ring_timers.armed(), 1);
    let mut ann_phone = device(&a, ann).await;
    let mut bob_phone = device(&b, bob).await;
    for (who, dev) in [("ann", &mut ann_phone), ("bob", &mut bob_phone)] {
        let events = drain(dev, Duration::from_millis(5000)).await;
        let ends: Vec<&Value> = events
            .iter()
            .filter(|e| e["__typename"] == "CallUpdated" && e["call"]["state"] == "ENDED")
            .collect();
        assert_eq!(ends.len(), 1, "{who}: one time-out announced: {events:?}");
        assert_eq!(ends[0]["call"]["endReason"], "MISSED");
    }
    assert_eq!(a.state.calls.ring_timers.armed(), 0);
    assert_eq!(b.state.calls.ring_timers.armed(), 0);
    let stored = fetch(&b, bob, &id(&placed)).await;
    assert_eq!(state_of(&stored, bob), "MISSED");
}
