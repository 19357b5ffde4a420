//! Attachments: uploads sniffed by content (a disguised file stays a download), a byte-for-byte
//! round trip with ranges and validators, who may fetch, sending once, deleting, the sweep.

use std::time::Duration;

use reqwest::header;
use serde_json::{Value, json};

use super::{circle, create_group, id, ok, open_direct, refusal, try_send, upload, uploaded, user};
use crate::helpers::uploads::{attachment_file, fixture};
use crate::helpers::{Session, TestApp, header_of};

/// A real PNG of `width` × `height` pixels (RGB, stored without compression), so that its
/// size is predictable and its header is what a browser would read.
fn png(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0);
        for x in 0..width {
            raw.extend_from_slice(&[(x * 7) as u8, (y * 13) as u8, ((x + y) * 3) as u8]);
        }
    }
    // zlib: stored blocks of at most 65,535 bytes, then the Adler-32 of the raw data.
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A Windows executable's first bytes (the DOS and PE headers), then filler.
fn exe() -> Vec<u8> {
    let mut bytes = vec![0u8; 4096];
    bytes[0..2].copy_from_slice(b"MZ");
    bytes[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    bytes[0x80..0x84].copy_from_slice(b"PE\0\0");
    bytes
}

async fn get(app: &TestApp, url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    app.get_with(url, headers).await
}

async fn attach(app: &TestApp, who: &Session, c: &str, body: &str, ids: &[&str]) -> Value {
    let sent = try_send(
        app,
        who,
        json!({ "conversationId": c, "body": body, "attachmentIds": ids }),
    )
    .await;
    assert!(sent["errors"].is_null(), "{sent}");
    sent["data"]["sendMessage"].clone()
}

#[tokio::test]
async fn an_image_round_trips_byte_for_byte_with_ranges_and_validators() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let eve = user(&app, "eve").await;
    let c = id(&open_direct(&app, ann, bob).await);
    let bytes = png(64, 48);
    let size = bytes.len();
    let file = uploaded(&app, ann, "holiday.png", &bytes).await;
    assert_eq!(file["kind"], "IMAGE");
    assert_eq!(file["mimeType"], "image/png");
    assert_eq!(file["name"], "holiday.png");
    assert_eq!(file["sizeBytes"], size);
    assert_eq!(
        (file["width"].as_i64(), file["height"].as_i64()),
        (Some(64), Some(48))
    );
    assert!(file["durationMs"].is_null());

    // Before it is sent, only the uploader may fetch it.
    let url = file["url"].as_str().expect("url").to_owned();
    let resp = get(&app, &url, &[]).await;
    assert_eq!(resp.status(), 200);
    let bare = format!("/attachments/{}", id(&file));
    let resp = get(
        &app,
        &bare,
        &[("authorization", &format!("Bearer {}", bob.access))],
    )
    .await;
    assert_eq!(resp.status(), 404, "not Bob's yet");

    let message = attach(&app, ann, &c, "look", &[&id(&file)]).await;
    assert_eq!(message["kind"], "IMAGE");
    let bob_url = {
        let q = "query($c: UUID!) { conversation(id: $c) { lastMessage { attachments { url } } } }";
        ok(&app, bob, q, json!({ "c": c }), "conversation").await["lastMessage"]["attachments"][0]["url"]
            .as_str()
            .expect("url")
            .to_owned()
    };

    let full = get(&app, &bob_url, &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(full.status(), 200);
    assert_eq!(header_of(&full, header::CONTENT_TYPE), "image/png");
    assert_eq!(header_of(&full, header::ACCEPT_RANGES), "bytes");
    assert_eq!(header_of(&full, header::CONTENT_LENGTH), size.to_string());
    assert!(
        header_of(&full, header::CONTENT_ENCODING).is_empty(),
        "never compressed"
    );
    assert_eq!(header_of(&full, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert!(header_of(&full, header::CONTENT_DISPOSITION).starts_with("inline"));
    let etag = header_of(&full, header::ETAG);
    assert!(etag.starts_with('"'), "{etag}");
    assert_eq!(full.bytes().await.expect("body").as_ref(), bytes.as_slice());

    let part = get(&app, &bob_url, &[("range", "bytes=100-1099")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        header_of(&part, header::CONTENT_RANGE),
        format!("bytes 100-1099/{size}")
    );
    assert_eq!(
        part.bytes().await.expect("body").as_ref(),
        &bytes[100..1100]
    );
    let tail = get(&app, &bob_url, &[("range", "bytes=-500")]).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.bytes().await.expect("body").as_ref(),
        &bytes[size - 500..]
    );
    let open = get(
        &app,
        &bob_url,
        &[("range", &format!("bytes={}-", size - 10))],
    )
    .await;
    assert_eq!(
        open.bytes().await.expect("body").as_ref(),
        &bytes[size - 10..]
    );
    let past = get(&app, &bob_url, &[("range", &format!("bytes={size}-"))]).await;
    assert_eq!(past.status(), 416);
    assert_eq!(
        header_of(&past, header::CONTENT_RANGE),
        format!("bytes */{size}")
    );
    let cached = get(&app, &bob_url, &[("if-none-match", &etag)]).await;
    assert_eq!(cached.status(), 304);
    let stale = get(
        &app,
        &bob_url,
        &[("range", "bytes=0-9"), ("if-range", "\"other\"")],
    )
    .await;
    assert_eq!(stale.status(), 200, "a stale If-Range gets the whole file");
    let head = app.http.head(app.url(&bob_url)).send().await.expect("head");
    assert_eq!(head.status(), 200);
    assert_eq!(header_of(&head, header::CONTENT_LENGTH), size.to_string());

    // Strangers get nothing, with any credential; tokens are bound to their viewer and file.
    let resp = get(
        &app,
        &bare,
        &[("authorization", &format!("Bearer {}", eve.access))],
    )
    .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(get(&app, &bare, &[]).await.status(), 401);
    let other = uploaded(&app, ann, "other.png", &png(2, 2)).await;
    let token = bob_url.split("token=").nth(1).expect("token");
    let forged = format!("/attachments/{}?token={token}", id(&other));
    assert_eq!(
        get(&app, &forged, &[]).await.status(),
        401,
        "bound to one attachment"
    );
    let garbage = format!("{bare}?token=garbage");
    assert_eq!(get(&app, &garbage, &[]).await.status(), 401);
    let stream_url = format!("/stream/{}?token={token}", id(&file));
    assert_eq!(
        get(&app, &stream_url, &[]).await.status(),
        401,
        "not a stream token"
    );
}

/// (file name, claimed type, bytes, kind, MIME type, served inline)
type Case = (
    &'static str,
    &'static str,
    Vec<u8>,
    &'static str,
    &'static str,
    bool,
);

#[tokio::test]
async fn kinds_come_from_the_content_and_only_plain_media_is_inline() {
    let app = TestApp::spawn().await;
    let ann = user(&app, "ann").await;
    let cases: Vec<Case> = vec![
        (
            "cat.png",
            "image/png",
            exe(),
            "FILE",
            "application/octet-stream",
            false,
        ),
        (
            "setup.exe",
            "application/x-msdownload",
            exe(),
            "FILE",
            "application/octet-stream",
            false,
        ),
        (
            "photo.jpg",
            "image/jpeg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            "FILE",
            "application/octet-stream",
            false,
        ),
        (
            "page.gif",
            "image/gif",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec(),
            "FILE",
            "application/octet-stream",
            false,
        ),
        (
            "notes.txt",
            "text/plain",
            b"just some text".to_vec(),
            "FILE",
            "application/octet-stream",
            false,
        ),
        (
            "song.bin",
            "application/octet-stream",
            fixture("tone.flac"),
            "AUDIO",
            "audio/flac",
            true,
        ),
        (
            "voice.wav",
            "audio/wav",
            fixture("tone.wav"),
            "AUDIO",
            "audio/wav",
            true,
        ),
        (
            "doc",
            "image/png",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec(),
            "FILE",
            "application/pdf",
            false,
        ),
        (
            "pic.dat",
            "application/octet-stream",
            png(3, 5),
            "IMAGE",
            "image/png",
            true,
        ),
    ];
    for (name, claimed, bytes, kind, mime, inline) in cases {
        let (status, body) = upload(&app, &ann, name, claimed, &bytes).await;
        assert_eq!(status, 200, "{name}: {body}");
        let file = &body["data"]["uploadAttachment"];
        assert_eq!(
            (file["kind"].as_str(), file["mimeType"].as_str()),
            (Some(kind), Some(mime)),
            "{name}: {body}"
        );
        let resp = get(&app, file["url"].as_str().expect("url"), &[]).await;
        assert_eq!(resp.status(), 200, "{name}");
        assert_eq!(header_of(&resp, header::CONTENT_TYPE), mime, "{name}");
        let disposition = header_of(&resp, header::CONTENT_DISPOSITION);
        assert_eq!(
            disposition.starts_with("inline"),
            inline,
            "{name}: {disposition}"
        );
        if !inline {
            assert!(
                disposition.starts_with("attachment;"),
                "{name}: {disposition}"
            );
        }
        assert_eq!(header_of(&resp, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert!(header_of(&resp, header::CONTENT_SECURITY_POLICY).contains("sandbox"));
        assert_eq!(
            resp.bytes().await.expect("body").as_ref(),
            bytes.as_slice(),
            "{name}"
        );
    }
    let (_, body) = upload(&app, &ann, "song.flac", "audio/flac", &fixture("tone.flac")).await;
    let duration = body["data"]["uploadAttachment"]["durationMs"]
        .as_i64()
        .expect("duration");
    assert!((2900..=3100).contains(&duration), "{duration}");
    let (_, body) = upload(&app, &ann, "../../etc/passwd", "text/plain", b"x").await;
    assert_eq!(body["data"]["uploadAttachment"]["name"], "passwd");
}

#[tokio::test]
async fn uploads_are_limited_and_need_a_user() {
    let app = TestApp::spawn_with(&[("MAX_ATTACHMENT_BYTES", "1000")]).await;
    let ann = user(&app, "ann").await;
    let (status, body) = upload(
        &app,
        &ann,
        "big.bin",
        "application/octet-stream",
        &[7u8; 1001],
    )
    .await;
    assert_eq!(status, 413, "stopped at the attachment limit: {body}");
    assert_eq!(
        refusal(&body),
        ("BAD_USER_INPUT".into(), "file".into()),
        "{body}"
    );
    let (_, body) = upload(&app, &ann, "empty.bin", "application/octet-stream", &[]).await;
    assert_eq!(
        refusal(&body),
        ("BAD_USER_INPUT".into(), "file".into()),
        "{body}"
    );
    uploaded(&app, &ann, "fits.bin", &[7u8; 1000]).await;
    let body = app
        .gql(
            Some(&ann.access),
            super::UPLOAD,
            json!({ "file": "not a file" }),
        )
        .await;
    assert_eq!(refusal(&body).0, "BAD_USER_INPUT", "{body}");
    let files = std::fs::read_dir(app.state.config.media.dir.join("attachments"))
        .expect("dir")
        .count();
    assert_eq!(files, 1, "refused uploads leave no file");
    assert_eq!(crate::helpers::uploads::staged_files(&app), 0);
    // Tracks keep their own, larger limit.
    let artist = crate::helpers::uploads::create_artist(&app, &ann, "Tones").await;
    crate::helpers::uploads::upload_fixture(&app, &ann, &artist, "tone.flac").await;
}

#[tokio::test]
async fn attachments_are_sent_once_by_their_uploader_and_go_with_their_message() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob", "cat"]).await;
    let (ann, bob, cat) = (&users[0], &users[1], &users[2]);
    let group = id(&create_group(&app, ann, "Band", &[bob, cat]).await);
    let song = uploaded(&app, bob, "song.flac", &fixture("tone.flac")).await;
    let pic = uploaded(&app, bob, "pic.png", &png(8, 8)).await;
    let annes = uploaded(&app, ann, "mine.png", &png(4, 4)).await;

    let body = try_send(
        &app,
        bob,
        json!({ "conversationId": group, "attachmentIds": [id(&annes)] }),
    )
    .await;
    assert_eq!(
        refusal(&body),
        ("BAD_USER_INPUT".into(), "attachmentIds".into()),
        "not his"
    );
    let body = try_send(
        &app,
        bob,
        json!({ "conversationId": group, "attachmentIds": [id(&pic), id(&pic)] }),
    )
    .await;
    assert_eq!(
        refusal(&body),
        ("BAD_USER_INPUT".into(), "attachmentIds".into()),
        "twice"
    );
    let eleven: Vec<String> = (0..11).map(|_| id(&pic)).collect();
    let body = try_send(
        &app,
        bob,
        json!({ "conversationId": group, "attachmentIds": eleven }),
    )
    .await;
    assert_eq!(
        refusal(&body),
        ("BAD_USER_INPUT".into(), "attachmentIds".into()),
        "over ten"
    );

    // No text needed; the kind is the first attachment's.
    let message = attach(&app, bob, &group, "", &[&id(&song), &id(&pic)]).await;
    assert_eq!(message["kind"], "AUDIO");
    assert_eq!(message["body"], "");
    let kinds: Vec<&str> = message["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .map(|a| a["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["AUDIO", "IMAGE"]);
    let body = try_send(
        &app,
        bob,
        json!({ "conversationId": group, "body": "again", "attachmentIds": [id(&pic)] }),
    )
    .await;
    assert_eq!(
        refusal(&body),
        ("BAD_USER_INPUT".into(), "attachmentIds".into()),
        "already sent"
    );

    // Members fetch it, the rest do not; deleting removes the files.
    let path = attachment_file(&app, &id(&pic));
    assert!(path.exists());
    let bare = format!("/attachments/{}", id(&pic));
    let as_cat = get(
        &app,
        &bare,
        &[("authorization", &format!("Bearer {}", cat.access))],
    )
    .await;
    assert_eq!(as_cat.status(), 200);
    let leave = "mutation($c: UUID!) { leaveConversation(conversationId: $c) }";
    ok(&app, cat, leave, json!({ "c": group }), "leaveConversation").await;
    let as_cat = get(
        &app,
        &bare,
        &[("authorization", &format!("Bearer {}", cat.access))],
    )
    .await;
    assert_eq!(as_cat.status(), 404, "not a member any more");

    let delete = "mutation($m: UUID!) { deleteMessage(messageId: $m) }";
    ok(
        &app,
        ann,
        delete,
        json!({ "m": id(&message) }),
        "deleteMessage",
    )
    .await;
    assert!(!path.exists(), "the file went with the message");
    let as_bob = get(
        &app,
        &bare,
        &[("authorization", &format!("Bearer {}", bob.access))],
    )
    .await;
    assert_eq!(as_bob.status(), 404);
    let q = "query($c: UUID!) { conversation(id: $c) { lastMessage { deleted body attachments { id } } } }";
    let last = ok(&app, bob, q, json!({ "c": group }), "conversation").await["lastMessage"].clone();
    assert_eq!(
        last,
        json!({ "deleted": true, "body": "", "attachments": [] })
    );

    // The last member out takes the files along.
    let kept = uploaded(&app, ann, "kept.png", &png(2, 2)).await;
    attach(&app, ann, &group, "", &[&id(&kept)]).await;
    let kept_path = attachment_file(&app, &id(&kept));
    assert!(kept_path.exists());
    ok(&app, ann, leave, json!({ "c": group }), "leaveConversation").await;
    ok(&app, bob, leave, json!({ "c": group }), "leaveConversation").await;
    assert!(!kept_path.exists());
}

#[tokio::test]
async fn unsent_attachments_are_swept() {
    let app = TestApp::spawn_with(&[("ATTACHMENT_UNSENT_TTL_SECS", "1")]).await;
    let users = circle(&app, &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let c = id(&open_direct(&app, ann, bob).await);
    let sent = uploaded(&app, ann, "sent.png", &png(2, 2)).await;
    attach(&app, ann, &c, "kept", &[&id(&sent)]).await;
    let unsent = uploaded(&app, ann, "unsent.png", &png(2, 2)).await;
    let path = attachment_file(&app, &id(&unsent));
    assert!(path.exists());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while path.exists() {
        assert!(tokio::time::Instant::now() < deadline, "not swept");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resp = get(&app, unsent["url"].as_str().expect("url"), &[]).await;
    assert_eq!(resp.status(), 404);
    let body = try_send(
        &app,
        ann,
        json!({ "conversationId": c, "attachmentIds": [id(&unsent)] }),
    )
    .await;
    assert_eq!(
        refusal(&body),
        ("BAD_USER_INPUT".into(), "attachmentIds".into())
    );
    let resp = get(&app, sent["url"].as_str().expect("url"), &[]).await;
    assert_eq!(resp.status(), 200, "sent ones stay");
}
