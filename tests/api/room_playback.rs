//! A room's shared playback: commands and who may give them, the queue, auto-advance at a
//! track's end (also after a restart and with two instances on one database), racing
//! controllers, the scheduled start, waiting for everyone, skip votes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, code, test_config};
use crate::rooms::{PLAYBACK, RoomWs, create_room, joined, room, subscribe};

fn play() -> String {
    format!(
        "mutation($r: UUID!, $t: UUID, $p: Int, $v: Int) {{ roomPlay(roomId: $r, trackId: $t, positionMs: $p, expectedVersion: $v) {{ {PLAYBACK} }} }}"
    )
}
fn pause() -> String {
    format!(
        "mutation($r: UUID!, $v: Int) {{ roomPause(roomId: $r, expectedVersion: $v) {{ {PLAYBACK} }} }}"
    )
}
fn seek() -> String {
    format!(
        "mutation($r: UUID!, $p: Int!, $v: Int) {{ roomSeek(roomId: $r, positionMs: $p, expectedVersion: $v) {{ {PLAYBACK} }} }}"
    )
}
fn skip() -> String {
    format!("mutation($r: UUID!) {{ roomSkip(roomId: $r) {{ {PLAYBACK} }} }}")
}
fn status() -> String {
    format!(
        "mutation($r: UUID!, $t: UUID!, $s: MemberPlaybackStatus!) {{ reportPlaybackStatus(roomId: $r, trackId: $t, status: $s) {{ {PLAYBACK} }} }}"
    )
}
const ENQUEUE: &str = "mutation($r: UUID!, $t: UUID!) { enqueueTrack(roomId: $r, trackId: $t) { id track { id name } addedBy { id } } }";
const REMOVE: &str =
    "mutation($r: UUID!, $i: UUID!) { removeQueueItem(roomId: $r, itemId: $i) { id } }";
const MOVE: &str = "mutation($r: UUID!, $i: UUID!, $p: Int!) { moveQueueItem(roomId: $r, itemId: $i, position: $p) { id track { name } } }";
const LATENCY: &str = "mutation($r: UUID!, $ms: Int!) { reportLatency(roomId: $r, rttMs: $ms) }";
const VOTE: &str = "mutation($r: UUID!) { voteSkip(roomId: $r) { votes needed skipped } }";
const UPDATE: &str =
    "mutation($r: UUID!, $i: UpdateRoomInput!) { updateRoom(roomId: $r, input: $i) { id } }";

async fn ok(app: &TestApp, who: &Session, query: &str, vars: Value, field: &str) -> Value {
    let body = app.gql(Some(&who.access), query, vars).await;
    assert!(body["errors"].is_null(), "{field}: {body}");
    body["data"][field].clone()
}

fn now_ms() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64
}

async fn playback(app: &TestApp, who: &Session, id: &str) -> Value {
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

#[tokio::test]
async fn the_life_of_a_room_playback_with_auto_advance() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-life@example.com", "ann").await;
    let bob = app.register("bob-life@example.com", "bob").await;
    let long = app.create_track("Long", 240_000).await;
    // A real uploaded file (3.000 s of audio, probed), so auto-advance follows a real duration.
    let artist = crate::uploads::create_artist(&app, &ann, "Sine").await;
    let short = crate::uploads::upload_fixture(&app, &ann, &artist, "tone.wav").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let last = app.create_track("Last", 1_200).await;
    let id = create_room(&app, &ann, "Life", json!({})).await;
    joined(&app, &bob, &id).await;
    let mut bob_ws = subscribe(&app, &bob, &id).await;

    // The host plays; members hear it, scheduled at least the minimum lead ahead.
    let before = now_ms();
    let s = ok(
        &app,
        &ann,
        &play(),
        json!({ "r": id, "t": long, "p": 10_000 }),
        "roomPlay",
    )
    .await;
    assert_eq!(
        (
            s["isPlaying"].as_bool(),
            s["positionMs"].as_i64(),
            s["version"].as_i64()
        ),
        (Some(true), Some(10_000), Some(1))
    );
    assert!(
        s["anchorTimeMs"].as_f64().expect("anchor") >= before + 150.0,
        "{s}"
    );
    let e = bob_ws.next_of("PlaybackChanged").await;
    assert_eq!(e["playback"], s);

    // A listener may not control playback, but may always add to the queue.
    let refused = app
        .gql(Some(&bob.access), &pause(), json!({ "r": id }))
        .await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let queue = ok(
        &app,
        &bob,
        ENQUEUE,
        json!({ "r": id, "t": short }),
        "enqueueTrack",
    )
    .await;
    assert_eq!(queue[0]["addedBy"]["id"], bob.user_id.as_str());
    let queue = ok(
        &app,
        &ann,
        ENQUEUE,
        json!({ "r": id, "t": last }),
        "enqueueTrack",
    )
    .await;
    assert_eq!(queue.as_array().map(Vec::len), Some(2));
    let e = bob_ws
        .wait_for("QueueChanged", |e| {
            e["queue"].as_array().map(Vec::len) == Some(2)
        })
        .await;
    assert_eq!(e["queue"][1]["addedBy"]["id"], ann.user_id.as_str());

    tokio::time::sleep(Duration::from_millis(400)).await;
    let paused = ok(&app, &ann, &pause(), json!({ "r": id }), "roomPause").await;
    assert_eq!(
        (paused["isPlaying"].as_bool(), paused["version"].as_i64()),
        (Some(false), Some(2))
    );
    let at = paused["positionMs"].as_i64().expect("position");
    assert!((10_000..12_000).contains(&at), "paused where it was: {at}");
    let again = ok(&app, &ann, &pause(), json!({ "r": id }), "roomPause").await;
    assert_eq!(again["version"], 2, "pausing a paused room changes nothing");
    let sought = ok(
        &app,
        &ann,
        &seek(),
        json!({ "r": id, "p": 60_000 }),
        "roomSeek",
    )
    .await;
    assert_eq!(
        (
            sought["positionMs"].as_i64(),
            sought["isPlaying"].as_bool(),
            sought["version"].as_i64()
        ),
        (Some(60_000), Some(false), Some(3))
    );
    let resumed = ok(&app, &ann, &play(), json!({ "r": id }), "roomPlay").await;
    assert_eq!(
        (
            resumed["positionMs"].as_i64(),
            resumed["isPlaying"].as_bool()
        ),
        (Some(60_000), Some(true)),
        "play from pause keeps the position"
    );
    let out = app
        .gql(Some(&ann.access), &seek(), json!({ "r": id, "p": 240_001 }))
        .await;
    assert_eq!(code(&out), "BAD_USER_INPUT");
    assert_eq!(out["errors"][0]["extensions"]["field"], "positionMs");

    // Skip: the short track comes off the queue; when it ends, the last one follows by itself,
    // and when that ends the room stops.
    let skipped = ok(&app, &ann, &skip(), json!({ "r": id }), "roomSkip").await;
    assert_eq!(skipped["track"]["id"], short.as_str());
    assert_eq!(skipped["positionMs"], 0);
    let v = skipped["version"].as_i64().expect("version");
    let e = bob_ws
        .wait_for("PlaybackChanged", |e| e["playback"]["version"] == v)
        .await;
    assert_eq!(e["playback"]["track"]["id"], short.as_str());
    let e = bob_ws
        .wait_for("QueueChanged", |e| {
            e["queue"].as_array().map(Vec::len) == Some(1)
        })
        .await;
    assert_eq!(e["queue"][0]["track"]["id"], last.as_str());

    let advanced = bob_ws.next_of("PlaybackChanged").await;
    assert_eq!(
        advanced["playback"]["track"]["id"],
        last.as_str(),
        "{advanced}"
    );
    assert_eq!(advanced["playback"]["version"], v + 1, "advanced once");
    assert_eq!(advanced["playback"]["isPlaying"], true);
    assert_eq!(advanced["playback"]["positionMs"], 0);
    let e = bob_ws.next_of("QueueChanged").await;
    assert_eq!(e["queue"], json!([]));
    let stopped = bob_ws.next_of("PlaybackChanged").await;
    assert_eq!(stopped["playback"]["track"], Value::Null, "{stopped}");
    assert_eq!(stopped["playback"]["isPlaying"], false);
    assert_eq!(stopped["playback"]["version"], v + 2);
    assert!(
        bob_ws
            .collect("PlaybackChanged", Duration::from_millis(500))
            .await
            .is_empty(),
        "nothing more happens"
    );

    // Nothing loaded and an empty queue: nothing to play.
    let nothing = app
        .gql(Some(&ann.access), &play(), json!({ "r": id }))
        .await;
    assert_eq!(code(&nothing), "BAD_USER_INPUT", "{nothing}");
    // With something queued, play without a track starts the queue.
    ok(
        &app,
        &bob,
        ENQUEUE,
        json!({ "r": id, "t": long }),
        "enqueueTrack",
    )
    .await;
    let started = ok(&app, &ann, &play(), json!({ "r": id }), "roomPlay").await;
    assert_eq!(started["track"]["id"], long.as_str());
    assert_eq!(playback(&app, &ann, &id).await["queue"], json!([]));
}

#[tokio::test]
async fn auto_advance_keeps_working_after_a_restart() {
    let mut app = TestApp::spawn().await;
    let ann = app.register("ann-restart@example.com", "ann").await;
    let first = app.create_track("First", 2_500).await;
    let second = app.create_track("Second", 300_000).await;
    let id = create_room(&app, &ann, "Restart", json!({})).await;
    ok(
        &app,
        &ann,
        ENQUEUE,
        json!({ "r": id, "t": second }),
        "enqueueTrack",
    )
    .await;
    let s = ok(
        &app,
        &ann,
        &play(),
        json!({ "r": id, "t": first }),
        "roomPlay",
    )
    .await;
    assert_eq!(s["version"], 1);

    app.restart().await;
    // The new instance moves the room on by itself when the first track ends.
    let mut ws: RoomWs = subscribe(&app, &ann, &id).await;
    if ws.snapshot["playback"]["version"] == 1 {
        let e = ws.next_of("PlaybackChanged").await;
        assert_eq!(e["playback"]["track"]["id"], second.as_str(), "{e}");
    }
    let after = playback(&app, &ann, &id).await;
    assert_eq!(after["playback"]["track"]["id"], second.as_str(), "{after}");
    assert_eq!(after["playback"]["version"], 2, "advanced once");
    assert_eq!(after["queue"], json!([]));
}

#[tokio::test]
async fn racing_controllers_lose_no_command() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-racec@example.com", "ann").await;
    let bob = app.register("bob-racec@example.com", "bob").await;
    let track = app.create_track("Race", 600_000).await;
    let id = create_room(&app, &ann, "Race", json!({ "controlMode": "EVERYONE" })).await;
    joined(&app, &bob, &id).await;
    ok(
        &app,
        &ann,
        &play(),
        json!({ "r": id, "t": track }),
        "roomPlay",
    )
    .await;
    let mut bob_ws = subscribe(&app, &bob, &id).await;

    let query = seek();
    let commands = (0..24).map(|i| {
        let who = if i % 2 == 0 { &ann } else { &bob };
        app.gql(
            Some(&who.access),
            &query,
            json!({ "r": id, "p": (i + 1) * 1000 }),
        )
    });
    let results = futures_util::future::join_all(commands).await;
    let mut versions: Vec<i64> = results
        .iter()
        .map(|b| {
            b["data"]["roomSeek"]["version"]
                .as_i64()
                .unwrap_or_else(|| panic!("{b}"))
        })
        .collect();
    versions.sort();
    assert_eq!(
        versions,
        (2..=25).collect::<Vec<_>>(),
        "each command applied exactly once"
    );
    let final_state = playback(&app, &ann, &id).await["playback"].clone();
    assert_eq!(final_state["version"], 25, "1 play + 24 seeks");
    // Members saw every version, in order.
    let seen: Vec<i64> = bob_ws
        .collect("PlaybackChanged", Duration::from_millis(800))
        .await
        .iter()
        .map(|e| e["playback"]["version"].as_i64().expect("version"))
        .collect();
    assert_eq!(seen, (2..=25).collect::<Vec<_>>());

    // expectedVersion: stale is CONFLICT and changes nothing; current applies.
    let stale = app
        .gql(Some(&bob.access), &pause(), json!({ "r": id, "v": 24 }))
        .await;
    assert_eq!(code(&stale), "CONFLICT", "{stale}");
    assert_eq!(stale["errors"][0]["extensions"]["field"], "expectedVersion");
    let fresh = ok(
        &app,
        &bob,
        &pause(),
        json!({ "r": id, "v": 25 }),
        "roomPause",
    )
    .await;
    assert_eq!(fresh["version"], 26);
}

#[tokio::test]
async fn two_instances_on_one_database_advance_exactly_once_and_share_the_versions() {
    let config = test_config(&[]);
    let a = TestApp::start(config.clone()).await;
    let ann = a.register("ann-two@example.com", "ann").await;
    let short = a.create_track("Short", 1_500).await;
    let next = a.create_track("Next", 300_000).await;
    let after = a.create_track("After", 300_000).await;
    let id = create_room(&a, &ann, "Two", json!({ "controlMode": "EVERYONE" })).await;
    ok(
        &a,
        &ann,
        ENQUEUE,
        json!({ "r": id, "t": next }),
        "enqueueTrack",
    )
    .await;
    ok(
        &a,
        &ann,
        ENQUEUE,
        json!({ "r": id, "t": after }),
        "enqueueTrack",
    )
    .await;
    ok(
        &a,
        &ann,
        &play(),
        json!({ "r": id, "t": short }),
        "roomPlay",
    )
    .await;
    // The second instance starts while the track plays: it arms its own timer for the end.
    let b = TestApp::start(config.clone()).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    let state = loop {
        let state = playback(&b, &ann, &id).await;
        if state["playback"]["version"] != 1 {
            break state;
        }
        assert!(tokio::time::Instant::now() < deadline, "no advance");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Let both timers have fired.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let settled = playback(&a, &ann, &id).await;
    assert_eq!(settled, state, "nothing moved after the advance");
    assert_eq!(
        state["playback"]["version"], 2,
        "advanced exactly once: {state}"
    );
    assert_eq!(state["playback"]["track"]["id"], next.as_str());
    assert_eq!(state["queue"].as_array().map(Vec::len), Some(1));

    // Commands through both instances at once: all applied, each once.
    let query = seek();
    let commands = (0..16).map(|i| {
        let server = if i % 2 == 0 { &a } else { &b };
        server.gql(Some(&ann.access), &query, json!({ "r": id, "p": i * 1000 }))
    });
    let results = futures_util::future::join_all(commands).await;
    for body in &results {
        assert!(body["errors"].is_null(), "{body}");
    }
    assert_eq!(playback(&b, &ann, &id).await["playback"]["version"], 18);
}

#[tokio::test]
async fn control_modes_and_queue_permissions() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-perm@example.com", "ann").await;
    let bob = app.register("bob-perm@example.com", "bob").await;
    let cat = app.register("cat-perm@example.com", "cat").await;
    let eve = app.register("eve-perm@example.com", "eve").await;
    let t1 = app.create_track("One", 100_000).await;
    let t2 = app.create_track("Two", 100_000).await;
    let t3 = app.create_track("Three", 100_000).await;
    let id = create_room(&app, &ann, "Perms", json!({ "controlMode": "DJS" })).await;
    joined(&app, &bob, &id).await;
    joined(&app, &cat, &id).await;

    // Non-members: refused (a public room is visible, so FORBIDDEN).
    let b = app
        .gql(Some(&eve.access), ENQUEUE, json!({ "r": id, "t": t1 }))
        .await;
    assert_eq!(code(&b), "FORBIDDEN", "{b}");
    let b = app
        .gql(Some(&eve.access), &play(), json!({ "r": id, "t": t1 }))
        .await;
    assert_eq!(code(&b), "FORBIDDEN");
    let b = app.gql(None, &play(), json!({ "r": id, "t": t1 })).await;
    assert_eq!(code(&b), "UNAUTHENTICATED");

    // DJS: bob becomes a DJ and may play; cat may not.
    app.gql(
        Some(&ann.access),
        "mutation($r: UUID!, $u: UUID!) { setRoomRole(roomId: $r, userId: $u, role: DJ) { role } }",
        json!({ "r": id, "u": bob.user_id }),
    )
    .await;
    ok(&app, &bob, &play(), json!({ "r": id, "t": t1 }), "roomPlay").await;
    let b = app
        .gql(Some(&cat.access), &skip(), json!({ "r": id }))
        .await;
    assert_eq!(code(&b), "FORBIDDEN");

    // Queue: cat adds two, bob one; cat removes his own; not bob's.
    let q = ok(
        &app,
        &cat,
        ENQUEUE,
        json!({ "r": id, "t": t2 }),
        "enqueueTrack",
    )
    .await;
    let cats = q[0]["id"].as_str().expect("id").to_owned();
    ok(
        &app,
        &cat,
        ENQUEUE,
        json!({ "r": id, "t": t3 }),
        "enqueueTrack",
    )
    .await;
    let q = ok(
        &app,
        &bob,
        ENQUEUE,
        json!({ "r": id, "t": t1 }),
        "enqueueTrack",
    )
    .await;
    let bobs = q[2]["id"].as_str().expect("id").to_owned();
    let b = app
        .gql(Some(&cat.access), REMOVE, json!({ "r": id, "i": bobs }))
        .await;
    assert_eq!(code(&b), "FORBIDDEN", "{b}");
    let b = app
        .gql(
            Some(&cat.access),
            MOVE,
            json!({ "r": id, "i": bobs, "p": 0 }),
        )
        .await;
    assert_eq!(code(&b), "FORBIDDEN", "reordering is for controllers");
    let q = ok(
        &app,
        &cat,
        REMOVE,
        json!({ "r": id, "i": cats }),
        "removeQueueItem",
    )
    .await;
    assert_eq!(q.as_array().map(Vec::len), Some(2));
    // The DJ moves his item first; the host removes anyone's.
    let q = ok(
        &app,
        &bob,
        MOVE,
        json!({ "r": id, "i": bobs, "p": 0 }),
        "moveQueueItem",
    )
    .await;
    assert_eq!(q[0]["track"]["name"], "One");
    assert_eq!(q[1]["track"]["name"], "Three");
    let b = app
        .gql(
            Some(&bob.access),
            MOVE,
            json!({ "r": id, "i": bobs, "p": -1 }),
        )
        .await;
    assert_eq!(code(&b), "BAD_USER_INPUT");
    let q = ok(
        &app,
        &ann,
        REMOVE,
        json!({ "r": id, "i": bobs }),
        "removeQueueItem",
    )
    .await;
    assert_eq!(q.as_array().map(Vec::len), Some(1));
    let b = app
        .gql(Some(&ann.access), REMOVE, json!({ "r": id, "i": bobs }))
        .await;
    assert_eq!(code(&b), "NOT_FOUND");
    let b = app
        .gql(
            Some(&ann.access),
            ENQUEUE,
            json!({ "r": id, "t": uuid::Uuid::new_v4() }),
        )
        .await;
    assert_eq!(code(&b), "NOT_FOUND");

    // A private room is invisible to non-members: NOT_FOUND.
    let secret = create_room(&app, &ann, "Secret", json!({ "visibility": "PRIVATE" })).await;
    let b = app
        .gql(Some(&eve.access), &play(), json!({ "r": secret, "t": t1 }))
        .await;
    assert_eq!(code(&b), "NOT_FOUND");
}

#[tokio::test]
async fn starts_are_scheduled_after_twice_the_worst_reported_round_trip() {
    let app = TestApp::spawn_with(&[
        ("ROOM_START_LEAD_MIN_MS", "150"),
        ("ROOM_START_LEAD_MAX_MS", "2000"),
    ])
    .await;
    let ann = app.register("ann-lead@example.com", "ann").await;
    let bob = app.register("bob-lead@example.com", "bob").await;
    let track = app.create_track("Lead", 600_000).await;
    let id = create_room(&app, &ann, "Lead", json!({})).await;
    joined(&app, &bob, &id).await;

    // Without a subscription a report is not kept.
    let lead = ok(
        &app,
        &bob,
        LATENCY,
        json!({ "r": id, "ms": 900 }),
        "reportLatency",
    )
    .await;
    assert_eq!(lead, 150);
    let _ann_ws = subscribe(&app, &ann, &id).await;
    let _bob_ws = subscribe(&app, &bob, &id).await;
    assert_eq!(
        ok(
            &app,
            &ann,
            LATENCY,
            json!({ "r": id, "ms": 60 }),
            "reportLatency"
        )
        .await,
        150
    );
    assert_eq!(
        ok(
            &app,
            &bob,
            LATENCY,
            json!({ "r": id, "ms": 400 }),
            "reportLatency"
        )
        .await,
        800
    );
    assert_eq!(room(&app, Some(&ann), &id).await["id"], id.as_str());

    let before = now_ms();
    let s = ok(
        &app,
        &ann,
        &play(),
        json!({ "r": id, "t": track }),
        "roomPlay",
    )
    .await;
    let after = now_ms();
    let anchor = s["anchorTimeMs"].as_f64().expect("anchor");
    assert!(
        anchor >= before + 800.0 && anchor <= after + 800.0,
        "anchor {anchor} in [{before}, {after}] + 800"
    );
    assert_eq!(
        ok(
            &app,
            &bob,
            LATENCY,
            json!({ "r": id, "ms": 5000 }),
            "reportLatency"
        )
        .await,
        2000,
        "capped"
    );
    let b = app
        .gql(Some(&bob.access), LATENCY, json!({ "r": id, "ms": -1 }))
        .await;
    assert_eq!(code(&b), "BAD_USER_INPUT");
}

#[tokio::test]
async fn waiting_for_everyone_to_be_ready() {
    let app = TestApp::spawn_with(&[("ROOM_WAIT_TIMEOUT_MS", "60000")]).await;
    let ann = app.register("ann-wait@example.com", "ann").await;
    let bob = app.register("bob-wait@example.com", "bob").await;
    let cat = app.register("cat-wait@example.com", "cat").await;
    let track = app.create_track("Wait", 600_000).await;
    let id = create_room(&app, &ann, "Wait", json!({ "waitForAll": true })).await;
    joined(&app, &bob, &id).await;
    joined(&app, &cat, &id).await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;
    let _bob_ws = subscribe(&app, &bob, &id).await;
    // Cat is a member but not connected: never waited for.

    let held = ok(
        &app,
        &ann,
        &play(),
        json!({ "r": id, "t": track }),
        "roomPlay",
    )
    .await;
    assert_eq!(held["isPlaying"], false, "{held}");
    let mut waiting: Vec<&str> = held["waitingFor"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    waiting.sort();
    let mut expected = vec![ann.user_id.as_str(), bob.user_id.as_str()];
    expected.sort();
    assert_eq!(waiting, expected);
    assert!(held["waitDeadlineMs"].as_f64().is_some());

    let s = ok(
        &app,
        &ann,
        &status(),
        json!({ "r": id, "t": track, "s": "READY" }),
        "reportPlaybackStatus",
    )
    .await;
    assert_eq!(s["waitingFor"], json!([{ "id": bob.user_id }]));
    let other = app.create_track("Other", 1000).await;
    let stale = ok(
        &app,
        &bob,
        &status(),
        json!({ "r": id, "t": other, "s": "READY" }),
        "reportPlaybackStatus",
    )
    .await;
    assert_eq!(
        stale["version"], s["version"],
        "a report about another track is ignored"
    );
    let before = now_ms();
    let started = ok(
        &app,
        &bob,
        &status(),
        json!({ "r": id, "t": track, "s": "READY" }),
        "reportPlaybackStatus",
    )
    .await;
    assert_eq!(started["isPlaying"], true, "{started}");
    assert_eq!(started["waitingFor"], json!([]));
    assert_eq!(started["waitDeadlineMs"], Value::Null);
    assert!(
        started["anchorTimeMs"].as_f64().expect("anchor") >= before + 150.0,
        "a fresh anchor"
    );
    let e = ann_ws
        .wait_for("PlaybackChanged", |e| e["playback"]["isPlaying"] == true)
        .await;
    assert_eq!(e["playback"]["version"], started["version"]);

    // Bob buffers mid-track: the room holds for him; he opts out: it plays on.
    let s = ok(
        &app,
        &bob,
        &status(),
        json!({ "r": id, "t": track, "s": "BUFFERING" }),
        "reportPlaybackStatus",
    )
    .await;
    assert_eq!(s["isPlaying"], false);
    assert_eq!(s["waitingFor"], json!([{ "id": bob.user_id }]));
    ok(
        &app,
        &bob,
        "mutation($r: UUID!) { setWaitOptOut(roomId: $r, optOut: true) }",
        json!({ "r": id }),
        "setWaitOptOut",
    )
    .await;
    let e = ann_ws
        .wait_for("PlaybackChanged", |e| e["playback"]["isPlaying"] == true)
        .await;
    assert_eq!(e["playback"]["waitingFor"], json!([]));
    // Opted out: his buffering no longer holds the room.
    let s = ok(
        &app,
        &bob,
        &status(),
        json!({ "r": id, "t": track, "s": "BUFFERING" }),
        "reportPlaybackStatus",
    )
    .await;
    assert_eq!(s["isPlaying"], true);
}

#[tokio::test]
async fn a_wait_ends_at_its_timeout_or_when_the_setting_is_turned_off() {
    let app = TestApp::spawn_with(&[("ROOM_WAIT_TIMEOUT_MS", "700")]).await;
    let ann = app.register("ann-wt@example.com", "ann").await;
    let bob = app.register("bob-wt@example.com", "bob").await;
    let track = app.create_track("Timeout", 600_000).await;
    let id = create_room(&app, &ann, "Timeout", json!({ "waitForAll": true })).await;
    joined(&app, &bob, &id).await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;
    let _bob_ws = subscribe(&app, &bob, &id).await;
    let held = ok(
        &app,
        &ann,
        &play(),
        json!({ "r": id, "t": track }),
        "roomPlay",
    )
    .await;
    assert_eq!(held["isPlaying"], false);
    let e = ann_ws
        .wait_for("PlaybackChanged", |e| e["playback"]["isPlaying"] == true)
        .await;
    assert_eq!(
        e["playback"]["version"],
        held["version"].as_i64().expect("v") + 1,
        "started by the timeout"
    );

    // Held again (a seek while playing), then the host turns waiting off: it plays.
    let held = ok(
        &app,
        &ann,
        &seek(),
        json!({ "r": id, "p": 1000 }),
        "roomSeek",
    )
    .await;
    assert_eq!(held["isPlaying"], false);
    ok(
        &app,
        &ann,
        UPDATE,
        json!({ "r": id, "i": { "waitForAll": false } }),
        "updateRoom",
    )
    .await;
    let e = ann_ws
        .wait_for("PlaybackChanged", |e| e["playback"]["isPlaying"] == true)
        .await;
    assert_eq!(e["playback"]["positionMs"], 1000);
}

#[tokio::test]
async fn skip_votes_of_connected_members() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-vote@example.com", "ann").await;
    let bob = app.register("bob-vote@example.com", "bob").await;
    let cat = app.register("cat-vote@example.com", "cat").await;
    let now_playing = app.create_track("Meh", 600_000).await;
    let next = app.create_track("Better", 600_000).await;
    let id = create_room(&app, &ann, "Votes", json!({})).await;
    joined(&app, &bob, &id).await;
    joined(&app, &cat, &id).await;
    let b = app.gql(Some(&bob.access), VOTE, json!({ "r": id })).await;
    assert_eq!(code(&b), "BAD_USER_INPUT", "nothing to skip");
    ok(
        &app,
        &ann,
        ENQUEUE,
        json!({ "r": id, "t": next }),
        "enqueueTrack",
    )
    .await;
    ok(
        &app,
        &ann,
        &play(),
        json!({ "r": id, "t": now_playing }),
        "roomPlay",
    )
    .await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;
    let _bob_ws = subscribe(&app, &bob, &id).await;
    let _cat_ws = subscribe(&app, &cat, &id).await;

    // Three connected, more than 50% needed: two votes.
    let v = ok(&app, &bob, VOTE, json!({ "r": id }), "voteSkip").await;
    assert_eq!(v, json!({ "votes": 1, "needed": 2, "skipped": false }));
    let v = ok(&app, &bob, VOTE, json!({ "r": id }), "voteSkip").await;
    assert_eq!(v["votes"], 1, "one vote per member");
    let e = ann_ws.next_of("SkipVotesChanged").await;
    assert_eq!(
        (e["votes"].as_i64(), e["needed"].as_i64()),
        (Some(1), Some(2))
    );
    let v = ok(&app, &cat, VOTE, json!({ "r": id }), "voteSkip").await;
    assert_eq!(v, json!({ "votes": 2, "needed": 2, "skipped": true }));
    let e = ann_ws
        .wait_for("PlaybackChanged", |e| {
            e["playback"]["track"]["id"] == next.as_str()
        })
        .await;
    assert_eq!(e["playback"]["isPlaying"], true);
    // Votes do not carry over to the next track.
    let v = ok(&app, &bob, VOTE, json!({ "r": id }), "voteSkip").await;
    assert_eq!(
        (v["votes"].as_i64(), v["skipped"].as_bool()),
        (Some(1), Some(false))
    );
}

#[tokio::test]
async fn deleting_a_loaded_track_stops_it_everywhere_and_the_room_moves_on() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-del@example.com", "ann").await;
    let bob = app.register("bob-del@example.com", "bob").await;
    app.make_admin(&ann.user_id).await;
    let doomed = app.create_track("Doomed", 240_000).await;
    let next = app.create_track("Next", 240_000).await;
    let id = create_room(&app, &ann, "Deleted", json!({})).await;
    joined(&app, &bob, &id).await;
    let mut bob_ws = subscribe(&app, &bob, &id).await;
    let mut bob_devices = crate::helpers::WsClient::signed_in(&app, Some(&bob.access)).await;
    bob_devices
        .subscribe("ev", crate::friends::EVENTS, json!({}))
        .await;

    ok(
        &app,
        &ann,
        &play(),
        json!({ "r": id, "t": doomed }),
        "roomPlay",
    )
    .await;
    for t in [&doomed, &next] {
        ok(
            &app,
            &ann,
            ENQUEUE,
            json!({ "r": id, "t": t }),
            "enqueueTrack",
        )
        .await;
    }
    let mine = app
        .gql(
            Some(&bob.access),
            "mutation($t: UUID!) { playTrack(trackId: $t) { version } }",
            json!({ "t": doomed }),
        )
        .await;
    assert_eq!(mine["data"]["playTrack"]["version"], 1, "{mine}");
    bob_ws
        .wait_for("QueueChanged", |e| {
            e["queue"].as_array().map(Vec::len) == Some(2)
        })
        .await;

    let body = app
        .gql(
            Some(&ann.access),
            "mutation($id: UUID!) { deleteTrack(id: $id) }",
            json!({ "id": doomed }),
        )
        .await;
    assert_eq!(body["data"]["deleteTrack"], true, "{body}");

    // The room stops with a new version, loses the queued copy, then plays what was next.
    let stopped = bob_ws.next_of("PlaybackChanged").await;
    assert_eq!(
        (
            &stopped["playback"]["track"],
            stopped["playback"]["isPlaying"].as_bool(),
            stopped["playback"]["version"].as_i64()
        ),
        (&Value::Null, Some(false), Some(2)),
        "{stopped}"
    );
    let moved_on = bob_ws.next_of("PlaybackChanged").await;
    assert_eq!(
        (
            moved_on["playback"]["track"]["id"].as_str(),
            moved_on["playback"]["isPlaying"].as_bool(),
            moved_on["playback"]["version"].as_i64()
        ),
        (Some(next.as_str()), Some(true), Some(3)),
        "{moved_on}"
    );
    let state = playback(&app, &ann, &id).await;
    assert_eq!(state["playback"]["track"]["id"], next.as_str(), "{state}");
    assert_eq!(state["queue"], json!([]), "{state}");

    // Bob's own player stopped too, and his devices were told.
    let event = loop {
        let msg = bob_devices.next_for("ev").await;
        let e = msg["payload"]["data"]["userEvents"].clone();
        if e["__typename"] == "MyPlaybackChanged" && e["playback"]["track"].is_null() {
            break e;
        }
    };
    assert_eq!(
        (
            &event["playback"]["track"],
            event["playback"]["isPlaying"].as_bool(),
            event["playback"]["version"].as_i64()
        ),
        (&Value::Null, Some(false), Some(2)),
        "{event}"
    );
}
