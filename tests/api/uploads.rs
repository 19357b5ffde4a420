//! Uploading tracks: every format probed from its bytes, bad uploads refused without leaving
//! anything behind, malformed multipart requests, and no upload making the server work without
//! bound (probing has a deadline and decodes only the start of a long file in full).

use serde_json::json;

use crate::helpers::uploads::{
    UPLOAD, create_artist, fixture, media_files, multipart, send_multipart, staged_files, upload,
    upload_fixture,
};
use crate::helpers::{TestApp, code};

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

#[tokio::test]
async fn uploads_are_probed_in_every_format() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let artist = create_artist(&app, &ann, "Sine Wave").await;
    // (file, format, mime type, duration tolerance in ms around 3000)
    for (file, format, mime, tolerance) in [
        ("cbr.mp3", "mp3", "audio/mpeg", 5),
        ("tone.flac", "flac", "audio/flac", 5),
        ("tone.ogg", "ogg", "audio/ogg", 5),
        ("tone.opus", "opus", "audio/ogg", 5),
        ("tone.m4a", "m4a", "audio/mp4", 5),
        ("tone.aac", "aac", "audio/aac", 50),
        ("tone.wav", "wav", "audio/wav", 5),
    ] {
        let track = upload_fixture(&app, &ann, &artist, file).await;
        assert_eq!(track["format"], format, "{file}: {track}");
        assert_eq!(track["mimeType"], mime, "{file}");
        let duration = track["durationMs"].as_i64().expect("duration");
        assert!(
            (duration - 3000).abs() <= tolerance,
            "{file}: {duration} ms"
        );
        assert_eq!(
            track["sizeBytes"].as_u64(),
            Some(fixture(file).len() as u64),
            "{file}"
        );
        assert!(track["bitrate"].as_i64().is_some_and(|b| b > 0), "{file}");
        assert!(
            track["sampleRate"].as_i64().is_some_and(|r| r >= 8000),
            "{file}"
        );
        assert_eq!(track["artist"]["id"], artist.as_str());
        assert_eq!(track["uploadedBy"]["id"], ann.user_id.as_str());
        // The stored bytes are the uploaded bytes.
        let url = app.url(track["streamUrl"].as_str().expect("streamUrl"));
        let bytes = app
            .http
            .get(url)
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("body");
        assert_eq!(bytes.as_ref(), fixture(file).as_slice(), "{file}");
    }
    // The name comes from the title tag when none is given, else the file name.
    let tagged = upload_fixture(&app, &ann, &artist, "cbr.mp3").await;
    assert_eq!(tagged["name"], "Blue Tone");
    assert_eq!(tagged["genre"], "Jazz");
    let untagged = upload_fixture(&app, &ann, &artist, "tone.wav").await;
    assert_eq!(untagged["name"], "tone");
    assert_eq!(staged_files(&app), 0);
}

#[tokio::test]
async fn vbr_mp3_without_a_xing_header_gets_its_real_duration() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let artist = create_artist(&app, &ann, "Noise").await;
    let track = upload_fixture(&app, &ann, &artist, "vbr_noxing.mp3").await;
    let duration = track["durationMs"].as_i64().expect("duration");
    // 3 s of audio (plus the encoder's delay and padding); a bitrate estimate says ~4067 ms.
    assert!((3000..=3080).contains(&duration), "{duration}");
}

#[tokio::test]
async fn bad_uploads_are_refused_and_leave_nothing_behind() {
    let app = TestApp::spawn_with(&[("MAX_UPLOAD_BYTES", "40000")]).await;
    let ann = app.register("ann@example.com", "ann").await;
    let artist = create_artist(&app, &ann, "Sine Wave").await;

    let text = "this is not audio at all\n".repeat(200);
    let (_, body) = upload(
        &app,
        &ann,
        &artist,
        "song.mp3",
        text.as_bytes(),
        Some("Fake"),
    )
    .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "file");

    let wav = fixture("tone.wav");
    let (_, body) = upload(&app, &ann, &artist, "cut.wav", &wav[..wav.len() / 2], None).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("truncated")),
        "{body}"
    );

    let (_, body) = upload(&app, &ann, &artist, "empty.mp3", b"", None).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");

    // Over MAX_UPLOAD_BYTES (the FLAC fixture is ~47 kB): stopped at the limit.
    let (status, body) = upload(&app, &ann, &artist, "big.flac", &fixture("tone.flac"), None).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "file");

    // Unknown artist.
    let (_, body) = upload(
        &app,
        &ann,
        &uuid::Uuid::new_v4().to_string(),
        "tone.ogg",
        &fixture("tone.ogg"),
        None,
    )
    .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");

    let tracks = app.gql(None, "{ tracks { totalCount } }", json!({})).await;
    assert_eq!(tracks["data"]["tracks"]["totalCount"], 0);
    assert!(media_files(&app).is_empty(), "{:?}", media_files(&app));
    assert_eq!(staged_files(&app), 0);
}

#[tokio::test]
async fn multipart_requests_are_checked() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let artist = create_artist(&app, &ann, "Sine Wave").await;
    let wav = fixture("tone.wav");
    let operations = json!({
        "query": UPLOAD,
        "variables": { "input": { "artistId": artist }, "file": null },
    });
    let part = [("0", "tone.wav", "audio/wav", wav.as_slice())];

    // Anonymous: refused before the file is read.
    let (boundary, body) = multipart(&operations, &json!({ "0": ["variables.file"] }), &part);
    let (_, resp) = send_multipart(&app, None, &boundary, body).await;
    assert_eq!(code(&resp), "UNAUTHENTICATED", "{resp}");

    // A map entry that names no variable, a file that is not in the map, no map at all.
    for map in [
        json!({ "0": ["variables.nothing.here"] }),
        json!({ "1": ["variables.file"] }),
        json!("not a map"),
    ] {
        let (boundary, body) = multipart(&operations, &map, &part);
        let (status, resp) = send_multipart(&app, Some(&ann.access), &boundary, body).await;
        assert_eq!(status, 400, "{map}: {resp}");
    }
    let (status, _) = send_multipart(&app, Some(&ann.access), "xyz", b"garbage".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(staged_files(&app), 0);
    assert!(media_files(&app).is_empty());

    // The same file mapped correctly works.
    let (boundary, body) = multipart(&operations, &json!({ "0": ["variables.file"] }), &part);
    let (status, resp) = send_multipart(&app, Some(&ann.access), &boundary, body).await;
    assert_eq!(status, 200);
    assert_eq!(resp["data"]["uploadTrack"]["format"], "wav", "{resp}");
}
