//! Playlists (order, visibility, ownership) and favorites.

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, code};

const CREATE: &str = "mutation($i: CreatePlaylistInput!) { createPlaylist(input: $i) { id name isPublic trackCount owner { id } } }";
const ADD: &str = "mutation($p: UUID!, $t: UUID!, $at: Int) { addTrackToPlaylist(playlistId: $p, trackId: $t, position: $at) { trackCount tracks { nodes { name } } } }";
const MOVE: &str = "mutation($p: UUID!, $t: UUID!, $at: Int!) { moveTrackInPlaylist(playlistId: $p, trackId: $t, position: $at) { tracks { nodes { name } } } }";
const REMOVE: &str = "mutation($p: UUID!, $t: UUID!) { removeTrackFromPlaylist(playlistId: $p, trackId: $t) { trackCount tracks { nodes { name } } } }";

async fn playlist(app: &TestApp, owner: &Session, name: &str, public: bool) -> String {
    let body = app
        .gql(
            Some(&owner.access),
            CREATE,
            json!({ "i": { "name": name, "isPublic": public } }),
        )
        .await;
    body["data"]["createPlaylist"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn playlist_order_through_inserts_moves_and_removals() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let p = playlist(&app, &ann, "Road trip", false).await;
    let mut ids = Vec::new();
    for name in ["A", "B", "C", "D"] {
        ids.push(app.create_track(name, 1000).await);
    }
    let call = |query: &'static str, vars: Value| {
        let app = &app;
        let token = ann.access.clone();
        async move { app.gql(Some(&token), query, vars).await }
    };
    call(ADD, json!({ "p": p, "t": ids[0] })).await;
    call(ADD, json!({ "p": p, "t": ids[1] })).await;
    // At the front, in the middle, past the end.
    call(ADD, json!({ "p": p, "t": ids[2], "at": 0 })).await;
    let body = call(ADD, json!({ "p": p, "t": ids[3], "at": 2 })).await;
    assert_eq!(
        names(&body["data"]["addTrackToPlaylist"]["tracks"]["nodes"]),
        ["C", "A", "D", "B"]
    );
    assert_eq!(body["data"]["addTrackToPlaylist"]["trackCount"], 4);

    // At most once: adding again is CONFLICT.
    let body = call(ADD, json!({ "p": p, "t": ids[0] })).await;
    assert_eq!(code(&body), "CONFLICT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "trackId");

    let body = call(MOVE, json!({ "p": p, "t": ids[1], "at": 0 })).await;
    assert_eq!(
        names(&body["data"]["moveTrackInPlaylist"]["tracks"]["nodes"]),
        ["B", "C", "A", "D"]
    );
    let body = call(MOVE, json!({ "p": p, "t": ids[1], "at": 99 })).await;
    assert_eq!(
        names(&body["data"]["moveTrackInPlaylist"]["tracks"]["nodes"]),
        ["C", "A", "D", "B"]
    );
    let body = call(MOVE, json!({ "p": p, "t": ids[2], "at": 2 })).await;
    assert_eq!(
        names(&body["data"]["moveTrackInPlaylist"]["tracks"]["nodes"]),
        ["A", "D", "C", "B"]
    );

    let body = call(REMOVE, json!({ "p": p, "t": ids[3] })).await;
    assert_eq!(
        names(&body["data"]["removeTrackFromPlaylist"]["tracks"]["nodes"]),
        ["A", "C", "B"]
    );
    let body = call(REMOVE, json!({ "p": p, "t": ids[3] })).await;
    assert_eq!(code(&body), "NOT_FOUND");
    // Positions stayed contiguous: inserting at 1 lands between A and C.
    let body = call(ADD, json!({ "p": p, "t": ids[3], "at": 1 })).await;
    assert_eq!(
        names(&body["data"]["addTrackToPlaylist"]["tracks"]["nodes"]),
        ["A", "D", "C", "B"]
    );

    // Bad input.
    let body = call(ADD, json!({ "p": p, "t": ids[0], "at": -1 })).await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "position");
    let body = call(ADD, json!({ "p": p, "t": uuid::Uuid::new_v4() })).await;
    assert_eq!(code(&body), "NOT_FOUND");

    // Paging through the playlist keeps its order.
    let body = call(
        "query($p: UUID!) { playlist(id: $p) { tracks(first: 2) { nodes { name } pageInfo { hasNextPage endCursor } } } }",
        json!({ "p": p }),
    )
    .await;
    let tracks = &body["data"]["playlist"]["tracks"];
    assert_eq!(names(&tracks["nodes"]), ["A", "D"]);
    let after = tracks["pageInfo"]["endCursor"].clone();
    let body = call(
        "query($p: UUID!, $a: String) { playlist(id: $p) { tracks(first: 2, after: $a) { nodes { name } pageInfo { hasNextPage } } } }",
        json!({ "p": p, "a": after }),
    )
    .await;
    assert_eq!(
        names(&body["data"]["playlist"]["tracks"]["nodes"]),
        ["C", "B"]
    );
    assert_eq!(
        body["data"]["playlist"]["tracks"]["pageInfo"]["hasNextPage"],
        false
    );
}

#[tokio::test]
async fn concurrent_adds_keep_positions_contiguous() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let p = playlist(&app, &ann, "Party", false).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(app.create_track(&format!("T{i:02}"), 1000).await);
    }
    let adds = ids.iter().map(|t| {
        let app = &app;
        let token = ann.access.clone();
        let p = p.clone();
        async move {
            app.gql(Some(&token), ADD, json!({ "p": p, "t": t, "at": 0 }))
                .await
        }
    });
    for body in futures_util::future::join_all(adds).await {
        assert!(body["errors"].is_null(), "{body}");
    }
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let positions: Vec<i32> = entity::playlist_track::Entity::find()
        .filter(
            entity::playlist_track::Column::PlaylistId.eq(uuid::Uuid::parse_str(&p).expect("uuid")),
        )
        .order_by_asc(entity::playlist_track::Column::Position)
        .all(&app.state.db)
        .await
        .expect("entries")
        .into_iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(positions, (0..12).collect::<Vec<_>>());
}

#[tokio::test]
async fn owners_change_playlists_and_private_ones_are_invisible() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let bob = app.register("bob@example.com", "bob").await;
    let public = playlist(&app, &ann, "Public mix", true).await;
    let private = playlist(&app, &ann, "Secret mix", false).await;
    let track = app.create_track("Song", 1000).await;
    let read = "query($p: UUID!) { playlist(id: $p) { name isPublic owner { id username } } }";

    // Others (and anonymous callers) see the public one, not the private one.
    for token in [Some(bob.access.as_str()), None] {
        let body = app.gql(token, read, json!({ "p": public })).await;
        assert_eq!(
            body["data"]["playlist"]["owner"]["username"], "ann",
            "{body}"
        );
        let body = app.gql(token, read, json!({ "p": private })).await;
        assert!(body["data"]["playlist"].is_null(), "{body}");
    }
    // Changing someone's public playlist is FORBIDDEN; their private one does not exist.
    let body = app
        .gql(Some(&bob.access), ADD, json!({ "p": public, "t": track }))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app
        .gql(Some(&bob.access), ADD, json!({ "p": private, "t": track }))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let update = "mutation($p: UUID!, $i: UpdatePlaylistInput!) { updatePlaylist(id: $p, input: $i) { name imageUrl isPublic updatedAt } }";
    let body = app
        .gql(
            Some(&bob.access),
            update,
            json!({ "p": public, "i": { "name": "Mine" } }),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = app
        .gql(
            Some(&bob.access),
            "mutation($p: UUID!) { deletePlaylist(id: $p) }",
            json!({ "p": public }),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");

    // The owner renames, sets a cover, flips visibility, clears the cover.
    let body = app
        .gql(
            Some(&ann.access),
            update,
            json!({ "p": private, "i": { "name": "Not so secret", "imageUrl": "https://img.example/c.png", "isPublic": true } }),
        )
        .await;
    let updated = &body["data"]["updatePlaylist"];
    assert_eq!(updated["name"], "Not so secret", "{body}");
    assert_eq!(updated["imageUrl"], "https://img.example/c.png");
    assert_eq!(updated["isPublic"], true);
    let body = app
        .gql(Some(&bob.access), read, json!({ "p": private }))
        .await;
    assert_eq!(body["data"]["playlist"]["name"], "Not so secret");
    let body = app
        .gql(
            Some(&ann.access),
            update,
            json!({ "p": private, "i": { "imageUrl": null } }),
        )
        .await;
    assert!(body["data"]["updatePlaylist"]["imageUrl"].is_null());
    assert_eq!(body["data"]["updatePlaylist"]["name"], "Not so secret");
    let body = app
        .gql(
            Some(&ann.access),
            update,
            json!({ "p": private, "i": { "name": "" } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "name");

    let mine = "{ myPlaylists { totalCount nodes { name trackCount } } }";
    let body = app.gql(Some(&ann.access), mine, json!({})).await;
    assert_eq!(body["data"]["myPlaylists"]["totalCount"], 2);
    let body = app.gql(Some(&bob.access), mine, json!({})).await;
    assert_eq!(body["data"]["myPlaylists"]["totalCount"], 0);
    let body = app.gql(None, mine, json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");

    let body = app
        .gql(
            Some(&ann.access),
            "mutation($p: UUID!) { deletePlaylist(id: $p) }",
            json!({ "p": public }),
        )
        .await;
    assert_eq!(body["data"]["deletePlaylist"], true);
    let body = app
        .gql(Some(&ann.access), read, json!({ "p": public }))
        .await;
    assert!(body["data"]["playlist"].is_null());
}

#[tokio::test]
async fn favorites_are_an_idempotent_set_newest_first() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann@example.com", "ann").await;
    let bob = app.register("bob@example.com", "bob").await;
    let first = app.create_track("First", 1000).await;
    let second = app.create_track("Second", 1000).await;
    let add = "mutation($t: UUID!) { addFavorite(trackId: $t) { id isFavorite } }";
    let remove = "mutation($t: UUID!) { removeFavorite(trackId: $t) { id isFavorite } }";

    let body = app.gql(Some(&ann.access), add, json!({ "t": first })).await;
    assert_eq!(body["data"]["addFavorite"]["isFavorite"], true, "{body}");
    let body = app.gql(Some(&ann.access), add, json!({ "t": first })).await;
    assert_eq!(
        body["data"]["addFavorite"]["isFavorite"], true,
        "adding twice is harmless"
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.gql(Some(&ann.access), add, json!({ "t": second }))
        .await;

    let favorites = "{ favorites { totalCount nodes { name isFavorite } } }";
    let body = app.gql(Some(&ann.access), favorites, json!({})).await;
    assert_eq!(body["data"]["favorites"]["totalCount"], 2);
    assert_eq!(
        names(&body["data"]["favorites"]["nodes"]),
        ["Second", "First"]
    );

    // isFavorite is per viewer; anonymous viewers see false.
    let read = "query($t: UUID!) { track(id: $t) { isFavorite } }";
    let body = app
        .gql(Some(&bob.access), read, json!({ "t": first }))
        .await;
    assert_eq!(body["data"]["track"]["isFavorite"], false);
    let body = app.gql(None, read, json!({ "t": first })).await;
    assert_eq!(body["data"]["track"]["isFavorite"], false);

    let body = app
        .gql(Some(&ann.access), remove, json!({ "t": first }))
        .await;
    assert_eq!(body["data"]["removeFavorite"]["isFavorite"], false);
    let body = app
        .gql(Some(&ann.access), remove, json!({ "t": first }))
        .await;
    assert_eq!(
        body["data"]["removeFavorite"]["isFavorite"], false,
        "removing twice is harmless"
    );
    let body = app.gql(Some(&ann.access), favorites, json!({})).await;
    assert_eq!(names(&body["data"]["favorites"]["nodes"]), ["Second"]);

    let body = app
        .gql(Some(&ann.access), add, json!({ "t": uuid::Uuid::new_v4() }))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    let body = app.gql(None, add, json!({ "t": first })).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let body = app.gql(None, favorites, json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
}
