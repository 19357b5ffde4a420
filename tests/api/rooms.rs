//! Listening rooms: the life of a room, who may see and join it, roles, presence per room, the
//! snapshot on subscribe and after lagging, idle closing. Helpers here serve `room_playback`
//! and `chat` too.

use std::time::Duration;

use serde_json::{Value, json};
use soundroom::realtime::{Event, RoomEvent, RoomMessage, Topic};

use crate::friends::{EVENTS, befriend};
use crate::helpers::{Frame, Session, TestApp, WsClient, code};

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

const CREATE: &str = "mutation($i: CreateRoomInput!) { createRoom(input: $i) { id name visibility controlMode host { id } members { user { id } role } } }";
const JOIN: &str =
    "mutation($r: UUID!) { joinRoom(roomId: $r) { id members { user { id } role } } }";
const LEAVE: &str = "mutation($r: UUID!) { leaveRoom(roomId: $r) }";
const CLOSE: &str = "mutation($r: UUID!) { closeRoom(roomId: $r) }";
const INVITE: &str = "mutation($r: UUID!, $u: UUID!) { inviteToRoom(roomId: $r, userId: $u) }";
const KICK: &str = "mutation($r: UUID!, $u: UUID!) { kickFromRoom(roomId: $r, userId: $u) }";
const ROOM: &str = "query($r: UUID!) { room(id: $r) { id name visibility closedAt host { id } viewerRole viewerCanControl memberCount connectedCount members { user { id } role isConnected } } }";
const ROOMS: &str = "{ rooms(first: 50) { totalCount nodes { id name } } }";

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

async fn settle() {
    tokio::time::sleep(Duration::from_millis(150)).await;
}

#[tokio::test]
async fn the_life_of_a_room_with_host_hand_over_and_close() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-room@example.com", "ann").await;
    let bob = app.register("bob-room@example.com", "bob").await;
    let cat = app.register("cat-room@example.com", "cat").await;

    let created = app
        .gql(
            Some(&ann.access),
            CREATE,
            json!({ "i": { "name": "  Friday  ", "visibility": "PUBLIC" } }),
        )
        .await;
    let r = &created["data"]["createRoom"];
    assert_eq!(r["name"], "Friday", "{created}");
    assert_eq!(r["visibility"], "PUBLIC");
    assert_eq!(r["controlMode"], "HOST_ONLY");
    assert_eq!(r["host"]["id"], ann.user_id.as_str());
    assert_eq!(r["members"][0]["role"], "HOST");
    let id = r["id"].as_str().expect("id").to_owned();

    let mut ann_ws = subscribe(&app, &ann, &id).await;
    let snap = &ann_ws.snapshot;
    assert_eq!(snap["room"]["id"], id.as_str());
    assert_eq!(snap["playback"]["track"], Value::Null);
    assert_eq!(snap["playback"]["version"], 0);
    assert_eq!(snap["members"][0]["isConnected"], true, "{snap}");

    joined(&app, &bob, &id).await;
    let e = ann_ws.next_of("MemberJoined").await;
    assert_eq!(e["user"]["id"], bob.user_id.as_str());
    assert_eq!(e["member"]["role"], "LISTENER");
    // Joining again changes nothing.
    joined(&app, &bob, &id).await;
    joined(&app, &cat, &id).await;
    let e = ann_ws.next_of("MemberJoined").await;
    assert_eq!(
        e["user"]["id"],
        cat.user_id.as_str(),
        "no second event for bob"
    );

    let mut bob_ws = subscribe(&app, &bob, &id).await;
    let mut cat_ws = subscribe(&app, &cat, &id).await;
    let seen = room(&app, Some(&bob), &id).await;
    assert_eq!(seen["memberCount"], 3);
    assert_eq!(seen["connectedCount"], 3);
    assert_eq!(seen["viewerRole"], "LISTENER");
    assert_eq!(seen["viewerCanControl"], false);

    // The host leaves: the longest-present member (bob) becomes host.
    let left = app.gql(Some(&ann.access), LEAVE, json!({ "r": id })).await;
    assert_eq!(left["data"]["leaveRoom"], true, "{left}");
    let e = ann_ws.next_of("MemberLeft").await;
    assert_eq!(e["user"]["id"], ann.user_id.as_str());
    assert_eq!(e["kicked"], false);
    let done = ann_ws.ws.next_for("ev").await;
    assert_eq!(
        done["type"], "complete",
        "the leaver's subscription ends: {done}"
    );
    let e = bob_ws.next_of("HostChanged").await;
    assert_eq!(e["host"]["id"], bob.user_id.as_str());
    assert_eq!(e["previousHost"]["id"], ann.user_id.as_str());
    let seen = room(&app, Some(&bob), &id).await;
    assert_eq!(seen["host"]["id"], bob.user_id.as_str());
    assert_eq!(seen["viewerRole"], "HOST");
    let again = app.gql(Some(&ann.access), LEAVE, json!({ "r": id })).await;
    assert_eq!(again["data"]["leaveRoom"], false);

    // Only the host closes.
    let refused = app.gql(Some(&cat.access), CLOSE, json!({ "r": id })).await;
    assert_eq!(code(&refused), "FORBIDDEN");
    let closed = app.gql(Some(&bob.access), CLOSE, json!({ "r": id })).await;
    assert_eq!(closed["data"]["closeRoom"], true, "{closed}");
    for ws in [&mut bob_ws, &mut cat_ws] {
        let e = ws.next_of("RoomClosed").await;
        assert_eq!(e["roomId"], id.as_str());
        let done = ws.ws.next_for("ev").await;
        assert_eq!(done["type"], "complete", "{done}");
    }
    let seen = room(&app, Some(&cat), &id).await;
    assert!(seen["closedAt"].is_string(), "{seen}");
    assert_eq!(code(&join(&app, &ann, &id).await), "NOT_FOUND");
    let listed = app.gql(Some(&cat.access), ROOMS, json!({})).await;
    assert_eq!(listed["data"]["rooms"]["totalCount"], 0, "{listed}");
}

#[tokio::test]
async fn who_may_see_and_join_and_invitations() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-vis@example.com", "ann").await;
    let bob = app.register("bob-vis@example.com", "bob").await;
    let eve = app.register("eve-vis@example.com", "eve").await;

    let public = create_room(&app, &ann, "Open", json!({ "visibility": "PUBLIC" })).await;
    let friends = create_room(&app, &ann, "Friends", json!({ "visibility": "FRIENDS" })).await;
    let private = create_room(&app, &ann, "Secret", json!({ "visibility": "PRIVATE" })).await;

    // Anonymous callers and strangers see public rooms only.
    let anon = app.gql(None, ROOMS, json!({})).await;
    assert_eq!(anon["data"]["rooms"]["totalCount"], 1, "{anon}");
    assert_eq!(room(&app, None, &public).await["name"], "Open");
    assert_eq!(room(&app, None, &private).await, Value::Null);
    for hidden in [&friends, &private] {
        assert_eq!(room(&app, Some(&eve), hidden).await, Value::Null);
        assert_eq!(code(&join(&app, &eve, hidden).await), "NOT_FOUND");
    }
    let listed = app.gql(Some(&eve.access), ROOMS, json!({})).await;
    assert_eq!(listed["data"]["rooms"]["totalCount"], 1);

    // Invitations go to friends only.
    let not_friend = app
        .gql(
            Some(&ann.access),
            INVITE,
            json!({ "r": private, "u": bob.user_id }),
        )
        .await;
    assert_eq!(code(&not_friend), "FORBIDDEN", "{not_friend}");
    befriend(&app, &ann, &bob).await;

    // A friend sees the FRIENDS room; the private one still needs an invitation.
    assert_eq!(room(&app, Some(&bob), &friends).await["name"], "Friends");
    assert_eq!(room(&app, Some(&bob), &private).await, Value::Null);
    let listed = app.gql(Some(&bob.access), ROOMS, json!({})).await;
    assert_eq!(listed["data"]["rooms"]["totalCount"], 2, "{listed}");
    joined(&app, &bob, &friends).await;

    let mut bob_events = WsClient::signed_in(&app, Some(&bob.access)).await;
    bob_events
        .subscribe(
            "inv",
            "subscription { userEvents { __typename ... on RoomInvite { serverTimeMs room { id name visibility } from { id } } } }",
            json!({}),
        )
        .await;
    settle().await;
    let invited = app
        .gql(
            Some(&ann.access),
            INVITE,
            json!({ "r": private, "u": bob.user_id }),
        )
        .await;
    assert_eq!(invited["data"]["inviteToRoom"], true, "{invited}");
    let msg = bob_events.next_for("inv").await;
    let e = &msg["payload"]["data"]["userEvents"];
    assert_eq!(e["__typename"], "RoomInvite", "{msg}");
    assert_eq!(e["room"]["id"], private.as_str());
    assert_eq!(e["room"]["visibility"], "PRIVATE");
    assert_eq!(e["from"]["id"], ann.user_id.as_str());
    assert_eq!(room(&app, Some(&bob), &private).await["name"], "Secret");
    joined(&app, &bob, &private).await;

    // Bob may not invite into the private room (host only), even a friend of his.
    befriend(&app, &bob, &eve).await;
    let by_guest = app
        .gql(
            Some(&bob.access),
            INVITE,
            json!({ "r": private, "u": eve.user_id }),
        )
        .await;
    assert_eq!(code(&by_guest), "FORBIDDEN");
    // ... but into the public room he is in, yes.
    joined(&app, &bob, &public).await;
    let ok = app
        .gql(
            Some(&bob.access),
            INVITE,
            json!({ "r": public, "u": eve.user_id }),
        )
        .await;
    assert_eq!(ok["data"]["inviteToRoom"], true, "{ok}");
    let member = app
        .gql(
            Some(&ann.access),
            INVITE,
            json!({ "r": private, "u": bob.user_id }),
        )
        .await;
    assert_eq!(code(&member), "CONFLICT", "already a member");
}

#[tokio::test]
async fn the_fifty_first_member_is_refused() {
    let app = TestApp::spawn().await;
    let host = app.register("host-full@example.com", "host").await;
    let id = create_room(&app, &host, "Full house", json!({})).await;
    let app_ref = &app;
    let guests = futures_util::future::join_all((0..50).map(|i| async move {
        app_ref
            .register(&format!("g{i}-full@example.com"), &format!("guest{i}"))
            .await
    }))
    .await;
    for guest in &guests[..49] {
        joined(&app, guest, &id).await;
    }
    assert_eq!(room(&app, Some(&host), &id).await["memberCount"], 50);
    let refused = join(&app, &guests[49], &id).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let message = refused["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("full"), "{message}");
    // Someone leaves: there is room again.
    let left = app
        .gql(Some(&guests[0].access), LEAVE, json!({ "r": id }))
        .await;
    assert_eq!(left["data"]["leaveRoom"], true);
    joined(&app, &guests[49], &id).await;
}

#[tokio::test]
async fn concurrent_joins_never_overfill_a_room() {
    let app = TestApp::spawn_with(&[("ROOM_MAX_MEMBERS", "4")]).await;
    let host = app.register("host-race@example.com", "host").await;
    let id = create_room(&app, &host, "Race", json!({})).await;
    let mut guests = Vec::new();
    for i in 0..8 {
        guests.push(
            app.register(&format!("r{i}-race@example.com"), &format!("racer{i}"))
                .await,
        );
    }
    let results = futures_util::future::join_all(guests.iter().map(|g| join(&app, g, &id))).await;
    let admitted = results.iter().filter(|b| b["errors"].is_null()).count();
    let refused = results
        .iter()
        .filter(|b| !b["errors"].is_null())
        .inspect(|b| assert_eq!(code(b), "FORBIDDEN", "{b}"))
        .count();
    assert_eq!((admitted, refused), (3, 5));
    assert_eq!(room(&app, Some(&host), &id).await["memberCount"], 4);
}

#[tokio::test]
async fn kick_ban_roles_and_transfer() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-kick@example.com", "ann").await;
    let bob = app.register("bob-kick@example.com", "bob").await;
    let cat = app.register("cat-kick@example.com", "cat").await;
    befriend(&app, &ann, &bob).await;
    let id = create_room(&app, &ann, "Kicks", json!({ "controlMode": "DJS" })).await;
    joined(&app, &bob, &id).await;
    joined(&app, &cat, &id).await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;
    let mut bob_ws = subscribe(&app, &bob, &id).await;

    let refused = app
        .gql(
            Some(&cat.access),
            KICK,
            json!({ "r": id, "u": bob.user_id }),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN", "only the host kicks");
    let kicked = app
        .gql(
            Some(&ann.access),
            KICK,
            json!({ "r": id, "u": bob.user_id }),
        )
        .await;
    assert_eq!(kicked["data"]["kickFromRoom"], true, "{kicked}");
    let e = bob_ws.next_of("MemberLeft").await;
    assert_eq!(
        (e["user"]["id"].as_str(), e["kicked"].as_bool()),
        (Some(bob.user_id.as_str()), Some(true))
    );
    assert_eq!(bob_ws.ws.next_for("ev").await["type"], "complete");
    let e = ann_ws.next_of("MemberLeft").await;
    assert_eq!(e["kicked"], true);
    let rejoin = join(&app, &bob, &id).await;
    assert_eq!(code(&rejoin), "FORBIDDEN", "banned until invited: {rejoin}");
    let invited = app
        .gql(
            Some(&ann.access),
            INVITE,
            json!({ "r": id, "u": bob.user_id }),
        )
        .await;
    assert_eq!(invited["data"]["inviteToRoom"], true, "{invited}");
    joined(&app, &bob, &id).await;

    // Roles: the host makes bob a DJ; in DJS mode he may then control playback.
    let role = "mutation($r: UUID!, $u: UUID!, $role: RoomRole!) { setRoomRole(roomId: $r, userId: $u, role: $role) { user { id } role } }";
    let by_guest = app
        .gql(
            Some(&cat.access),
            role,
            json!({ "r": id, "u": bob.user_id, "role": "DJ" }),
        )
        .await;
    assert_eq!(code(&by_guest), "FORBIDDEN");
    let dj = app
        .gql(
            Some(&ann.access),
            role,
            json!({ "r": id, "u": bob.user_id, "role": "DJ" }),
        )
        .await;
    assert_eq!(dj["data"]["setRoomRole"]["role"], "DJ", "{dj}");
    let e = ann_ws.next_of("MemberRoleChanged").await;
    assert_eq!(e["member"]["role"], "DJ");
    assert_eq!(room(&app, Some(&bob), &id).await["viewerCanControl"], true);
    assert_eq!(room(&app, Some(&cat), &id).await["viewerCanControl"], false);

    // Hand over: cat becomes host, ann a listener who can no longer change settings.
    let transfer =
        "mutation($r: UUID!, $u: UUID!) { transferHost(roomId: $r, userId: $u) { host { id } } }";
    let moved = app
        .gql(
            Some(&ann.access),
            transfer,
            json!({ "r": id, "u": cat.user_id }),
        )
        .await;
    assert_eq!(
        moved["data"]["transferHost"]["host"]["id"],
        cat.user_id.as_str(),
        "{moved}"
    );
    let e = ann_ws.next_of("HostChanged").await;
    assert_eq!(e["host"]["id"], cat.user_id.as_str());
    let seen = room(&app, Some(&ann), &id).await;
    assert_eq!(seen["viewerRole"], "LISTENER");
    let update = "mutation($r: UUID!, $i: UpdateRoomInput!) { updateRoom(roomId: $r, input: $i) { name controlMode } }";
    let refused = app
        .gql(
            Some(&ann.access),
            update,
            json!({ "r": id, "i": { "name": "Mine" } }),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN");
    let updated = app
        .gql(
            Some(&cat.access),
            update,
            json!({ "r": id, "i": { "name": "Cat's", "controlMode": "EVERYONE" } }),
        )
        .await;
    assert_eq!(
        updated["data"]["updateRoom"]["controlMode"], "EVERYONE",
        "{updated}"
    );
    let e = ann_ws.next_of("RoomUpdated").await;
    assert_eq!(e["room"]["name"], "Cat's");
    let bad = app
        .gql(
            Some(&cat.access),
            update,
            json!({ "r": id, "i": { "skipVotePercent": 100 } }),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "skipVotePercent");
}

#[tokio::test]
async fn subscribing_needs_membership_and_the_socket_survives_a_refusal() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-sub@example.com", "ann").await;
    let eve = app.register("eve-sub@example.com", "eve").await;
    let public = create_room(&app, &ann, "Open", json!({})).await;
    let private = create_room(
        &app,
        &ann,
        "Closed door",
        json!({ "visibility": "PRIVATE" }),
    )
    .await;

    let mut ws = WsClient::signed_in(&app, Some(&eve.access)).await;
    ws.subscribe("a", &room_events(), json!({ "r": public }))
        .await;
    let msg = ws.next_for("a").await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(msg["payload"][0]["extensions"]["code"], "FORBIDDEN");
    ws.subscribe("b", &room_events(), json!({ "r": private }))
        .await;
    let msg = ws.next_for("b").await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(msg["payload"][0]["extensions"]["code"], "NOT_FOUND");
    ws.subscribe("c", &room_events(), json!({ "r": uuid::Uuid::new_v4() }))
        .await;
    assert_eq!(
        ws.next_for("c").await["payload"][0]["extensions"]["code"],
        "NOT_FOUND"
    );
    // The socket is still usable: join, then the subscription works and starts with a snapshot.
    joined(&app, &eve, &public).await;
    ws.subscribe("d", &room_events(), json!({ "r": public }))
        .await;
    let msg = ws.next_for("d").await;
    assert_eq!(
        msg["payload"]["data"]["roomEvents"]["__typename"], "RoomSnapshot",
        "{msg}"
    );

    let mut anon = WsClient::signed_in(&app, None).await;
    anon.subscribe("x", &room_events(), json!({ "r": public }))
        .await;
    assert_eq!(
        anon.next_for("x").await["payload"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn the_snapshot_has_the_whole_room() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-snap@example.com", "ann").await;
    let bob = app.register("bob-snap@example.com", "bob").await;
    let id = create_room(&app, &ann, "Snap", json!({})).await;
    joined(&app, &bob, &id).await;
    let a = app.create_track("A", 200_000).await;
    let b = app.create_track("B", 200_000).await;
    let enqueue = "mutation($r: UUID!, $t: UUID!) { enqueueTrack(roomId: $r, trackId: $t) { id } }";
    app.gql(Some(&bob.access), enqueue, json!({ "r": id, "t": b }))
        .await;
    let played = app
        .gql(
            Some(&ann.access),
            "mutation($r: UUID!, $t: UUID) { roomPlay(roomId: $r, trackId: $t, positionMs: 5000) { version } }",
            json!({ "r": id, "t": a }),
        )
        .await;
    assert_eq!(played["data"]["roomPlay"]["version"], 1, "{played}");
    app.gql(
        Some(&bob.access),
        "mutation($r: UUID!) { setTyping(roomId: $r, isTyping: true) }",
        json!({ "r": id }),
    )
    .await;

    let ann_ws = subscribe(&app, &ann, &id).await;
    let s = &ann_ws.snapshot;
    assert_eq!(s["room"]["name"], "Snap");
    assert_eq!(s["room"]["host"]["id"], ann.user_id.as_str());
    assert_eq!(s["playback"]["track"]["id"], a.as_str(), "{s}");
    assert_eq!(s["playback"]["isPlaying"], true);
    assert_eq!(s["playback"]["positionMs"], 5000);
    assert_eq!(s["playback"]["version"], 1);
    assert_eq!(s["queue"][0]["track"]["id"], b.as_str());
    assert_eq!(s["queue"][0]["addedBy"]["id"], bob.user_id.as_str());
    let members = s["members"].as_array().expect("members");
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["user"]["id"], ann.user_id.as_str());
    assert_eq!(
        members[0]["isConnected"], true,
        "the subscriber is connected"
    );
    assert_eq!(members[1]["isConnected"], false);
    assert_eq!(s["typing"][0]["id"], bob.user_id.as_str());
}

#[tokio::test]
async fn presence_per_room_follows_subscriptions() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-pres@example.com", "ann").await;
    let bob = app.register("bob-pres@example.com", "bob").await;
    let id = create_room(&app, &ann, "Here", json!({})).await;
    joined(&app, &bob, &id).await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;

    // Bob on a phone and a laptop: connected once, disconnected when both are gone.
    let phone = subscribe(&app, &bob, &id).await;
    let e = ann_ws
        .wait_for("PresenceChanged", |e| {
            e["user"]["id"] == bob.user_id.as_str()
        })
        .await;
    assert_eq!(e["isConnected"], true);
    let laptop = subscribe(&app, &bob, &id).await;
    assert!(
        ann_ws
            .collect("PresenceChanged", Duration::from_millis(300))
            .await
            .is_empty(),
        "a second device is not news"
    );
    phone.ws.close().await;
    assert!(
        ann_ws
            .collect("PresenceChanged", Duration::from_millis(300))
            .await
            .is_empty(),
        "one device is still there"
    );
    let members = room(&app, Some(&ann), &id).await["members"].clone();
    assert_eq!(members[1]["isConnected"], true);
    laptop.ws.close().await;
    let e = ann_ws.next_of("PresenceChanged").await;
    assert_eq!(e["isConnected"], false);
    let members = room(&app, Some(&ann), &id).await["members"].clone();
    assert_eq!(members[1]["isConnected"], false, "joined but not connected");
    assert_eq!(members.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_lagging_subscriber_gets_a_fresh_snapshot() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-lag@example.com", "ann").await;
    let id = create_room(&app, &ann, "Flood", json!({})).await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;
    let room_id: uuid::Uuid = id.parse().expect("uuid");
    let user_id: uuid::Uuid = ann.user_id.parse().expect("uuid");
    // Far more events than the bounded buffer holds, published faster than anyone reads
    // (this test runs on one thread: nothing else runs until the loop ends).
    for i in 0..2_000 {
        app.state.bus.publish(
            Topic::Room(room_id),
            Event::Room(RoomMessage::new(
                room_id,
                RoomEvent::TypingChanged {
                    user_id,
                    is_typing: i % 2 == 0,
                },
            )),
        );
    }
    let mut typing = 0;
    loop {
        let e = ann_ws.next().await;
        match e["__typename"].as_str() {
            Some("TypingChanged") => typing += 1,
            Some("PresenceChanged") => {}
            Some("RoomSnapshot") => {
                assert_eq!(e["room"]["id"], id.as_str());
                break;
            }
            other => panic!("unexpected {other:?}: {e}"),
        }
    }
    assert!(
        typing < 2_000,
        "events were missed, and the client was told: {typing}"
    );
}

#[tokio::test]
async fn idle_rooms_are_closed_but_rooms_with_someone_connected_stay() {
    let app = TestApp::spawn_with(&[("ROOM_IDLE_CLOSE_SECS", "1")]).await;
    let ann = app.register("ann-idle@example.com", "ann").await;
    let idle = create_room(&app, &ann, "Idle", json!({})).await;
    let busy = create_room(&app, &ann, "Busy", json!({})).await;
    let _watching = subscribe(&app, &ann, &busy).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        if room(&app, Some(&ann), &idle).await["closedAt"].is_string() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the idle room was not closed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        room(&app, Some(&ann), &busy).await["closedAt"],
        Value::Null,
        "a room with a connected member stays open"
    );
}

#[tokio::test]
async fn room_events_are_refused_after_leaving_and_room_invites_reach_user_events() {
    // Invitations arrive on the same personal channel as friend events.
    let app = TestApp::spawn().await;
    let ann = app.register("ann-ue@example.com", "ann").await;
    let bob = app.register("bob-ue@example.com", "bob").await;
    befriend(&app, &ann, &bob).await;
    let id = create_room(&app, &ann, "Both", json!({})).await;
    let mut bob_ws = WsClient::signed_in(&app, Some(&bob.access)).await;
    bob_ws.subscribe("ev", EVENTS, json!({})).await;
    settle().await;
    app.gql(
        Some(&ann.access),
        INVITE,
        json!({ "r": id, "u": bob.user_id }),
    )
    .await;
    let msg = bob_ws.next_for("ev").await;
    assert_eq!(msg["type"], "next", "{msg}");
    joined(&app, &bob, &id).await;
    app.gql(Some(&bob.access), LEAVE, json!({ "r": id })).await;
    bob_ws
        .subscribe("r", &room_events(), json!({ "r": id }))
        .await;
    let refused = bob_ws.next_for("r").await;
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
}

#[test]
fn schema_has_the_room_contract() {
    let sdl = soundroom::graphql::sdl();
    for name in [
        "room(id: UUID!): Room",
        "rooms(first: Int, after: String): RoomConnection!",
        "roomMessages(roomId: UUID!, last: Int, before: String): ChatMessageConnection!",
        "createRoom(input: CreateRoomInput!): Room!",
        "joinRoom(roomId: UUID!): Room!",
        "leaveRoom(roomId: UUID!): Boolean!",
        "inviteToRoom(roomId: UUID!, userId: UUID!): Boolean!",
        "roomPlay(roomId: UUID!, trackId: UUID, positionMs: Int",
        "roomPause(roomId: UUID!",
        "roomSeek(roomId: UUID!, positionMs: Int!",
        "roomSkip(roomId: UUID!",
        "enqueueTrack(roomId: UUID!, trackId: UUID!): [QueueItem!]!",
        "sendRoomMessage(roomId: UUID!, body: String!): ChatMessage!",
        "setTyping(roomId: UUID!, isTyping: Boolean!): Boolean!",
        "sendSignal(roomId: UUID!, toUserId: UUID!, signal: JSON!): Boolean!",
        "roomEvents(roomId: UUID!): RoomEvent!",
        "scalar JSON",
        "enum RoomVisibility",
        "members: [RoomMember!]!",
        "playback: PlaybackState!",
        "queue: [QueueItem!]!",
        "addedBy: User!",
        "isConnected: Boolean!",
        "editedAt: DateTime",
        "deleted: Boolean!",
        "waitingFor: [User!]!",
        "union RoomEvent = RoomSnapshot | MemberJoined | MemberLeft | PresenceChanged | PlaybackChanged | QueueChanged | ChatMessagePosted",
        "type RoomInvite",
        "type SignalReceived",
        "signal: JSON!",
        "type HostChanged",
        "type RoomClosed",
        "type TypingChanged",
    ] {
        assert!(sdl.contains(name), "missing `{name}` in the schema");
    }
    let user_event = sdl
        .lines()
        .find(|l| l.starts_with("union UserEvent"))
        .expect("UserEvent");
    assert!(user_event.contains("RoomInvite") && user_event.contains("SignalReceived"));
}
