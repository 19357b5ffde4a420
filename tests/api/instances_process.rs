//! Two instances as a deployment runs them: A in this process, B as its own server process (the
//! `soundroom` binary), on one database, one Redis and one bucket (Garage). A track uploaded
//! through A is streamed and ranged through B; a member connected to B is connected in A's
//! room, and wait-for-all on A waits for them; B killed with SIGKILL (no goodbye) loses that
//! member within the presence TTL, announced by A. Skipped without Redis or Garage (unless CI
//! requires Garage).

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::s3::garage;
use crate::helpers::uploads::{create_artist, upload};
use crate::helpers::{Session, TestApp, WsClient, test_env};
use crate::instances::shows_connected;
use crate::rate_limits::redis_url;
use crate::rooms::{RoomWs, create_room, joined, ok, play, room_events, status, subscribe};
use crate::stream_cache::wav;

const PRESENCE_TTL_MS: u64 = 1500;

/// B: the server binary, killed when dropped.
struct Process {
    child: Child,
    addr: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn ws_url(&self) -> String {
        format!("ws://{}/graphql", self.addr)
    }
}

async fn start_process(env: &std::collections::HashMap<String, String>) -> Process {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let media = std::env::temp_dir().join(format!("soundroom-b-{}", uuid::Uuid::new_v4().simple()));
    let child = Command::new(env!("CARGO_BIN_EXE_soundroom"))
        .env_clear()
        .envs(env)
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("MEDIA_DIR", &media)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start B");
    let process = Process {
        child,
        addr: format!("127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(resp) = http.get(process.url("/ready")).send().await
            && resp.status() == 200
        {
            return process;
        }
        assert!(Instant::now() < deadline, "B never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn subscribe_at(process: &Process, who: &Session, room: &str) -> RoomWs {
    let mut ws = WsClient::signed_in_at(&process.ws_url(), Some(&who.access)).await;
    ws.subscribe("ev", &room_events(), json!({ "r": room }))
        .await;
    let first = ws.next_for("ev").await;
    let snapshot = first["payload"]["data"]["roomEvents"].clone();
    assert_eq!(snapshot["__typename"], "RoomSnapshot", "{first}");
    RoomWs { ws, snapshot }
}

#[tokio::test]
async fn a_second_server_process_shares_media_presence_and_waits() {
    let Some(redis) = redis_url().await else {
        return;
    };
    let Some(garage) = garage() else { return };
    let key_prefix = format!("soundroom-test-{}:", uuid::Uuid::new_v4().simple());
    let media = garage.media_env();
    let mut overrides: Vec<(&str, &str)> = vec![
        ("REDIS_URL", redis.as_str()),
        ("REDIS_KEY_PREFIX", key_prefix.as_str()),
        ("PRESENCE_TTL_MS", "1500"),
        ("ROOM_WAIT_TIMEOUT_MS", "60000"),
    ];
    overrides.extend(media.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let env = test_env(&overrides);
    let a = TestApp::start(soundroom::config::Config::load(&env).expect("config")).await;
    let b = start_process(&env).await;

    // Media: uploaded through A, streamed and ranged through B.
    let ann = a.register("ann-proc@example.com", "ann").await;
    let bob = a.register("bob-proc@example.com", "bob").await;
    let artist = create_artist(&a, &ann, "Noise").await;
    let bytes = wav(400_000);
    let (code, body) = upload(&a, &ann, &artist, "across.wav", &bytes, None).await;
    assert_eq!(code, 200, "{body}");
    let track = body["data"]["uploadTrack"].clone();
    let track_id = track["id"].as_str().expect("id").to_owned();
    let stream = b.url(track["streamUrl"].as_str().expect("streamUrl"));
    let whole = a.http.get(&stream).send().await.expect("get");
    assert_eq!(whole.status(), 200);
    assert_eq!(
        whole.bytes().await.expect("body").as_ref(),
        bytes.as_slice()
    );
    let part = a
        .http
        .get(&stream)
        .header("range", "bytes=1000-70999")
        .send()
        .await
        .expect("get");
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.bytes().await.expect("body").as_ref(),
        &bytes[1000..71_000]
    );

    // Presence: Bob, connected to B only, is connected in A's room.
    let room = create_room(&a, &ann, "Across processes", json!({ "waitForAll": true })).await;
    joined(&a, &bob, &room).await;
    let mut ann_room = subscribe(&a, &ann, &room).await;
    let _bob_room = subscribe_at(&b, &bob, &room).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !shows_connected(&a, &ann, &room, &bob.user_id).await {
        assert!(Instant::now() < deadline, "A never saw Bob connected to B");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Wait-for-all on A waits for Bob on B.
    let held = ok(
        &a,
        &ann,
        &play(),
        json!({ "r": room, "t": track_id }),
        "roomPlay",
    )
    .await;
    assert_eq!(held["isPlaying"], false, "{held}");
    let waiting: Vec<&str> = held["waitingFor"]
        .as_array()
        .expect("waitingFor")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert!(waiting.contains(&bob.user_id.as_str()), "{held}");
    let ready = json!({ "r": room, "t": track_id, "s": "READY" });
    let after_ann = ok(&a, &ann, &status(), ready.clone(), "reportPlaybackStatus").await;
    assert_eq!(after_ann["waitingFor"], json!([{ "id": bob.user_id }]));
    assert_eq!(after_ann["isPlaying"], false);

    // B dies without a goodbye: A announces Bob gone within the presence TTL (and a margin).
    let mut b = b;
    b.child.kill().expect("kill B");
    let killed_at = Instant::now();
    let left = ann_room
        .wait_for("PresenceChanged", |e| {
            e["user"]["id"] == bob.user_id.as_str() && e["isConnected"] == false
        })
        .await;
    assert_eq!(left["isConnected"], false);
    let bound = Duration::from_millis(PRESENCE_TTL_MS * 2 + 1000);
    assert!(
        killed_at.elapsed() < bound,
        "announced {:?} after B was killed",
        killed_at.elapsed()
    );
    assert!(!shows_connected(&a, &ann, &room, &bob.user_id).await);
    drop(b);
}
