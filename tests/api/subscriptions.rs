//! `userEvents` end to end: a mutation over HTTP, the event over the bus, to every device of
//! that user and to nobody else.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, WsClient};

const EVENTS: &str = "subscription { userEvents { __typename ... on ProfileUpdated { serverTimeMs user { id username email } } ... on SessionStarted { sessionId serverTimeMs } } }";
const UPDATE: &str = "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { username } }";

#[tokio::test]
async fn profile_updates_reach_every_device_of_the_user_only() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-ev@example.com", "ann").await;
    let bob = app.register("bob-ev@example.com", "bob").await;

    let mut phone = WsClient::signed_in(&app, Some(&ann.access)).await;
    let mut laptop = WsClient::signed_in(&app, Some(&ann.access)).await;
    let mut stranger = WsClient::signed_in(&app, Some(&bob.access)).await;
    for ws in [&mut phone, &mut laptop, &mut stranger] {
        ws.subscribe("ev", EVENTS, json!({})).await;
    }
    // Let the subscriptions reach the bus before publishing.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let before = chrono::Utc::now().timestamp_millis() as f64;
    let body = app
        .gql(
            Some(&ann.access),
            UPDATE,
            json!({ "i": { "username": "Ann B" } }),
        )
        .await;
    assert_eq!(body["data"]["updateProfile"]["username"], "Ann B", "{body}");

    for ws in [&mut phone, &mut laptop] {
        let msg = ws.next_for("ev").await;
        assert_eq!(msg["type"], "next");
        let event = &msg["payload"]["data"]["userEvents"];
        assert_eq!(event["__typename"], "ProfileUpdated", "{msg}");
        assert_eq!(event["user"]["id"], ann.user_id.as_str());
        assert_eq!(event["user"]["username"], "Ann B");
        assert_eq!(event["user"]["email"], "ann-ev@example.com");
        assert!(event["serverTimeMs"].as_f64().expect("serverTimeMs") >= before);
    }
    assert!(
        stranger
            .recv_within(Duration::from_millis(300))
            .await
            .is_none(),
        "bob must not see ann's events"
    );

    // Bob's own change reaches bob, and it is the first thing he sees.
    app.gql(
        Some(&bob.access),
        UPDATE,
        json!({ "i": { "username": "Bob C" } }),
    )
    .await;
    let msg = stranger.next_for("ev").await;
    assert_eq!(
        msg["payload"]["data"]["userEvents"]["user"]["username"],
        "Bob C"
    );
}

#[tokio::test]
async fn a_new_sign_in_is_announced_to_the_users_devices() {
    let app = TestApp::spawn().await;
    let ann = app.register("sess@example.com", "sess").await;
    let mut ws = WsClient::signed_in(&app, Some(&ann.access)).await;
    ws.subscribe("ev", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let login = app.login("sess@example.com", "correct horse").await;
    assert!(login["data"]["login"]["accessToken"].is_string());
    let msg = ws.next_for("ev").await;
    let event = &msg["payload"]["data"]["userEvents"];
    assert_eq!(event["__typename"], "SessionStarted", "{msg}");
    assert!(event["sessionId"].is_string());
}

#[tokio::test]
async fn completing_a_subscription_releases_its_topic() {
    let app = TestApp::spawn().await;
    let ann = app.register("topic@example.com", "topic").await;
    let mut ws = WsClient::signed_in(&app, Some(&ann.access)).await;
    ws.subscribe("ev", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let topics = app.state.bus.topic_count();
    assert!(topics >= 1, "the subscription holds its user topic");
    ws.send(json!({ "id": "ev", "type": "complete" })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.state.bus.topic_count(),
        topics - 1,
        "the topic is removed with its last subscriber"
    );
    // After complete, no more events for that id.
    app.gql(
        Some(&ann.access),
        UPDATE,
        json!({ "i": { "username": "after" } }),
    )
    .await;
    assert!(ws.recv_within(Duration::from_millis(300)).await.is_none());
}
