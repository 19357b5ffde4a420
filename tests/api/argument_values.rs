//! Argument values that would not parse are refused before anything runs, as the spec's
//! "Values of Correct Type" rule wants: literals and variables, over HTTP and WebSocket, with
//! `BAD_USER_INPUT` naming the argument. `Upload` values must be files the request carried.

use serde_json::{Value, json};

use crate::helpers::uploads::{fixture, multipart, send_multipart};
use crate::helpers::{TestApp, WsClient};

const GRJ: &str = "application/graphql-response+json";

async fn post(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let resp = app
        .http
        .post(app.url("/graphql"))
        .header("accept", GRJ)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

fn assert_refused_on(body: &Value, field: &str) {
    assert!(body.get("data").is_none(), "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(error["extensions"]["field"], field, "{body}");
}

async fn artist_count(app: &TestApp, token: &str) -> i64 {
    let body = app
        .gql(Some(token), "{ artists { totalCount } }", json!({}))
        .await;
    body["data"]["artists"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"))
}

const CREATE_THEN_BAD_INT: &str = "mutation { createArtist(input: { name: \"zz\" }) { id tracks(first: 99999999999) { totalCount } } }";

#[tokio::test]
async fn an_invalid_literal_refuses_the_whole_document_before_it_runs() {
    let app = TestApp::spawn().await;
    let s = app.register("values@example.com", "values").await;
    let (status, body) = post(&app, &s.access, json!({ "query": CREATE_THEN_BAD_INT })).await;
    assert_eq!(status, 400, "{body}");
    assert_refused_on(&body, "first");
    assert_eq!(artist_count(&app, &s.access).await, 0, "nothing ran");

    let (status, body) = post(
        &app,
        &s.access,
        json!({ "query": "{ track(id: \"not-a-uuid\") { id } }" }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_refused_on(&body, "id");
    let nested = "mutation { updatePlayback(input: { trackId: \"x\", positionMs: 0, isPlaying: true }) { version } }";
    let (status, body) = post(&app, &s.access, json!({ "query": nested })).await;
    assert_eq!(status, 400, "{body}");
    assert_refused_on(&body, "input");
}

#[tokio::test]
async fn invalid_variables_are_refused_the_same_way() {
    let app = TestApp::spawn().await;
    let s = app.register("vars@example.com", "vars").await;
    let query = "mutation($n: Int, $i: CreateArtistInput!) { createArtist(input: $i) { id tracks(first: $n) { totalCount } } }";
    let (status, body) = post(
        &app,
        &s.access,
        json!({ "query": query, "variables": { "n": 99_999_999_999_i64, "i": { "name": "zz" } } }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_refused_on(&body, "first");
    let (status, body) = post(
        &app,
        &s.access,
        json!({ "query": "query($id: UUID!) { track(id: $id) { id } }", "variables": { "id": "123" } }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_refused_on(&body, "id");
    assert_eq!(artist_count(&app, &s.access).await, 0);
    // A good one still runs.
    let (status, body) = post(
        &app,
        &s.access,
        json!({ "query": query, "variables": { "n": 5, "i": { "name": "zz" } } }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(artist_count(&app, &s.access).await, 1);
}

#[tokio::test]
async fn over_websocket_an_invalid_value_is_an_error_message_and_nothing_runs() {
    let app = TestApp::spawn().await;
    let s = app.register("wsvalues@example.com", "wsvalues").await;
    let mut ws = WsClient::signed_in(&app, Some(&s.access)).await;
    ws.subscribe("1", CREATE_THEN_BAD_INT, json!({})).await;
    let reply = ws.next_for("1").await;
    assert_eq!(reply["type"], "error", "{reply}");
    assert_eq!(
        reply["payload"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{reply}"
    );
    assert_eq!(artist_count(&app, &s.access).await, 0);
}

const UPLOAD_BY_VARIABLE: &str =
    "mutation($f: Upload!, $i: UploadTrackInput!) { uploadTrack(input: $i, file: $f) { id } }";

#[tokio::test]
async fn a_json_string_posing_as_a_file_is_refused_over_http_and_websocket() {
    let app = TestApp::spawn().await;
    let s = app.register("posing@example.com", "posing").await;
    let artist = crate::helpers::uploads::create_artist(&app, &s, "Posers").await;
    let input = json!({ "name": "fake", "artistId": artist });
    for reference in [
        "#__graphql_file__:0",
        "#__graphql_file__:x",
        "#__graphql_file__:99",
    ] {
        let variables = json!({ "f": reference, "i": input });
        let (status, body) = post(
            &app,
            &s.access,
            json!({ "query": UPLOAD_BY_VARIABLE, "variables": variables }),
        )
        .await;
        assert_eq!(status, 400, "{reference}: {body}");
        assert_refused_on(&body, "file");
    }
    // Over WebSocket the operation ends with an error and frees its slot.
    let app = TestApp::spawn_with(&[("WS_MAX_OPERATIONS_PER_CONNECTION", "1")]).await;
    let s = app.register("posing@example.com", "posing").await;
    let mut ws = WsClient::signed_in(&app, Some(&s.access)).await;
    for (id, reference) in [("1", "#__graphql_file__:0"), ("2", "#__graphql_file__:x")] {
        let variables = json!({ "f": reference, "i": input });
        ws.subscribe(id, UPLOAD_BY_VARIABLE, variables).await;
        let reply = ws.next_for(id).await;
        assert_eq!(reply["type"], "error", "{reply}");
        assert_eq!(
            reply["payload"][0]["extensions"]["field"], "file",
            "{reply}"
        );
    }
    ws.subscribe("3", "{ serverTime }", json!({})).await;
    assert_eq!(ws.next_for("3").await["type"], "next");
}

#[tokio::test]
async fn one_staged_file_goes_to_one_argument_only() {
    let app = TestApp::spawn().await;
    let s = app.register("aliased@example.com", "aliased").await;
    let artist = crate::helpers::uploads::create_artist(&app, &s, "Aliases").await;
    let wav = fixture("tone.wav");
    let input = json!({ "name": "twice", "artistId": artist });
    let part = [("0", "tone.wav", "audio/wav", wav.as_slice())];

    // Two aliased uploads given the same variable.
    let twice = "mutation($f: Upload!, $i: UploadTrackInput!) { a: uploadTrack(input: $i, file: $f) { id } b: uploadTrack(input: $i, file: $f) { id } }";
    let operations = json!({ "query": twice, "variables": { "f": null, "i": input } });
    let (boundary, body) = multipart(&operations, &json!({ "0": ["variables.f"] }), &part);
    let (status, body) = send_multipart(&app, Some(&s.access), &boundary, body).await;
    assert_eq!(status, 200, "{body}");
    assert_refused_on(&body, "file");

    // One file mapped to many variables (each path would reopen the file).
    let many = "mutation($f: Upload!, $g: Upload!, $i: UploadTrackInput!) { a: uploadTrack(input: $i, file: $f) { id } b: uploadTrack(input: $i, file: $g) { id } }";
    let operations = json!({ "query": many, "variables": { "f": null, "g": null, "i": input } });
    let paths: Vec<String> = (0..2000)
        .map(|_| "variables.f".to_owned())
        .chain(["variables.g".to_owned()])
        .collect();
    let (boundary, body) = multipart(&operations, &json!({ "0": paths }), &part);
    let (status, body) = send_multipart(&app, Some(&s.access), &boundary, body).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    let tracks = app
        .gql(Some(&s.access), "{ tracks { totalCount } }", json!({}))
        .await;
    assert_eq!(tracks["data"]["tracks"]["totalCount"], 0, "{tracks}");
}
