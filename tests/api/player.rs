//! The personal player: shared by the user's devices, private to them, stored across restarts.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, WsClient, code};
use crate::social::EVENTS;

const STATE: &str =
    "isPlaying positionMs anchorTimeMs version track { id name durationMs artist { name } }";

fn play() -> String {
    format!(
        "mutation($t: UUID!, $p: Int) {{ playTrack(trackId: $t, positionMs: $p) {{ {STATE} }} }}"
    )
}
fn pause() -> String {
    format!("mutation($p: Int) {{ pausePlayback(positionMs: $p) {{ {STATE} }} }}")
}
fn update() -> String {
    format!("mutation($i: UpdatePlaybackInput!) {{ updatePlayback(input: $i) {{ {STATE} }} }}")
}
fn my() -> String {
    format!("{{ myPlayback {{ {STATE} }} }}")
}

async fn playback_event(ws: &mut WsClient) -> Value {
    loop {
        let msg = ws.next_for("ev").await;
        let e = &msg["payload"]["data"]["userEvents"];
        if e["__typename"] == "MyPlaybackChanged" {
            return e.clone();
        }
    }
}

#[tokio::test]
async fn two_devices_share_the_player_and_others_see_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-pl@example.com", "ann").await;
    let bob = app.register("bob-pl@example.com", "bob").await;
    let track = app.create_track("Song", 180_000).await;

    let mut phone = WsClient::signed_in(&app, Some(&ann.access)).await;
    phone.subscribe("ev", EVENTS, json!({})).await;
    let mut bob_ws = WsClient::signed_in(&app, Some(&bob.access)).await;
    bob_ws.subscribe("ev", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let none = app.gql(Some(&ann.access), &my(), json!({})).await;
    assert_eq!(none["data"]["myPlayback"], Value::Null, "{none}");

    // The laptop plays over HTTP; the phone hears it.
    let before = chrono::Utc::now().timestamp_millis() as f64;
    let played = app
        .gql(Some(&ann.access), &play(), json!({ "t": track, "p": 5000 }))
        .await;
    let state = &played["data"]["playTrack"];
    assert_eq!(state["isPlaying"], true, "{played}");
    assert_eq!(state["positionMs"], 5000);
    assert_eq!(state["version"], 1);
    assert_eq!(state["track"]["id"], track.as_str());
    assert_eq!(state["track"]["artist"]["name"], "Song artist");
    assert!(state["anchorTimeMs"].as_f64().expect("anchor") >= before);
    let e = playback_event(&mut phone).await;
    assert_eq!(e["playback"]["version"], 1);
    assert_eq!(e["playback"]["track"]["id"], track.as_str());

    tokio::time::sleep(Duration::from_millis(300)).await;
    let paused = app.gql(Some(&ann.access), &pause(), json!({})).await;
    let p = &paused["data"]["pausePlayback"];
    assert_eq!(p["isPlaying"], false);
    assert_eq!(p["version"], 2);
    let frozen = p["positionMs"].as_i64().expect("position");
    assert!(
        (5300..6500).contains(&frozen),
        "pause freezes the computed position: {frozen}"
    );
    assert_eq!(
        playback_event(&mut phone).await["playback"]["positionMs"],
        frozen
    );

    let updated = app
        .gql(
            Some(&ann.access),
            &update(),
            json!({ "i": { "trackId": track, "positionMs": 60000, "isPlaying": true } }),
        )
        .await;
    assert_eq!(updated["data"]["updatePlayback"]["version"], 3, "{updated}");
    assert_eq!(
        playback_event(&mut phone).await["playback"]["positionMs"],
        60000
    );
    let mine = app.gql(Some(&ann.access), &my(), json!({})).await;
    assert_eq!(
        mine["data"]["myPlayback"],
        updated["data"]["updatePlayback"]
    );

    assert!(
        bob_ws
            .recv_within(Duration::from_millis(300))
            .await
            .is_none(),
        "another user never sees it"
    );
    let bobs = app.gql(Some(&bob.access), &my(), json!({})).await;
    assert_eq!(bobs["data"]["myPlayback"], Value::Null);
}

#[tokio::test]
async fn bad_player_commands() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-bad@example.com", "ann").await;
    let track = app.create_track("Short", 10_000).await;

    let unknown = app
        .gql(
            Some(&ann.access),
            &play(),
            json!({ "t": uuid::Uuid::new_v4() }),
        )
        .await;
    assert_eq!(code(&unknown), "NOT_FOUND");
    let nothing = app.gql(Some(&ann.access), &pause(), json!({})).await;
    assert_eq!(code(&nothing), "BAD_USER_INPUT");
    for p in [-1, 10_001] {
        let bad = app
            .gql(Some(&ann.access), &play(), json!({ "t": track, "p": p }))
            .await;
        assert_eq!(code(&bad), "BAD_USER_INPUT", "{p}");
        assert_eq!(bad["errors"][0]["extensions"]["field"], "positionMs");
    }
    let anonymous = app.gql(None, &play(), json!({ "t": track })).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let anonymous = app.gql(None, &my(), json!({})).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    // Nothing was written by the refused commands.
    let mine = app.gql(Some(&ann.access), &my(), json!({})).await;
    assert_eq!(mine["data"]["myPlayback"], Value::Null);
}

#[tokio::test]
async fn concurrent_commands_from_many_devices_lose_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-cc@example.com", "ann").await;
    let track = app.create_track("Race", 100_000).await;
    let query = update();
    let commands = (1..=8).map(|i| {
        app.gql(
            Some(&ann.access),
            &query,
            json!({ "i": { "trackId": track, "positionMs": i * 1000, "isPlaying": false } }),
        )
    });
    let results = futures_util::future::join_all(commands).await;
    let mut versions: Vec<i64> = results
        .iter()
        .map(|b| {
            b["data"]["updatePlayback"]["version"]
                .as_i64()
                .unwrap_or_else(|| panic!("{b}"))
        })
        .collect();
    versions.sort();
    assert_eq!(
        versions,
        (1..=8).collect::<Vec<_>>(),
        "each command applied once, none lost"
    );
    let mine = app.gql(Some(&ann.access), &my(), json!({})).await;
    assert_eq!(mine["data"]["myPlayback"]["version"], 8);
}

#[tokio::test]
async fn the_player_survives_a_restart() {
    let mut app = TestApp::spawn().await;
    let ann = app.register("ann-rs@example.com", "ann").await;
    let track = app.create_track("Persistent", 200_000).await;
    app.gql(Some(&ann.access), &play(), json!({ "t": track, "p": 1000 }))
        .await;
    let paused = app
        .gql(Some(&ann.access), &pause(), json!({ "p": 42_000 }))
        .await;
    let before = paused["data"]["pausePlayback"].clone();

    app.restart().await;
    let after = app.gql(Some(&ann.access), &my(), json!({})).await;
    assert_eq!(after["data"]["myPlayback"], before, "{after}");
    let resumed = app
        .gql(
            Some(&ann.access),
            "mutation { pausePlayback(positionMs: 43000) { version } }",
            json!({}),
        )
        .await;
    assert_eq!(resumed["data"]["pausePlayback"]["version"], 3);
}
