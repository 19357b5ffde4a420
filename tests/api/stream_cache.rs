//! `/stream` served from open files and cached blocks: byte-exact on every range case, with the
//! block cache on (ranges across block boundaries, served twice: read, then cached), with a
//! budget of one block (constant eviction) and with it off; deleted tracks are not served from
//! what was cached; the catalog rows cached for `track(id)` follow every write, on this
//! instance and on another one sharing the database (through Redis).

use std::time::Duration;

use reqwest::{Response, header};
use serde_json::json;

use crate::helpers::uploads::{create_artist, upload};
use crate::helpers::{TestApp, header_of};
use crate::instances::two_instances;

/// A valid mono 16-bit PCM WAV of `total` bytes (even), of deterministic noise.
pub fn wav(total: usize) -> Vec<u8> {
    let data_len = (total - 44) as u32;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&44_100u32.to_le_bytes());
    out.extend_from_slice(&88_200u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let mut x: u32 = 0x1234_5678;
    while out.len() < total {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let sample = (x % 4096) as i16 - 2048;
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

const SIZE: usize = 700_000;
const BLOCK: usize = 256 * 1024;

struct Uploaded {
    app: TestApp,
    access: String,
    id: String,
    url: String,
    bytes: Vec<u8>,
}

async fn uploaded(overrides: &[(&str, &str)]) -> Uploaded {
    let app = TestApp::spawn_with(overrides).await;
    let ann = app.register("cache@example.com", "cache").await;
    let artist = create_artist(&app, &ann, "Noise").await;
    let bytes = wav(SIZE);
    let (status, body) = upload(&app, &ann, &artist, "noise.wav", &bytes, Some("Noise")).await;
    assert_eq!(status, 200, "{body}");
    let track = &body["data"]["uploadTrack"];
    Uploaded {
        id: track["id"].as_str().expect("id").to_owned(),
        url: app.url(track["streamUrl"].as_str().expect("streamUrl")),
        access: ann.access,
        bytes,
        app,
    }
}

impl Uploaded {
    async fn get(&self, headers: &[(&str, &str)]) -> Response {
        let mut req = self.app.http.get(&self.url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("send")
    }
}

async fn every_range_case(s: &Uploaded) {
    let size = s.bytes.len();
    let cases: Vec<(String, usize, usize)> = vec![
        ("bytes=0-0".into(), 0, 0),
        (format!("bytes={}-{}", BLOCK - 1, BLOCK), BLOCK - 1, BLOCK),
        ("bytes=1000-65535".into(), 1000, 65535),
        ("bytes=100000-600000".into(), 100_000, 600_000),
        ("bytes=-1000".into(), size - 1000, size - 1),
        (format!("bytes=-{}", size * 2), 0, size - 1),
        ("bytes=500000-".into(), 500_000, size - 1),
        (
            format!("bytes={}-{}", 2 * BLOCK, size * 3),
            2 * BLOCK,
            size - 1,
        ),
    ];
    // Twice each: the second answer comes from what the first one cached.
    for round in 0..2 {
        let full = s.get(&[]).await;
        assert_eq!(full.status(), 200);
        assert_eq!(header_of(&full, header::CONTENT_LENGTH), size.to_string());
        assert!(
            full.bytes().await.expect("body") == s.bytes,
            "full body, round {round}"
        );
        for (range, start, end) in &cases {
            let resp = s.get(&[("range", range)]).await;
            assert_eq!(resp.status(), 206, "{range}");
            assert_eq!(
                header_of(&resp, header::CONTENT_RANGE),
                format!("bytes {start}-{end}/{size}"),
                "{range}"
            );
            assert_eq!(
                header_of(&resp, header::CONTENT_LENGTH),
                (end - start + 1).to_string()
            );
            let body = resp.bytes().await.expect("body");
            assert!(
                body.as_ref() == &s.bytes[*start..=*end],
                "{range}, round {round}"
            );
        }
        // Several ranges across blocks, as multipart/byteranges.
        let resp = s
            .get(&[(
                "range",
                &format!("bytes=10-19, {}-{}", BLOCK - 5, BLOCK + 5),
            )])
            .await;
        assert_eq!(resp.status(), 206);
        let body = resp.bytes().await.expect("body").to_vec();
        for (a, b) in [(10, 19), (BLOCK - 5, BLOCK + 5)] {
            let head = format!("Content-Range: bytes {a}-{b}/{size}\r\n\r\n");
            let at = find(&body, head.as_bytes()).expect("part") + head.len();
            assert_eq!(&body[at..=at + (b - a)], &s.bytes[a..=b]);
        }
        // If-Range: the current ETag gives the range, a stale one the whole file.
        let etag = header_of(&s.get(&[]).await, header::ETAG);
        let resp = s.get(&[("range", "bytes=5-9"), ("if-range", &etag)]).await;
        assert_eq!(resp.status(), 206);
        assert_eq!(resp.bytes().await.expect("body").as_ref(), &s.bytes[5..=9]);
        let resp = s
            .get(&[("range", "bytes=5-9"), ("if-range", "\"stale\"")])
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.bytes().await.expect("body").len(), size);
        let resp = s.get(&[("range", &format!("bytes={size}-"))]).await;
        assert_eq!(resp.status(), 416);
        assert_eq!(
            header_of(&resp, header::CONTENT_RANGE),
            format!("bytes */{size}")
        );
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test]
async fn ranges_are_exact_through_the_block_cache() {
    every_range_case(&uploaded(&[]).await).await;
}

#[tokio::test]
async fn ranges_are_exact_when_one_block_is_all_the_cache_holds() {
    every_range_case(&uploaded(&[("STREAM_CACHE_BYTES", "262144")]).await).await;
}

#[tokio::test]
async fn ranges_are_exact_without_the_block_cache() {
    every_range_case(&uploaded(&[("STREAM_CACHE_BYTES", "0")]).await).await;
}

#[tokio::test]
async fn deleted_tracks_are_not_served_from_what_was_cached() {
    let s = uploaded(&[]).await;
    assert_eq!(s.get(&[("range", "bytes=0-99")]).await.status(), 206);
    assert_eq!(s.get(&[]).await.status(), 200);
    let deleted = s
        .app
        .gql(
            Some(&s.access),
            "mutation($id: UUID!) { deleteTrack(id: $id) }",
            json!({ "id": s.id }),
        )
        .await;
    assert_eq!(deleted["data"]["deleteTrack"], true, "{deleted}");
    for range in ["bytes=0-99", "bytes=-10"] {
        assert_eq!(s.get(&[("range", range)]).await.status(), 404, "{range}");
    }
    assert_eq!(s.get(&[]).await.status(), 404);
}

const TRACK: &str = "query($id: UUID!) { track(id: $id) { name artist { id name } } }";

#[tokio::test]
async fn cached_catalog_rows_follow_every_write() {
    let s = uploaded(&[]).await;
    let app = &s.app;
    let read = |id: String| async move { app.gql(None, TRACK, json!({ "id": id })).await };
    assert_eq!(read(s.id.clone()).await["data"]["track"]["name"], "Noise");
    let renamed = app
        .gql(
            Some(&s.access),
            "mutation($id: UUID!) { updateTrack(id: $id, input: { name: \"Renamed\" }) { name } }",
            json!({ "id": s.id }),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateTrack"]["name"], "Renamed",
        "{renamed}"
    );
    let body = read(s.id.clone()).await;
    assert_eq!(body["data"]["track"]["name"], "Renamed", "{body}");
    let artist_id = body["data"]["track"]["artist"]["id"]
        .as_str()
        .expect("artist")
        .to_owned();
    let changed = app
        .gql(
            Some(&s.access),
            "mutation($id: UUID!) { updateArtist(id: $id, input: { name: \"Signal\" }) { name } }",
            json!({ "id": artist_id }),
        )
        .await;
    assert!(changed["errors"].is_null(), "{changed}");
    assert_eq!(
        read(s.id.clone()).await["data"]["track"]["artist"]["name"],
        "Signal"
    );
    let artist = app
        .gql(
            None,
            "query($id: UUID!) { artist(id: $id) { name } }",
            json!({ "id": artist_id }),
        )
        .await;
    assert_eq!(artist["data"]["artist"]["name"], "Signal");
    app.gql(
        Some(&s.access),
        "mutation($id: UUID!) { deleteTrack(id: $id) }",
        json!({ "id": s.id }),
    )
    .await;
    assert!(read(s.id.clone()).await["data"]["track"].is_null());
}

#[tokio::test]
async fn another_instance_hears_of_catalog_writes() {
    let Some((a, b)) = two_instances(&[]).await else {
        return;
    };
    let ann = a.register("ann-cache@example.com", "ann").await;
    let artist = create_artist(&a, &ann, "Before").await;
    let (status, body) = upload(&a, &ann, &artist, "noise.wav", &wav(40_000), Some("Old")).await;
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["uploadTrack"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // B reads (and caches) the rows; A changes them.
    let on_b = b.gql(None, TRACK, json!({ "id": id })).await;
    assert_eq!(on_b["data"]["track"]["name"], "Old", "{on_b}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let renamed = a
        .gql(
            Some(&ann.access),
            "mutation($id: UUID!) { updateTrack(id: $id, input: { name: \"New\" }) { name } }",
            json!({ "id": id }),
        )
        .await;
    assert!(renamed["errors"].is_null(), "{renamed}");
    let mut seen = String::new();
    for _ in 0..50 {
        let body = b.gql(None, TRACK, json!({ "id": id })).await;
        seen = body["data"]["track"]["name"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if seen == "New" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "New", "B still answers its cached row");
}
