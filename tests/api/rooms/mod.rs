//! Listening rooms, one module per concern, and the fixtures they share: creating, joining
//! and reading rooms, a member's `roomEvents` socket, and the playback commands.

mod access;
mod chat;
mod events;
mod membership;
mod playback;
mod playback_rules;
mod resync;
mod shared_payloads;

use std::time::Duration;

use serde_json::{Value, json};
use soundroom::realtime::{Event, RoomEvent, RoomMessage, Topic};

use crate::helpers::{Frame, Session, TestApp, WsClient, code, test_config};
use crate::social::{EVENTS, befriend};

pub const PLAYBACK: &str = "isPlaying positionMs anchorTimeMs version waitingFor { id } waitDeadlineMs track { id durationMs }";

pub fn room_events() -> String {
    format!(
        "subscription($r: UUID!) {{ roomEvents(roomId: $r) {{ __typename
  ... on RoomSnapshot {{ serverTimeMs room {{ id name host {{ id }} }} playback {{ {PLAYBACK} }} queue {{ id track {{ id }} addedBy {{ id }} }} members {{ user {{ id }} role isConnected }} typing {{ id }} }}
  ... on MemberJoined {{ serverTimeMs user {{ id }} member {{ role }} }}
  ... on MemberLeft {{ serverTimeMs user {{ id }} kicked }}
  ... on PresenceChanged {{ serverTimeMs user {{ id }} isConnected }}
  ... on PlaybackChanged {{ serverTimeMs playback {{ {PLAYBACK} }} }}
  ... on QueueChanged {{ serverTimeMs queue {{ id track {{ id }} addedBy {{ id }} }} }}
  ... on ChatMessagePosted {{ serverTimeMs message {{ id body author {{ id }} deleted }} }}
  ... on ChatMessageEdited {{ serverTimeMs message {{ id body editedAt }} }}
  ... on ChatMessageDeleted {{ serverTimeMs message {{ id body deleted }} }}
  ... on TypingChanged {{ serverTimeMs user {{ id }} isTyping }}
  ... on HostChanged {{ serverTimeMs host {{ id }} previousHost {{ id }} }}
  ... on MemberRoleChanged {{ serverTimeMs member {{ user {{ id }} role }} }}
  ... on RoomUpdated {{ serverTimeMs room {{ name controlMode waitForAll visibility }} }}
  ... on SkipVotesChanged {{ serverTimeMs votes needed }}
  ... on ReadMarkerUpdated {{ serverTimeMs user {{ id }} messageId }}
  ... on RoomClosed {{ serverTimeMs roomId }}
}} }}"
    )
}

pub const CREATE: &str = "mutation($i: CreateRoomInput!) { createRoom(input: $i) { id name visibility controlMode host { id } members { user { id } role } } }";
pub const JOIN: &str =
    "mutation($r: UUID!) { joinRoom(roomId: $r) { id members { user { id } role } } }";
pub const LEAVE: &str = "mutation($r: UUID!) { leaveRoom(roomId: $r) }";
pub const CLOSE: &str = "mutation($r: UUID!) { closeRoom(roomId: $r) }";
pub const INVITE: &str = "mutation($r: UUID!, $u: UUID!) { inviteToRoom(roomId: $r, userId: $u) }";
pub const KICK: &str = "mutation($r: UUID!, $u: UUID!) { kickFromRoom(roomId: $r, userId: $u) }";
pub const ROOM: &str = "query($r: UUID!) { room(id: $r) { id name visibility closedAt host { id } viewerRole viewerCanControl memberCount connectedCount members { user { id } role isConnected } } }";
pub const ROOMS: &str = "{ rooms(first: 50) { totalCount nodes { id name } } }";

/// Creates a room as `host`; returns its id.
pub async fn create_room(app: &TestApp, host: &Session, name: &str, input: Value) -> String {
    let mut input = input;
    input["name"] = json!(name);
    let body = app
        .gql(Some(&host.access), CREATE, json!({ "i": input }))
        .await;
    body["data"]["createRoom"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createRoom failed: {body}"))
        .to_owned()
}

pub async fn join(app: &TestApp, who: &Session, room: &str) -> Value {
    app.gql(Some(&who.access), JOIN, json!({ "r": room })).await
}

pub async fn joined(app: &TestApp, who: &Session, room: &str) {
    let body = join(app, who, room).await;
    assert!(body["errors"].is_null(), "join failed: {body}");
}

pub async fn room(app: &TestApp, who: Option<&Session>, room: &str) -> Value {
    let body = app
        .gql(who.map(|s| s.access.as_str()), ROOM, json!({ "r": room }))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["room"].clone()
}

/// A signed-in socket subscribed to the room's events as `ev`, past its snapshot.
pub struct RoomWs {
    pub ws: WsClient,
    pub snapshot: Value,
}

pub async fn subscribe(app: &TestApp, who: &Session, room: &str) -> RoomWs {
    let mut ws = WsClient::signed_in(app, Some(&who.access)).await;
    ws.subscribe("ev", &room_events(), json!({ "r": room }))
        .await;
    let first = ws.next_for("ev").await;
    assert_eq!(first["type"], "next", "{first}");
    let snapshot = first["payload"]["data"]["roomEvents"].clone();
    assert_eq!(snapshot["__typename"], "RoomSnapshot", "{first}");
    RoomWs { ws, snapshot }
}

impl RoomWs {
    /// The next room event.
    pub async fn next(&mut self) -> Value {
        let msg = self.ws.next_for("ev").await;
        assert_eq!(msg["type"], "next", "{msg}");
        let event = msg["payload"]["data"]["roomEvents"].clone();
        assert!(
            event["serverTimeMs"].as_f64().is_some(),
            "every event carries serverTimeMs: {event}"
        );
        event
    }

    /// The next event of `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let event = self.next().await;
            if event["__typename"] == kind {
                return event;
            }
        }
    }

    /// The next event of `kind` satisfying `pred`, skipping others.
    pub async fn wait_for(&mut self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let event = self.next_of(kind).await;
            if pred(&event) {
                return event;
            }
        }
    }

    /// Events of `kind` arriving within `wait` (others skipped).
    pub async fn collect(&mut self, kind: &str, wait: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.ws.recv_within(left).await {
                None => return out,
                Some(Frame::Json(msg)) if msg["id"] == "ev" && msg["type"] == "next" => {
                    let event = msg["payload"]["data"]["roomEvents"].clone();
                    if event["__typename"] == kind {
                        out.push(event);
                    }
                }
                Some(Frame::Json(_)) => {}
                Some(Frame::Closed(code, reason)) => panic!("socket closed: {code:?} {reason}"),
            }
        }
    }
}

pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(150)).await;
}

pub fn play() -> String {
    format!(
        "mutation($r: UUID!, $t: UUID, $p: Int, $v: Int) {{ roomPlay(roomId: $r, trackId: $t, positionMs: $p, expectedVersion: $v) {{ {PLAYBACK} }} }}"
    )
}
pub fn pause() -> String {
    format!(
        "mutation($r: UUID!, $v: Int) {{ roomPause(roomId: $r, expectedVersion: $v) {{ {PLAYBACK} }} }}"
    )
}
pub fn seek() -> String {
    format!(
        "mutation($r: UUID!, $p: Int!, $v: Int) {{ roomSeek(roomId: $r, positionMs: $p, expectedVersion: $v) {{ {PLAYBACK} }} }}"
    )
}
pub fn skip() -> String {
    format!("mutation($r: UUID!) {{ roomSkip(roomId: $r) {{ {PLAYBACK} }} }}")
}
pub fn status() -> String {
    format!(
        "mutation($r: UUID!, $t: UUID!, $s: MemberPlaybackStatus!) {{ reportPlaybackStatus(roomId: $r, trackId: $t, status: $s) {{ {PLAYBACK} }} }}"
    )
}
pub const ENQUEUE: &str = "mutation($r: UUID!, $t: UUID!) { enqueueTrack(roomId: $r, trackId: $t) { id track { id name } addedBy { id } } }";
pub const REMOVE: &str =
    "mutation($r: UUID!, $i: UUID!) { removeQueueItem(roomId: $r, itemId: $i) { id } }";
pub const MOVE: &str = "mutation($r: UUID!, $i: UUID!, $p: Int!) { moveQueueItem(roomId: $r, itemId: $i, position: $p) { id track { name } } }";
pub const LATENCY: &str =
    "mutation($r: UUID!, $ms: Int!) { reportLatency(roomId: $r, rttMs: $ms) }";
pub const VOTE: &str = "mutation($r: UUID!) { voteSkip(roomId: $r) { votes needed skipped } }";
pub const UPDATE: &str =
    "mutation($r: UUID!, $i: UpdateRoomInput!) { updateRoom(roomId: $r, input: $i) { id } }";

pub async fn ok(app: &TestApp, who: &Session, query: &str, vars: Value, field: &str) -> Value {
    let body = app.gql(Some(&who.access), query, vars).await;
    assert!(body["errors"].is_null(), "{field}: {body}");
    body["data"][field].clone()
}

pub fn now_ms() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64
}

pub async fn playback(app: &TestApp, who: &Session, id: &str) -> Value {
    let body = app
        .gql(
            Some(&who.access),
            &format!("query($r: UUID!) {{ room(id: $r) {{ playback {{ {PLAYBACK} }} queue {{ id track {{ id }} }} }} }}"),
            json!({ "r": id }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["room"].clone()
}
