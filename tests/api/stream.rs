//! `GET`/`HEAD /stream/{id}`: RFC 9110 ranges and conditionals byte-for-byte against the file,
//! auth by bearer token or `streamUrl` token, and the metadata route.

use reqwest::{Response, header};
use serde_json::json;

use crate::helpers::uploads::{create_artist, fixture, upload_fixture};
use crate::helpers::{Session, TestApp, header_of};
use crate::http_protocol::vary_of;

struct Streamed {
    app: TestApp,
    ann: Session,
    id: String,
    /// Absolute URL with the stream token.
    url: String,
    bytes: Vec<u8>,
}

async fn streamed(overrides: &[(&str, &str)]) -> Streamed {
    let app = TestApp::spawn_with(overrides).await;
    let ann = app.register("ann@example.com", "ann").await;
    let artist = create_artist(&app, &ann, "Sine Wave").await;
    let track = upload_fixture(&app, &ann, &artist, "tone.flac").await;
    Streamed {
        id: track["id"].as_str().expect("id").to_owned(),
        url: app.url(track["streamUrl"].as_str().expect("streamUrl")),
        bytes: fixture("tone.flac"),
        app,
        ann,
    }
}

impl Streamed {
    async fn get(&self, headers: &[(&str, &str)]) -> Response {
        let mut req = self.app.http.get(&self.url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("send")
    }
}

#[tokio::test]
async fn full_body_and_headers() {
    let s = streamed(&[]).await;
    let size = s.bytes.len();
    let resp = s.get(&[("accept-encoding", "gzip, br")]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header_of(&resp, header::ACCEPT_RANGES), "bytes");
    assert_eq!(header_of(&resp, header::CONTENT_TYPE), "audio/flac");
    assert_eq!(header_of(&resp, header::CACHE_CONTROL), "private");
    assert_eq!(header_of(&resp, header::CONTENT_LENGTH), size.to_string());
    assert!(
        header_of(&resp, header::CONTENT_ENCODING).is_empty(),
        "audio must not be compressed"
    );
    assert!(header_of(&resp, header::ETAG).starts_with('"'));
    assert!(!header_of(&resp, header::LAST_MODIFIED).is_empty());
    assert_eq!(
        resp.bytes().await.expect("body").as_ref(),
        s.bytes.as_slice()
    );

    let head = s.app.http.head(&s.url).send().await.expect("head");
    assert_eq!(head.status(), 200);
    assert_eq!(header_of(&head, header::CONTENT_LENGTH), size.to_string());
    assert_eq!(header_of(&head, header::ACCEPT_RANGES), "bytes");
    assert!(head.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn single_ranges_are_exact() {
    let s = streamed(&[]).await;
    let size = s.bytes.len();
    let cases: [(String, usize, usize); 5] = [
        ("bytes=0-99".into(), 0, 99),
        ("bytes=100-".into(), 100, size - 1),
        ("bytes=-500".into(), size - 500, size - 1),
        (format!("bytes=1000-{}", size * 2), 1000, size - 1),
        ("bytes=0-0".into(), 0, 0),
    ];
    for (range, start, end) in cases {
        let resp = s.get(&[("range", &range)]).await;
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
        assert_eq!(header_of(&resp, header::CONTENT_TYPE), "audio/flac");
        let body = resp.bytes().await.expect("body");
        assert_eq!(body.as_ref(), &s.bytes[start..=end], "{range}");
    }
}

#[tokio::test]
async fn unsatisfiable_and_malformed_ranges() {
    let s = streamed(&[]).await;
    let size = s.bytes.len();
    for range in [
        format!("bytes={size}-"),
        format!("bytes={}-{}", size + 10, size + 20),
        "bytes=-0".into(),
    ] {
        let resp = s.get(&[("range", &range)]).await;
        assert_eq!(resp.status(), 416, "{range}");
        assert_eq!(
            header_of(&resp, header::CONTENT_RANGE),
            format!("bytes */{size}")
        );
    }
    // Malformed, or another unit: the header is ignored and the whole file sent.
    for range in ["bytes=abc", "bytes=10-5", "items=0-10", "bytes=", "0-10"] {
        let resp = s.get(&[("range", range)]).await;
        assert_eq!(resp.status(), 200, "{range}");
        assert_eq!(resp.bytes().await.expect("body").len(), size, "{range}");
    }
}

#[tokio::test]
async fn multiple_ranges_come_back_as_multipart_byteranges() {
    let s = streamed(&[]).await;
    let size = s.bytes.len();
    let resp = s
        .get(&[
            ("range", "bytes=200-299, 0-9, -16"),
            ("accept-encoding", "gzip, br"),
        ])
        .await;
    assert_eq!(resp.status(), 206);
    assert!(header_of(&resp, header::CONTENT_ENCODING).is_empty());
    let content_type = header_of(&resp, header::CONTENT_TYPE);
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"))
        .to_owned();
    let length: usize = header_of(&resp, header::CONTENT_LENGTH)
        .parse()
        .expect("length");
    let body = resp.bytes().await.expect("body").to_vec();
    assert_eq!(body.len(), length);
    // Parse the parts: headers, blank line, exactly the bytes of the range.
    let mut parts = Vec::new();
    let delimiter = format!("--{boundary}");
    let mut rest = body.as_slice();
    loop {
        let at = find(rest, delimiter.as_bytes()).expect("delimiter");
        rest = &rest[at + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let head_end = find(rest, b"\r\n\r\n").expect("part headers");
        let head = String::from_utf8_lossy(&rest[..head_end]).to_string();
        let range = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Range: bytes "))
            .expect("content-range")
            .to_owned();
        let (span, total) = range.split_once('/').expect("total");
        assert_eq!(total, size.to_string());
        let (a, b) = span.split_once('-').expect("span");
        let (a, b): (usize, usize) = (a.parse().expect("a"), b.parse().expect("b"));
        let data = &rest[head_end + 4..head_end + 4 + (b - a + 1)];
        assert_eq!(data, &s.bytes[a..=b]);
        assert!(head.contains("Content-Type: audio/flac"));
        parts.push((a, b));
        rest = &rest[head_end + 4 + (b - a + 1)..];
    }
    assert_eq!(parts, vec![(0, 9), (200, 299), (size - 16, size - 1)]);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test]
async fn validators_and_conditional_requests() {
    let s = streamed(&[]).await;
    let size = s.bytes.len();
    let first = s.get(&[]).await;
    let etag = header_of(&first, header::ETAG);
    let last_modified = header_of(&first, header::LAST_MODIFIED);

    let resp = s.get(&[("if-none-match", &etag)]).await;
    assert_eq!(resp.status(), 304);
    assert_eq!(header_of(&resp, header::ETAG), etag);
    let resp = s
        .get(&[("if-none-match", &format!("\"other\", W/{etag}"))])
        .await;
    assert_eq!(resp.status(), 304, "weak comparison for If-None-Match");
    let resp = s.get(&[("if-none-match", "\"other\"")]).await;
    assert_eq!(resp.status(), 200);
    let resp = s.get(&[("if-modified-since", &last_modified)]).await;
    assert_eq!(resp.status(), 304);

    // If-Range with the current validator: the range; with a stale one: the whole file.
    let resp = s.get(&[("range", "bytes=0-9"), ("if-range", &etag)]).await;
    assert_eq!(resp.status(), 206);
    let resp = s
        .get(&[("range", "bytes=0-9"), ("if-range", "\"stale\"")])
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.expect("body").len(), size);
    let resp = s
        .get(&[("range", "bytes=0-9"), ("if-range", &format!("W/{etag}"))])
        .await;
    assert_eq!(
        resp.status(),
        200,
        "a weak validator never matches If-Range"
    );
    let resp = s
        .get(&[("range", "bytes=0-9"), ("if-range", &last_modified)])
        .await;
    assert_eq!(resp.status(), 206);
    let resp = s
        .get(&[
            ("range", "bytes=0-9"),
            ("if-range", "Sat, 01 Jan 2000 00:00:00 GMT"),
        ])
        .await;
    assert_eq!(resp.status(), 200);

    // If-Match: a stale tag fails the precondition.
    let resp = s.get(&[("if-match", "\"stale\"")]).await;
    assert_eq!(resp.status(), 412);
    let resp = s.get(&[("if-match", &etag)]).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn auth_and_unknown_tracks() {
    let s = streamed(&[]).await;
    let bare = s.app.url(&format!("/stream/{}", s.id));
    let status = |resp: Response| resp.status().as_u16();
    let http = &s.app.http;

    assert_eq!(status(http.get(&bare).send().await.expect("get")), 401);
    assert_eq!(
        status(
            http.get(format!("{bare}?token=garbage"))
                .send()
                .await
                .expect("get")
        ),
        401
    );
    assert_eq!(
        status(
            http.get(&bare)
                .bearer_auth("not-a-jwt")
                .send()
                .await
                .expect("get")
        ),
        401
    );
    // The access token works as a bearer header…
    assert_eq!(
        status(
            http.get(&bare)
                .bearer_auth(&s.ann.access)
                .send()
                .await
                .expect("get")
        ),
        200
    );
    // …but not as a stream token, and a stream token is not an access token.
    assert_eq!(
        status(
            http.get(format!("{bare}?token={}", s.ann.access))
                .send()
                .await
                .expect("get")
        ),
        401
    );
    let token = s.url.split("token=").nth(1).expect("token").to_owned();
    let body = s.app.gql(Some(&token), "{ me { id } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // A token for one track does not open another.
    let artist = create_artist(&s.app, &s.ann, "Other").await;
    let other = upload_fixture(&s.app, &s.ann, &artist, "tone.wav").await;
    let other_url = s.app.url(&format!(
        "/stream/{}?token={token}",
        other["id"].as_str().expect("id")
    ));
    assert_eq!(status(http.get(other_url).send().await.expect("get")), 401);

    // Unknown and malformed ids are 404 to a signed-in caller; nothing outside MEDIA_DIR.
    for path in [
        format!("/stream/{}", uuid::Uuid::new_v4()),
        "/stream/not-a-uuid".into(),
        "/stream/..%2F..%2F..%2Fetc%2Fpasswd".into(),
        "/stream/%2e%2e".into(),
    ] {
        let url = reqwest::Url::parse(&s.app.url(&path)).expect("url");
        let resp = http
            .get(url.clone())
            .bearer_auth(&s.ann.access)
            .send()
            .await
            .expect("get");
        if url.path().starts_with("/stream/") {
            assert_eq!(resp.status(), 404, "{path}");
        } else {
            // The client resolved the dot segments: the request went to `url.path()` (the web
            // client's page), not to a file.
            let ct = resp.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .expect("ct");
            assert!(!ct.starts_with("audio/"), "{path} -> {}: {ct}", url.path());
        }
    }

    // Anonymous viewers get the bare URL.
    let body = s
        .app
        .gql(
            None,
            "query($id: UUID!) { track(id: $id) { streamUrl } }",
            json!({ "id": s.id }),
        )
        .await;
    assert_eq!(
        body["data"]["track"]["streamUrl"],
        format!("/stream/{}", s.id)
    );
}

#[tokio::test]
async fn stream_tokens_expire() {
    let s = streamed(&[("STREAM_TOKEN_TTL_SECS", "1")]).await;
    assert_eq!(s.get(&[]).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(s.get(&[]).await.status(), 401);
}

#[tokio::test]
async fn metadata_route() {
    let s = streamed(&[]).await;
    let url = s.app.url(&format!("/stream/{}/metadata", s.id));
    let resp = s
        .app
        .http
        .get(&url)
        .bearer_auth(&s.ann.access)
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 200);
    let meta: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(meta["id"], s.id.as_str());
    assert_eq!(meta["title"], "Flac Tone");
    assert_eq!(meta["artist"], "Sine Wave");
    assert_eq!(meta["durationMs"], 3000);
    assert_eq!(meta["format"], "flac");
    assert_eq!(meta["mimeType"], "audio/flac");
    assert_eq!(meta["size"], s.bytes.len());
    assert!(meta["bitrate"].as_i64().is_some_and(|b| b > 0));
    let resp = s.app.http.get(&url).send().await.expect("get");
    assert_eq!(resp.status(), 401);
    let resp = s
        .app
        .http
        .get(
            s.app
                .url(&format!("/stream/{}/metadata", uuid::Uuid::new_v4())),
        )
        .bearer_auth(&s.ann.access)
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn authenticated_answers_vary_on_authorization() {
    // A browser must not answer a request without the bearer header from bytes it cached for
    // one with it (or for another user's), nor lose CORS's own Vary.
    let s = streamed(&[]).await;
    let bare = s.app.url(&format!("/stream/{}", s.id));
    let metadata = s.app.url(&format!("/stream/{}/metadata", s.id));
    let etag = header_of(&s.get(&[]).await, header::ETAG);
    let http = &s.app.http;
    let cases = [
        (http.get(&bare).bearer_auth(&s.ann.access), 200),
        (
            http.get(&bare)
                .bearer_auth(&s.ann.access)
                .header("range", "bytes=0-9"),
            206,
        ),
        (
            http.get(&bare)
                .bearer_auth(&s.ann.access)
                .header("if-none-match", etag.as_str()),
            304,
        ),
        (http.head(&bare).bearer_auth(&s.ann.access), 200),
        (http.get(&bare), 401),
        (http.get(&s.url), 200),
        (http.get(&metadata).bearer_auth(&s.ann.access), 200),
        (http.get(&metadata), 401),
    ];
    for (request, status) in cases {
        let resp = request
            .header("origin", "http://localhost:5173")
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status().as_u16(), status, "{}", resp.url());
        let vary = vary_of(&resp);
        assert!(
            vary.contains(&"authorization".to_owned()),
            "{status} {}: {vary:?}",
            resp.url()
        );
        assert!(vary.contains(&"origin".to_owned()), "{vary:?}");
    }
    let resp = s.get(&[]).await;
    assert_eq!(header_of(&resp, header::CACHE_CONTROL), "private");
}
