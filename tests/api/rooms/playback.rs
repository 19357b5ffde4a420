//! A room's shared playback: commands, auto-advance at a track's end (also after a restart
//! and with two instances on one database), racing controllers.

use super::*;

#[tokio::test]
async fn the_life_of_a_room_playback_with_auto_advance() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-life@example.com", "ann").await;
    let bob = app.register("bob-life@example.com", "bob").await;
    let long = app.create_track("Long", 240_000).await;
    // A real uploaded file (3.000 s of audio, probed), so auto-advance follows a real duration.
    let artist = crate::helpers::uploads::create_artist(&app, &ann, "Sine").await;
    let short =
        crate::helpers::uploads::upload_fixture(&app, &ann, &artist, "tone.wav").await["id"]
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
async fn a_seek_is_one_read_and_one_write() {
    let app = TestApp::spawn().await;
    let host = app.register("host-statements@example.com", "host").await;
    let guest = app.register("guest-statements@example.com", "guest").await;
    let id = create_room(&app, &host, "Statements", json!({})).await;
    joined(&app, &guest, &id).await;
    let track = app.create_track("T", 200_000).await;
    ok(
        &app,
        &host,
        &play(),
        json!({ "r": id, "t": track }),
        "roomPlay",
    )
    .await;
    let mut counts = Vec::new();
    for position in [10_000, 20_000, 30_000] {
        let before = app.state.db_statement_count();
        let seeked = ok(
            &app,
            &host,
            &seek(),
            json!({ "r": id, "p": position }),
            "roomSeek",
        )
        .await;
        counts.push(app.state.db_statement_count() - before);
        assert_eq!(seeked["positionMs"], position);
    }
    // The room, membership, playback and track in one read; the compare-and-set and, when the
    // room's activity mark is older than a second, the mark in one transaction. Seeks in a row
    // leave the fresh mark alone.
    assert!(
        counts.iter().all(|&n| n <= 3) && counts.iter().any(|&n| n <= 2),
        "a seek took {counts:?} statements"
    );
    // A stale mark is written again: `updatedAt` is the last activity, to the second.
    let marked = updated_at(&app, &host, &id).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    ok(&app, &host, &seek(), json!({ "r": id, "p": 0 }), "roomSeek").await;
    let remarked = updated_at(&app, &host, &id).await;
    assert!(remarked > marked, "{marked} then {remarked}");
    // The same checks as before: a member who may not control playback is refused.
    let refused = app
        .gql(Some(&guest.access), &seek(), json!({ "r": id, "p": 0 }))
        .await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let stranger = app
        .register("stranger-statements@example.com", "stranger")
        .await;
    let refused = app
        .gql(Some(&stranger.access), &seek(), json!({ "r": id, "p": 0 }))
        .await;
    assert_eq!(
        code(&refused),
        "FORBIDDEN",
        "not a member of a public room: {refused}"
    );
}

async fn updated_at(app: &TestApp, who: &Session, room: &str) -> chrono::DateTime<chrono::Utc> {
    let body = app
        .gql(
            Some(&who.access),
            "query($r: UUID!) { room(id: $r) { updatedAt } }",
            json!({ "r": room }),
        )
        .await;
    let raw = body["data"]["room"]["updatedAt"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    raw.parse()
        .unwrap_or_else(|e| panic!("updatedAt {raw:?}: {e} in {body}"))
}
