//! Media in an S3-compatible bucket (`MEDIA_STORE=s3://…`) against a real Garage server: tracks
//! and attachments are uploaded to it (in one PUT, and as a multipart upload past 8 MiB) and
//! served from it byte for byte on every range case; deletes remove the objects; a failed
//! upload leaves no row; `MEDIA_REDIRECT=presigned` hands out working presigned URLs; a bucket
//! that cannot be used stops the server at start-up; and two instances sharing the bucket serve
//! each other's uploads.

use std::sync::Arc;

use object_store::{ObjectStore, aws::AmazonS3Builder, path::Path as ObjectPath};
use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::s3::{BUCKET, Garage, KEY_ID, REGION, SECRET, garage};
use crate::helpers::uploads::{create_artist, media_files, upload};
use crate::helpers::{TestApp, code, test_config};
use crate::messenger::{circle, id, uploaded};
use crate::stream_cache::wav;

/// A client of the test bucket, to look at what the server stored.
fn bucket(garage: &Garage) -> Arc<dyn ObjectStore> {
    Arc::new(
        AmazonS3Builder::new()
            .with_bucket_name(BUCKET)
            .with_region(REGION)
            .with_endpoint(&garage.endpoint)
            .with_allow_http(true)
            .with_access_key_id(KEY_ID)
            .with_secret_access_key(SECRET)
            .build()
            .expect("s3 client"),
    )
}

fn env_of(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn prefix_of(pairs: &[(String, String)]) -> String {
    let store = &pairs
        .iter()
        .find(|(k, _)| k == "MEDIA_STORE")
        .expect("store")
        .1;
    store
        .trim_start_matches(&format!("s3://{BUCKET}/"))
        .to_owned()
}

async fn objects(store: &Arc<dyn ObjectStore>, prefix: &str) -> Vec<String> {
    use futures_util::TryStreamExt;
    let mut names: Vec<String> = store
        .list(Some(&ObjectPath::from(prefix)))
        .map_ok(|meta| meta.location.to_string())
        .try_collect()
        .await
        .expect("list");
    names.sort();
    names
}

async fn body(resp: reqwest::Response) -> Vec<u8> {
    resp.bytes().await.expect("body").to_vec()
}

/// Every range case of `/stream` against the uploaded bytes.
async fn assert_serves(app: &TestApp, url: &str, bytes: &[u8]) {
    let size = bytes.len();
    let full = app.get_with(url, &[]).await;
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()[header::CONTENT_TYPE], "audio/wav");
    let etag = full.headers()[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    assert_eq!(body(full).await, bytes, "the whole file");

    let cases: [(String, std::ops::Range<usize>); 4] = [
        ("bytes=0-99".into(), 0..100),
        (
            format!("bytes={}-{}", size / 3, size / 3 + 300_000),
            size / 3..size / 3 + 300_001,
        ),
        ("bytes=-1000".into(), size - 1000..size),
        (format!("bytes={}-", size - 10), size - 10..size),
    ];
    for (range, expect) in cases {
        let resp = app.get_with(url, &[("range", &range)]).await;
        assert_eq!(resp.status(), 206, "{range}");
        assert_eq!(
            resp.headers()[header::CONTENT_RANGE],
            format!("bytes {}-{}/{size}", expect.start, expect.end - 1).as_str()
        );
        assert_eq!(body(resp).await, &bytes[expect.clone()], "{range}");
        // Served again, from the blocks cached by the first read.
        let again = app.get_with(url, &[("range", &range)]).await;
        assert_eq!(body(again).await, &bytes[expect], "{range}, again");
    }
    let multi = app.get_with(url, &[("range", "bytes=0-9,20-29")]).await;
    assert_eq!(multi.status(), 206);
    let text = body(multi).await;
    assert!(text.windows(10).any(|w| w == &bytes[20..30]), "multipart");
    let unsatisfiable = app
        .get_with(url, &[("range", &format!("bytes={size}-"))])
        .await;
    assert_eq!(unsatisfiable.status(), 416);
    let cached = app.get_with(url, &[("if-none-match", &etag)]).await;
    assert_eq!(cached.status(), 304);
}

#[tokio::test]
async fn tracks_are_stored_in_the_bucket_and_served_on_every_range_case() {
    let Some(garage) = garage() else { return };
    let env = garage.media_env();
    let app = TestApp::spawn_with(&env_of(&env)).await;
    let store = bucket(garage);
    let prefix = prefix_of(&env);
    let ann = app.register("bucket@example.com", "bucket").await;
    let artist = create_artist(&app, &ann, "Noise").await;

    // One PUT, and a multipart upload (past 8 MiB: two parts).
    let small = wav(700_000);
    let large = wav(9 * 1024 * 1024 + 4_000);
    let mut ids = Vec::new();
    for (name, bytes) in [("small.wav", &small), ("large.wav", &large)] {
        let (status, body) = upload(&app, &ann, &artist, name, bytes, None).await;
        assert_eq!(status, 200, "{body}");
        let track = &body["data"]["uploadTrack"];
        assert_eq!(track["sizeBytes"], bytes.len(), "{body}");
        let url = track["streamUrl"].as_str().expect("streamUrl");
        assert_serves(&app, url, bytes).await;
        ids.push(track["id"].as_str().expect("id").replace('-', ""));
    }
    let stored = objects(&store, &prefix).await;
    let expected: Vec<String> = {
        let mut e: Vec<String> = ids
            .iter()
            .map(|id| format!("{prefix}/tracks/{id}"))
            .collect();
        e.sort();
        e
    };
    assert_eq!(stored, expected);
    let head = store
        .head(&ObjectPath::from(format!("{prefix}/tracks/{}", ids[1])))
        .await
        .expect("head");
    assert_eq!(head.size, large.len() as u64);
    assert!(
        media_files(&app).is_empty(),
        "nothing in the local directory"
    );

    // Deleting a track removes its object, and its stream is gone at once.
    let track_id = uuid::Uuid::parse_str(&ids[0]).expect("uuid").to_string();
    let deleted = app
        .gql(
            Some(&ann.access),
            "mutation($id: UUID!) { deleteTrack(id: $id) }",
            json!({ "id": track_id }),
        )
        .await;
    assert_eq!(deleted["data"]["deleteTrack"], true, "{deleted}");
    assert_eq!(
        objects(&store, &prefix).await,
        vec![format!("{prefix}/tracks/{}", ids[1])]
    );
    let gone = app
        .get_with(
            &format!("/stream/{track_id}"),
            &[("authorization", &format!("Bearer {}", ann.access))],
        )
        .await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn an_upload_whose_row_cannot_be_written_leaves_no_object() {
    let Some(garage) = garage() else { return };
    let env = garage.media_env();
    let app = TestApp::spawn_with(&env_of(&env)).await;
    let store = bucket(garage);
    let prefix = prefix_of(&env);
    let ann = app.register("norow@example.com", "norow").await;
    let artist = create_artist(&app, &ann, "Refused").await;
    refuse_track_rows(&app).await;
    let (status, body) = upload(&app, &ann, &artist, "refused.wav", &wav(300_000), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(code(&body), "INTERNAL_SERVER_ERROR", "{body}");
    assert!(
        objects(&store, &prefix).await.is_empty(),
        "no row, no object"
    );
    assert!(media_files(&app).is_empty());
}

/// Makes every insert into `tracks` fail, as a database refusing a write would.
async fn refuse_track_rows(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    let db = &app.state.db;
    let statements: &[&str] = if app.state.config.is_sqlite() {
        &[
            "CREATE TRIGGER refuse_tracks BEFORE INSERT ON tracks BEGIN SELECT RAISE(ABORT, 'refused'); END",
        ]
    } else {
        &[
            "CREATE FUNCTION refuse_rows() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_tracks BEFORE INSERT ON tracks FOR EACH ROW EXECUTE FUNCTION refuse_rows()",
        ]
    };
    for sql in statements {
        db.execute_unprepared(sql).await.expect("trigger");
    }
}

#[tokio::test]
async fn attachments_are_stored_in_the_bucket() {
    let Some(garage) = garage() else { return };
    let env = garage.media_env();
    let app = TestApp::spawn_with(&env_of(&env)).await;
    let store = bucket(garage);
    let prefix = prefix_of(&env);
    let users = circle(&app, &["ann", "bob"]).await;
    let bytes = wav(200_000);
    let file = uploaded(&app, &users[0], "voice.wav", &bytes).await;
    let url = file["url"].as_str().expect("url").to_owned();
    let whole = app.get_with(&url, &[]).await;
    assert_eq!(whole.status(), 200);
    assert!(whole.headers().contains_key(header::CONTENT_DISPOSITION));
    assert_eq!(body(whole).await, bytes);
    let part = app.get_with(&url, &[("range", "bytes=1000-1999")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(body(part).await, &bytes[1000..2000]);
    let key = format!("{prefix}/attachments/{}", id(&file).replace('-', ""));
    assert_eq!(objects(&store, &prefix).await, vec![key.clone()]);
    let head = store.head(&ObjectPath::from(key)).await.expect("head");
    assert_eq!(head.size, bytes.len() as u64);
}

#[tokio::test]
async fn presigned_redirects_lead_to_the_object() {
    let Some(garage) = garage() else { return };
    let mut env = garage.media_env();
    env.push(("MEDIA_REDIRECT".into(), "presigned".into()));
    let app = TestApp::spawn_with(&env_of(&env)).await;
    let ann = app.register("presign@example.com", "presign").await;
    let artist = create_artist(&app, &ann, "Noise").await;
    let bytes = wav(500_000);
    let (status, body_json) = upload(&app, &ann, &artist, "direct.wav", &bytes, None).await;
    assert_eq!(status, 200, "{body_json}");
    let track = &body_json["data"]["uploadTrack"];
    let path = track["streamUrl"].as_str().expect("streamUrl");
    let url = app.url(path);

    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = no_follow.get(&url).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
    let location = resp.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with(&garage.endpoint), "{location}");
    assert!(location.contains("X-Amz-Signature="), "{location}");

    // The presigned URL serves ranges itself, with the content type given at upload.
    let ranged = no_follow
        .get(&location)
        .header("range", "bytes=100-4099")
        .send()
        .await
        .expect("send");
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.headers()[header::CONTENT_TYPE], "audio/wav");
    assert_eq!(body(ranged).await, &bytes[100..4100]);
    // A client that follows redirects (an <audio> element does) gets the bytes.
    let followed = app.get_with(path, &[("range", "bytes=0-9")]).await;
    assert_eq!(followed.status(), 206);
    assert_eq!(body(followed).await, &bytes[..10]);
    // Auth is still checked before any redirect.
    let id = track["id"].as_str().expect("id");
    let anonymous = no_follow
        .get(app.url(&format!("/stream/{id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), 401);
    let forged = no_follow
        .get(app.url(&format!("/stream/{id}?token=forged")))
        .send()
        .await
        .expect("send");
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn a_bucket_that_cannot_be_used_stops_the_server() {
    let Some(garage) = garage() else { return };
    let mut env = garage.media_env();
    for (k, v) in env.iter_mut() {
        if k == "AWS_SECRET_ACCESS_KEY" {
            *v = "f".repeat(64);
        }
    }
    let config = test_config(&env_of(&env));
    let err = soundroom::Application::build(config)
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("MEDIA_STORE"), "{err:#}");
}

#[tokio::test]
async fn instances_sharing_a_bucket_serve_each_others_uploads() {
    let Some(garage) = garage() else { return };
    let env = garage.media_env();
    // One database, one bucket prefix: two instances of one deployment.
    let config = test_config(&env_of(&env));
    let a = TestApp::start(config.clone()).await;
    let mut second = config.clone();
    second.media.dir = std::env::temp_dir().join(format!(
        "soundroom-test-b-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let b = TestApp::start(second).await;
    let ann = a.register("shared@example.com", "shared").await;
    let artist = create_artist(&a, &ann, "Noise").await;
    let bytes = wav(600_000);
    let (status, body_json) = upload(&a, &ann, &artist, "through-a.wav", &bytes, None).await;
    assert_eq!(status, 200, "{body_json}");
    let stream_url = body_json["data"]["uploadTrack"]["streamUrl"]
        .as_str()
        .expect("streamUrl")
        .to_owned();
    assert_serves(&b, &stream_url, &bytes).await;
}
