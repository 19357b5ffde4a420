//! Fixtures and helpers for the catalog: audio files, artists, and GraphQL multipart uploads
//! built by hand (so tests control every byte, malformed ones included).

#![allow(dead_code)]

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp};

pub const UPLOAD: &str = "mutation($input: UploadTrackInput!, $file: Upload!) {
  uploadTrack(input: $input, file: $file) {
    id name genre durationMs format mimeType bitrate sampleRate sizeBytes streamUrl
    artist { id name } uploadedBy { id }
  }
}";

pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub async fn create_artist(app: &TestApp, session: &Session, name: &str) -> String {
    let body = app
        .gql(
            Some(&session.access),
            "mutation($i: CreateArtistInput!) { createArtist(input: $i) { id } }",
            json!({ "i": { "name": name, "genre": "Test" } }),
        )
        .await;
    body["data"]["createArtist"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createArtist: {body}"))
        .to_owned()
}

/// One file part of a multipart request: (field name, file name, content type, bytes).
pub type Part<'a> = (&'a str, &'a str, &'a str, &'a [u8]);

/// A multipart/form-data body with `operations` and `map` fields, then `files`.
pub fn multipart(operations: &Value, map: &Value, files: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = format!("----soundroom{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, value) in [("operations", operations), ("map", map)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, filename, content_type, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (boundary, body)
}

/// Sends a multipart request; returns the status and the JSON body.
pub async fn send_multipart(
    app: &TestApp,
    token: Option<&str>,
    boundary: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = app
        .http
        .post(app.url("/graphql"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json body"))
}

/// Uploads `bytes` as `filename` for `artist_id`, the way apollo-upload-client does.
pub async fn upload(
    app: &TestApp,
    session: &Session,
    artist_id: &str,
    filename: &str,
    bytes: &[u8],
    name: Option<&str>,
) -> (u16, Value) {
    let operations = json!({
        "query": UPLOAD,
        "variables": { "input": { "name": name, "artistId": artist_id }, "file": null },
    });
    let map = json!({ "0": ["variables.file"] });
    let (boundary, body) = multipart(
        &operations,
        &map,
        &[("0", filename, "application/octet-stream", bytes)],
    );
    send_multipart(app, Some(&session.access), &boundary, body).await
}

/// Uploads a fixture and returns the track JSON, failing the test on any error.
pub async fn upload_fixture(
    app: &TestApp,
    session: &Session,
    artist_id: &str,
    file: &str,
) -> Value {
    let (status, body) = upload(app, session, artist_id, file, &fixture(file), None).await;
    assert_eq!(status, 200, "{body}");
    let track = body["data"]["uploadTrack"].clone();
    assert!(track.is_object(), "upload of {file} failed: {body}");
    track
}

/// Files in the media directory (not the working folders).
pub fn media_files(app: &TestApp) -> Vec<String> {
    let dir = &app.state.config.media.dir;
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Where the media directory keeps an attachment's bytes.
pub fn attachment_file(app: &TestApp, attachment_id: &str) -> std::path::PathBuf {
    let id = uuid::Uuid::parse_str(attachment_id).expect("attachment id");
    app.state
        .config
        .media
        .dir
        .join("attachments")
        .join(id.simple().to_string())
}

/// Files left in the staging folder.
pub fn staged_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.state.config.media.dir.join(".incoming"))
        .map(|rd| rd.count())
        .unwrap_or(0)
}
