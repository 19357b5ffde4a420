//! Calls, one module per concern, and the fixtures they share: friends, placing and answering
//! calls, a device's `userEvents` and `callEvents` sockets.

mod ice;
mod lifecycle;
mod limits;
mod media;
mod races;
mod room_voice;
mod signals;

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Frame, Session, TestApp, WsClient};
use crate::social::befriend;

pub const CALL: &str = "id kind state conversationId roomId isOneToOne initiator { id }
  participants { user { id } state audioMuted videoMuted quality joinedAt leftAt }
  screenShare { user { id } hasAudio quality remoteController { id } startedAt }
  createdAt startedAt endedAt endReason durationMs";

pub fn user_events() -> String {
    format!(
        "subscription {{ userEvents {{ __typename
  ... on IncomingCall {{ serverTimeMs from {{ id }} call {{ {CALL} }} }}
  ... on CallUpdated {{ serverTimeMs call {{ {CALL} }} }}
}} }}"
    )
}

pub fn call_events() -> String {
    format!(
        "subscription($c: UUID!) {{ callEvents(callId: $c) {{ __typename
  ... on CallUpdated {{ serverTimeMs call {{ {CALL} }} }}
  ... on CallSignalReceived {{ serverTimeMs callId from {{ id }} signal }}
  ... on ScreenAnnotationAdded {{ serverTimeMs callId from {{ id }} kind data }}
  ... on RemoteControlRequested {{ serverTimeMs callId from {{ id }} }}
}} }}"
    )
}

pub async fn user(app: &TestApp, name: &str) -> Session {
    app.register(&format!("{name}-call@example.com"), name)
        .await
}

/// Registers users and makes every two of them friends.
pub async fn friends(app: &TestApp, names: &[&str]) -> Vec<Session> {
    let mut users = Vec::new();
    for name in names {
        users.push(user(app, name).await);
    }
    for i in 0..users.len() {
        for j in i + 1..users.len() {
            befriend(app, &users[i], &users[j]).await;
        }
    }
    users
}

/// The whole response of `startCall(input)`.
pub async fn try_start(app: &TestApp, who: &Session, input: Value) -> Value {
    let q = format!("mutation($i: StartCallInput!) {{ startCall(input: $i) {{ {CALL} }} }}");
    app.gql(Some(&who.access), &q, json!({ "i": input })).await
}

/// Places an audio call to `callees`, which must succeed.
pub async fn call(app: &TestApp, who: &Session, callees: &[&Session]) -> Value {
    let ids: Vec<&str> = callees.iter().map(|s| s.user_id.as_str()).collect();
    let body = try_start(app, who, json!({ "kind": "AUDIO", "userIds": ids })).await;
    assert!(body["errors"].is_null(), "startCall: {body}");
    body["data"]["startCall"].clone()
}

/// The whole response of `<mutation>(callId)` (acceptCall, declineCall, joinCall, …).
pub async fn try_act(app: &TestApp, who: &Session, mutation: &str, call_id: &str) -> Value {
    let q = format!("mutation($c: UUID!) {{ {mutation}(callId: $c) {{ {CALL} }} }}");
    app.gql(Some(&who.access), &q, json!({ "c": call_id }))
        .await
}

/// `<mutation>(callId)`, which must succeed; returns the call.
pub async fn act(app: &TestApp, who: &Session, mutation: &str, call_id: &str) -> Value {
    let body = try_act(app, who, mutation, call_id).await;
    assert!(body["errors"].is_null(), "{mutation}: {body}");
    body["data"][mutation].clone()
}

pub async fn fetch(app: &TestApp, who: &Session, call_id: &str) -> Value {
    let q = format!("query($c: UUID!) {{ call(id: $c) {{ {CALL} }} }}");
    let body = app
        .gql(Some(&who.access), &q, json!({ "c": call_id }))
        .await;
    assert!(body["errors"].is_null(), "call: {body}");
    body["data"]["call"].clone()
}

pub fn id(call: &Value) -> String {
    call["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {call}"))
        .to_owned()
}

/// The state of `who` among the call's participants.
pub fn state_of(call: &Value, who: &Session) -> String {
    call["participants"]
        .as_array()
        .unwrap_or_else(|| panic!("no participants in {call}"))
        .iter()
        .find(|p| p["user"]["id"] == who.user_id.as_str())
        .map(|p| p["state"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|| panic!("{} is not in {call}", who.user_id))
}

/// A signed-in device listening to `userEvents`.
pub async fn device(app: &TestApp, who: &Session) -> WsClient {
    let mut ws = WsClient::signed_in(app, Some(&who.access)).await;
    ws.subscribe("ev", &user_events(), json!({})).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    ws
}

/// The next call event of `kind` on a `userEvents` device, skipping others.
pub async fn next_of(ws: &mut WsClient, kind: &str) -> Value {
    loop {
        let msg = ws.next_for("ev").await;
        assert_eq!(msg["type"], "next", "{msg}");
        let event = msg["payload"]["data"]["userEvents"].clone();
        if event["__typename"] == kind {
            assert!(event["serverTimeMs"].as_f64().is_some(), "{event}");
            return event;
        }
    }
}

/// Call events (`IncomingCall`, `CallUpdated`) a `userEvents` device got within `wait`.
pub async fn drain(ws: &mut WsClient, wait: Duration) -> Vec<Value> {
    let mut events = Vec::new();
    while let Some(frame) = ws.recv_within(wait).await {
        match frame {
            Frame::Json(msg) if msg["id"] == "ev" => {
                let event = msg["payload"]["data"]["userEvents"].clone();
                let kind = event["__typename"].as_str().unwrap_or_default();
                if kind == "IncomingCall" || kind == "CallUpdated" {
                    events.push(event);
                }
            }
            Frame::Json(_) => {}
            Frame::Closed(code, reason) => panic!("socket closed ({code:?}, {reason})"),
        }
    }
    events
}

/// A device subscribed to `callEvents(callId)` as `ce`.
pub async fn call_device(app: &TestApp, who: &Session, call_id: &str) -> WsClient {
    let mut ws = WsClient::signed_in(app, Some(&who.access)).await;
    ws.subscribe("ce", &call_events(), json!({ "c": call_id }))
        .await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    ws
}

/// The next `callEvents` message: `Some(event)` for `next`, `None` when it completed.
pub async fn next_call_event(ws: &mut WsClient) -> Option<Value> {
    let msg = ws.next_for("ce").await;
    match msg["type"].as_str() {
        Some("next") => Some(msg["payload"]["data"]["callEvents"].clone()),
        Some("complete") => None,
        _ => panic!("unexpected callEvents message {msg}"),
    }
}

/// The next `callEvents` event of `kind`, skipping others.
pub async fn next_call_of(ws: &mut WsClient, kind: &str) -> Value {
    loop {
        let event = next_call_event(ws)
            .await
            .unwrap_or_else(|| panic!("callEvents completed while {kind} was expected"));
        if event["__typename"] == kind {
            assert!(event["serverTimeMs"].as_f64().is_some(), "{event}");
            return event;
        }
    }
}
