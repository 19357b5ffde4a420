//! Uploads cannot make the server work without bound: probing has a deadline and decodes only
//! the start of a long file in full.

use serde_json::json;

use crate::helpers::{TestApp, code};
use crate::uploads::{create_artist, fixture, upload};

/// About ten minutes of MP3: the 3 s fixture (no Xing header, so its frames simply follow one
/// another) two hundred times over.
fn long_mp3() -> Vec<u8> {
    fixture("vbr_noxing.mp3").repeat(200)
}

#[tokio::test]
async fn a_file_too_slow_to_probe_is_refused_with_a_message() {
    let app = TestApp::spawn_with(&[("PROBE_TIMEOUT_MS", "1")]).await;
    let s = app.register("slow@example.com", "slowpoke").await;
    let artist = create_artist(&app, &s, "Slow").await;
    let (status, body) = upload(&app, &s, &artist, "long.mp3", &long_mp3(), Some("Long")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "file", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("too long to read"),
        "{body}"
    );
    let tracks = app
        .gql(Some(&s.access), "{ tracks { totalCount } }", json!({}))
        .await;
    assert_eq!(tracks["data"]["tracks"]["totalCount"], 0);
}

#[tokio::test]
async fn past_the_decoding_budget_a_long_file_is_still_measured_exactly() {
    let app = TestApp::spawn_with(&[("PROBE_DECODE_SECS", "30")]).await;
    let s = app.register("long@example.com", "longplayer").await;
    let artist = create_artist(&app, &s, "Long").await;
    let (status, body) = upload(&app, &s, &artist, "long.mp3", &long_mp3(), Some("Long")).await;
    assert_eq!(status, 200, "{body}");
    let duration = body["data"]["uploadTrack"]["durationMs"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"));
    // 200 × the fixture's 3.03 s of frames.
    assert!((600_000..=612_000).contains(&duration), "{duration}");
}
