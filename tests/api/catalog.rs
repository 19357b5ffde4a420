//! Artists and tracks: search and filters, pagination, permissions,
//! deletion, the N+1 guard and the import command.

use serde_json::{Value, json};

use crate::helpers::uploads::{create_artist, fixture, media_files, upload, upload_fixture};
use crate::helpers::{TestApp, code, test_config};

#[tokio::test]
async fn artists_search_and_permissions() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let bob = app.register("bob@example.com", "bob").await;
    let blue = create_artist(&app, &ann, "Blue Notes").await;
    create_artist(&app, &ann, "Deep BLUE whale").await;
    create_artist(&app, &bob, "Red 100%").await;

    let search = |q: &'static str| {
        let app = &app;
        async move {
            let body = app
                .gql(
                    None,
                    "query($q: String) { artists(search: $q) { totalCount nodes { name } } }",
                    json!({ "q": q }),
                )
                .await;
            body["data"]["artists"]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| n["name"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("blue").await, vec!["Blue Notes", "Deep BLUE whale"]);
    assert_eq!(search("100%").await, vec!["Red 100%"]);
    assert!(search("%").await.len() == 1, "a % in the text is a literal");
    assert!(search("_").await.is_empty());
    assert_eq!(search("").await.len(), 3);

    // Only the creator (or an admin) changes an artist.
    let rename = "mutation($id: UUID!, $n: String) { updateArtist(id: $id, input: { name: $n }) { name genre } }";
    let body = app
        .gql(
            Some(&bob.access),
            rename,
            json!({ "id": blue, "n": "Mine" }),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app
        .gql(
            Some(&ann.access),
            rename,
            json!({ "id": blue, "n": "  Blue Notes Trio " }),
        )
        .await;
    assert_eq!(
        body["data"]["updateArtist"]["name"], "Blue Notes Trio",
        "{body}"
    );
    assert_eq!(body["data"]["updateArtist"]["genre"], "Test");
    app.make_admin(&bob.user_id).await;
    let body = app
        .gql(
            Some(&bob.access),
            rename,
            json!({ "id": blue, "n": "Admin edit" }),
        )
        .await;
    assert_eq!(body["data"]["updateArtist"]["name"], "Admin edit", "{body}");

    // Bad input names its field; anonymous callers cannot create.
    let create = "mutation($i: CreateArtistInput!) { createArtist(input: $i) { id } }";
    let body = app
        .gql(Some(&ann.access), create, json!({ "i": { "name": "  " } }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "name");
    let body = app
        .gql(
            Some(&ann.access),
            create,
            json!({ "i": { "name": "X", "imageUrl": "javascript:alert(1)" } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "imageUrl");
    let body = app.gql(None, create, json!({ "i": { "name": "X" } })).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");

    // An artist with tracks cannot be deleted; without, it can.
    upload_fixture(&app, &ann, &blue, "tone.wav").await;
    let delete = "mutation($id: UUID!) { deleteArtist(id: $id) }";
    let body = app
        .gql(Some(&ann.access), delete, json!({ "id": blue }))
        .await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    let lonely = create_artist(&app, &ann, "Lonely").await;
    let body = app
        .gql(Some(&ann.access), delete, json!({ "id": lonely }))
        .await;
    assert_eq!(body["data"]["deleteArtist"], true);
    let body = app
        .gql(
            None,
            "query($id: UUID!) { artist(id: $id) { id } }",
            json!({ "id": lonely }),
        )
        .await;
    assert!(body["data"]["artist"].is_null());
}

#[tokio::test]
async fn tracks_filter_and_paginate() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let page =
        "query($first: Int, $after: String, $search: String, $artistId: UUID, $genre: String) {
      tracks(first: $first, after: $after, search: $search, artistId: $artistId, genre: $genre) {
        totalCount edges { cursor node { name genre } } pageInfo { hasNextPage endCursor }
      }
    }";
    // Empty.
    let body = app.gql(None, page, json!({ "first": 5 })).await;
    let tracks = &body["data"]["tracks"];
    assert_eq!(tracks["totalCount"], 0);
    assert_eq!(tracks["edges"], json!([]));
    assert_eq!(tracks["pageInfo"]["hasNextPage"], false);

    let a = create_artist(&app, &ann, "A").await;
    let b = create_artist(&app, &ann, "B").await;
    let names = [
        ("Alpha", &a, Some("Jazz")),
        ("Bravo", &a, Some("jazz")),
        ("Charlie blue", &b, Some("Rock")),
    ];
    for (name, artist, genre) in names {
        let (_, body) = upload(
            &app,
            &ann,
            artist,
            "tone.wav",
            &fixture("tone.wav"),
            Some(name),
        )
        .await;
        let id = body["data"]["uploadTrack"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        app.gql(
            Some(&ann.access),
            "mutation($id: UUID!, $g: String) { updateTrack(id: $id, input: { genre: $g }) { id } }",
            json!({ "id": id, "g": genre }),
        )
        .await;
    }

    // Exactly one page.
    let body = app.gql(None, page, json!({ "first": 3 })).await;
    let tracks = &body["data"]["tracks"];
    assert_eq!(tracks["totalCount"], 3);
    assert_eq!(tracks["edges"].as_array().map(Vec::len), Some(3));
    assert_eq!(tracks["pageInfo"]["hasNextPage"], false);
    let end = tracks["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    // A cursor at (or past) the end gives an empty page.
    let body = app
        .gql(None, page, json!({ "first": 3, "after": end }))
        .await;
    assert_eq!(body["data"]["tracks"]["edges"], json!([]));
    assert_eq!(body["data"]["tracks"]["pageInfo"]["hasNextPage"], false);
    // Walking two at a time.
    let body = app.gql(None, page, json!({ "first": 2 })).await;
    assert_eq!(body["data"]["tracks"]["pageInfo"]["hasNextPage"], true);
    let after = body["data"]["tracks"]["pageInfo"]["endCursor"].clone();
    let body = app
        .gql(None, page, json!({ "first": 2, "after": after }))
        .await;
    let rest: Vec<&str> = body["data"]["tracks"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["name"].as_str())
        .collect();
    assert_eq!(rest, vec!["Charlie blue"]);
    // Bad arguments.
    let body = app.gql(None, page, json!({ "first": -1 })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let body = app.gql(None, page, json!({ "after": "bogus" })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");

    // Filters: artist, genre (case-insensitive), search, combined.
    let count = |vars: Value| {
        let app = &app;
        async move { app.gql(None, page, vars).await["data"]["tracks"]["totalCount"].as_i64() }
    };
    assert_eq!(count(json!({ "artistId": a })).await, Some(2));
    assert_eq!(count(json!({ "genre": "JAZZ" })).await, Some(2));
    assert_eq!(count(json!({ "search": "BLUE" })).await, Some(1));
    assert_eq!(
        count(json!({ "artistId": b, "genre": "jazz" })).await,
        Some(0)
    );
    // Artist.tracks is the same list.
    let body = app
        .gql(
            None,
            "query($id: UUID!) { artist(id: $id) { tracks { totalCount nodes { name } } } }",
            json!({ "id": a }),
        )
        .await;
    assert_eq!(body["data"]["artist"]["tracks"]["totalCount"], 2);
}

#[tokio::test]
async fn only_the_uploader_or_an_admin_changes_a_track_and_delete_cleans_up() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let bob = app.register("bob@example.com", "bob").await;
    let artist = create_artist(&app, &ann, "Sine Wave").await;
    let track = upload_fixture(&app, &ann, &artist, "tone.flac").await;
    let other = upload_fixture(&app, &ann, &artist, "tone.wav").await;
    let id = track["id"].as_str().expect("id");
    let stream_url = app.url(track["streamUrl"].as_str().expect("url"));

    let rename =
        "mutation($id: UUID!) { updateTrack(id: $id, input: { name: \"Renamed\" }) { name } }";
    let body = app
        .gql(Some(&bob.access), rename, json!({ "id": id }))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app
        .gql(Some(&ann.access), rename, json!({ "id": id }))
        .await;
    assert_eq!(body["data"]["updateTrack"]["name"], "Renamed");

    // It sits in bob's playlist (between two others) and in both users' favorites.
    let playlist = app
        .gql(
            Some(&bob.access),
            "mutation { createPlaylist(input: { name: \"Mix\" }) { id } }",
            json!({}),
        )
        .await["data"]["createPlaylist"]["id"]
        .as_str()
        .expect("playlist")
        .to_owned();
    let add = "mutation($p: UUID!, $t: UUID!) { addTrackToPlaylist(playlistId: $p, trackId: $t) { trackCount } }";
    let extra = upload_fixture(&app, &ann, &artist, "tone.ogg").await;
    for t in [&other["id"], &track["id"], &extra["id"]] {
        app.gql(Some(&bob.access), add, json!({ "p": playlist, "t": t }))
            .await;
    }
    for s in [&ann, &bob] {
        app.gql(
            Some(&s.access),
            "mutation($t: UUID!) { addFavorite(trackId: $t) { id } }",
            json!({ "t": id }),
        )
        .await;
    }
    let files_before = media_files(&app).len();

    let delete = "mutation($id: UUID!) { deleteTrack(id: $id) }";
    let body = app
        .gql(Some(&bob.access), delete, json!({ "id": id }))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app
        .gql(Some(&ann.access), delete, json!({ "id": id }))
        .await;
    assert_eq!(body["data"]["deleteTrack"], true, "{body}");
    let body = app
        .gql(Some(&ann.access), delete, json!({ "id": id }))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");

    assert_eq!(media_files(&app).len(), files_before - 1);
    let resp = app.http.get(&stream_url).send().await.expect("get");
    assert!(
        resp.status() == 404 || resp.status() == 401,
        "{}",
        resp.status()
    );
    let body = app
        .gql(
            Some(&bob.access),
            "query($p: UUID!) { playlist(id: $p) { trackCount tracks { nodes { id } } } favorites { totalCount } }",
            json!({ "p": playlist }),
        )
        .await;
    assert_eq!(body["data"]["playlist"]["trackCount"], 2, "{body}");
    assert_eq!(
        body["data"]["playlist"]["tracks"]["nodes"],
        json!([{ "id": other["id"] }, { "id": extra["id"] }])
    );
    assert_eq!(body["data"]["favorites"]["totalCount"], 0);
    // The gap it left is closed: a move to position 1 still works on two entries.
    let body = app
        .gql(
            Some(&bob.access),
            "mutation($p: UUID!, $t: UUID!) { moveTrackInPlaylist(playlistId: $p, trackId: $t, position: 0) { tracks { nodes { id } } } }",
            json!({ "p": playlist, "t": extra["id"] }),
        )
        .await;
    assert_eq!(
        body["data"]["moveTrackInPlaylist"]["tracks"]["nodes"],
        json!([{ "id": extra["id"] }, { "id": other["id"] }])
    );

    // An admin may delete anyone's track.
    app.make_admin(&bob.user_id).await;
    let body = app
        .gql(Some(&bob.access), delete, json!({ "id": other["id"] }))
        .await;
    assert_eq!(body["data"]["deleteTrack"], true, "{body}");
}

#[tokio::test]
async fn fifty_tracks_with_artists_take_a_bounded_number_of_statements() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    for i in 0..50 {
        app.create_track(&format!("Track {i:02}"), 180_000).await;
    }
    let query = "query($first: Int) { tracks(first: $first) { totalCount nodes {
        id name streamUrl isFavorite artist { id name } uploadedBy { id }
    } } }";
    // Each size twice, keeping the fewest: on a busy machine a loader's batch may split in two
    // (it gathers keys for 1 ms), which adds a statement but never follows the page size.
    let mut fewest = [u64::MAX; 2];
    for (i, first) in [5, 50, 5, 50].into_iter().enumerate() {
        let before = app.state.db_statement_count();
        let body = app
            .gql(Some(&ann.access), query, json!({ "first": first }))
            .await;
        let after = app.state.db_statement_count();
        let nodes = body["data"]["tracks"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), first, "{body}");
        assert!(nodes.iter().all(|n| n["artist"]["name"].is_string()));
        fewest[i % 2] = fewest[i % 2].min(after - before);
    }
    // count + page + one batch of artists + one batch of favorites.
    assert!(fewest[1] <= 5, "50 tracks took {} statements", fewest[1]);
    assert!(
        fewest[1] <= fewest[0] + 1,
        "statement count grew with the page: {fewest:?}"
    );
}

#[tokio::test]
async fn artists_with_their_tracks_take_a_bounded_number_of_statements() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-art@example.com", "ann").await;
    // Artist k has k tracks, inserted in reverse name order.
    for k in 0..6 {
        let artist = app.create_artist(&format!("Band {k}")).await;
        for j in (0..k).rev() {
            app.add_track(&artist, &format!("Song {j}"), 60_000).await;
        }
    }
    let query = "query($n: Int) { artists(first: $n) { nodes { name
        tracks(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { name } }
    } } }";
    // Each size twice, keeping the fewest (a loader's batch may split on a busy machine).
    let mut fewest = [u64::MAX; 2];
    let mut last = serde_json::Value::Null;
    for (i, n) in [2, 6, 2, 6].into_iter().enumerate() {
        let before = app.state.db_statement_count();
        let body = app.gql(Some(&ann.access), query, json!({ "n": n })).await;
        fewest[i % 2] = fewest[i % 2].min(app.state.db_statement_count() - before);
        assert!(body["errors"].is_null(), "{body}");
        last = body;
    }
    assert!(
        fewest[1] <= fewest[0] + 1,
        "statement count grew with the artists: {fewest:?}"
    );
    let artists = last["data"]["artists"]["nodes"].as_array().expect("nodes");
    for (k, artist) in artists.iter().enumerate() {
        assert_eq!(artist["name"], format!("Band {k}"), "{last}");
        let tracks = &artist["tracks"];
        assert_eq!(tracks["totalCount"], k, "{artist}");
        let names: Vec<String> = (0..k.min(2)).map(|j| format!("Song {j}")).collect();
        assert_eq!(
            tracks["nodes"],
            json!(
                names
                    .iter()
                    .map(|n| json!({ "name": n }))
                    .collect::<Vec<_>>()
            ),
            "{artist}"
        );
        assert_eq!(tracks["pageInfo"]["hasNextPage"], k > 2, "{artist}");
    }

    // The next page continues where the first ended, as the top-level list does.
    let band5 = &artists[5]["tracks"]["pageInfo"]["endCursor"];
    let body = app
        .gql(
            Some(&ann.access),
            "query($a: String) { artists(search: \"Band 5\") { nodes { tracks(first: 2, after: $a) { nodes { name } } } } }",
            json!({ "a": band5 }),
        )
        .await;
    assert_eq!(
        body["data"]["artists"]["nodes"][0]["tracks"]["nodes"],
        json!([{ "name": "Song 2" }, { "name": "Song 3" }]),
        "{body}"
    );
}

#[tokio::test]
async fn import_command_fills_the_catalog_from_a_folder() {
    let config = test_config(&[]);
    let dir = std::env::temp_dir().join(format!("import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("sub")).expect("dir");
    std::fs::write(dir.join("cbr.mp3"), fixture("cbr.mp3")).expect("write");
    std::fs::write(dir.join("tone.flac"), fixture("tone.flac")).expect("write");
    std::fs::write(dir.join("sub/tone.ogg"), fixture("tone.ogg")).expect("write");
    std::fs::write(dir.join("readme.txt"), "not audio").expect("write");

    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_soundroom"));
    cmd.arg("import")
        .arg(&dir)
        .args(["--genre", "Imported"])
        .env("APP_ENV", "test")
        .env("DATA_DIR", &config.data_dir)
        .env("DATABASE_URL", &config.database_url)
        .env("JWT_ACCESS_SECRET", "test-access-secret-0123456789abcdef")
        .env("JWT_REFRESH_SECRET", "test-refresh-secret-0123456789abcdef")
        .env("JWT_2FA_SECRET", "test-2fa-secret-0123456789abcdef")
        .env("RUST_LOG", "warn");
    if let Some(schema) = &config.database_schema {
        cmd.env("DATABASE_SCHEMA", schema);
    }
    let output = cmd.output().expect("run soundroom import");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("imported 3 track(s), skipped 1 file(s)"),
        "{stdout}"
    );

    let app = TestApp::start(config).await;
    let body = app
        .gql(
            None,
            "{ tracks { totalCount nodes { name genre durationMs format artist { name } } } }",
            json!({}),
        )
        .await;
    let nodes = body["data"]["tracks"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(body["data"]["tracks"]["totalCount"], 3, "{body}");
    let find = |name: &str| nodes.iter().find(|n| n["name"] == name).cloned();
    let mp3 = find("Blue Tone").expect("title tag used");
    assert_eq!(mp3["artist"]["name"], "Tag Artist");
    assert_eq!(mp3["genre"], "Jazz");
    assert_eq!(
        find("Flac Tone").expect("flac")["artist"]["name"],
        "Tag Artist"
    );
    let ogg = find("tone").expect("file name used without a title tag");
    assert_eq!(ogg["artist"]["name"], "Unknown artist");
    assert_eq!(ogg["genre"], "Imported");
    assert_eq!(media_files(&app).len(), 3);
    // One artist per name.
    let artists = app.gql(None, "{ artists { totalCount } }", json!({})).await;
    assert_eq!(artists["data"]["artists"]["totalCount"], 2);
    let _ = std::fs::remove_dir_all(dir);
}
