//! Presence: online while at least one connection is open, told to friends only; stats.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, WsClient, code};
use crate::social::{EVENTS, befriend};

async fn next_presence(ws: &mut WsClient) -> Value {
    loop {
        let msg = ws.next_for("ev").await;
        let e = &msg["payload"]["data"]["userEvents"];
        if e["__typename"] == "FriendPresenceChanged" {
            return e.clone();
        }
    }
}

async fn is_online(app: &TestApp, token: &str, id: &str) -> bool {
    let body = app
        .gql(
            Some(token),
            "query($id: UUID!) { user(id: $id) { isOnline } }",
            json!({ "id": id }),
        )
        .await;
    body["data"]["user"]["isOnline"]
        .as_bool()
        .unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test]
async fn online_across_devices_and_told_to_friends_only() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-p@example.com", "ann").await;
    let bob = app.register("bob-p@example.com", "bob").await;
    let eve = app.register("eve-p@example.com", "eve").await;
    befriend(&app, &ann, &bob).await;

    let mut bob_ws = WsClient::signed_in(&app, Some(&bob.access)).await;
    bob_ws.subscribe("ev", EVENTS, json!({})).await;
    let mut eve_ws = WsClient::signed_in(&app, Some(&eve.access)).await;
    eve_ws.subscribe("ev", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!is_online(&app, &bob.access, &ann.user_id).await);

    let phone = WsClient::signed_in(&app, Some(&ann.access)).await;
    let e = next_presence(&mut bob_ws).await;
    assert_eq!(
        (e["isOnline"].as_bool(), e["user"]["id"].as_str()),
        (Some(true), Some(ann.user_id.as_str()))
    );
    assert!(is_online(&app, &bob.access, &ann.user_id).await);

    let laptop = WsClient::signed_in(&app, Some(&ann.access)).await;
    phone.close().await;
    assert!(
        bob_ws
            .recv_within(Duration::from_millis(400))
            .await
            .is_none(),
        "one device left: no change"
    );
    assert!(is_online(&app, &bob.access, &ann.user_id).await);

    laptop.close().await;
    let e = next_presence(&mut bob_ws).await;
    assert_eq!(e["isOnline"], false);
    assert!(!is_online(&app, &bob.access, &ann.user_id).await);

    // Eve is no friend of ann's: she heard nothing of it.
    assert!(
        eve_ws
            .recv_within(Duration::from_millis(200))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn a_silently_dropped_socket_goes_offline_through_keepalive() {
    let app = TestApp::spawn_with(&[("WS_KEEPALIVE_MS", "200")]).await;
    let ann = app.register("ann-d@example.com", "ann").await;
    let bob = app.register("bob-d@example.com", "bob").await;
    befriend(&app, &ann, &bob).await;
    let mut bob_ws = WsClient::signed_in(&app, Some(&bob.access)).await;
    bob_ws.subscribe("ev", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Ann's device vanishes: it never reads or answers again (no close frame).
    let mut ann_ws = WsClient::signed_in(&app, Some(&ann.access)).await;
    ann_ws.auto_pong = false;
    assert_eq!(next_presence(&mut bob_ws).await["isOnline"], true);
    let started = std::time::Instant::now();
    assert_eq!(next_presence(&mut bob_ws).await["isOnline"], false);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "noticed within a few keep-alive intervals"
    );
    drop(ann_ws);
}

#[tokio::test]
async fn server_stats_for_admins_and_metrics() {
    let app = TestApp::spawn().await;
    let admin = app.register("admin@example.com", "admin").await;
    let user = app.register("user-s@example.com", "user").await;
    app.make_admin(&admin.user_id).await;

    let mut a = WsClient::signed_in(&app, Some(&user.access)).await;
    a.subscribe("ev", EVENTS, json!({})).await;
    let _b = WsClient::signed_in(&app, Some(&user.access)).await;
    let _anon = WsClient::signed_in(&app, None).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let q = "{ serverStats { connections onlineUsers topics subscriptions { kind count } } }";
    let stats = app.gql(Some(&admin.access), q, json!({})).await;
    let s = &stats["data"]["serverStats"];
    assert_eq!(s["connections"], 3, "{stats}");
    assert_eq!(s["onlineUsers"], 1);
    assert_eq!(
        s["subscriptions"],
        json!([{ "kind": "userEvents", "count": 1 }])
    );
    let forbidden = app.gql(Some(&user.access), q, json!({})).await;
    assert_eq!(code(&forbidden), "FORBIDDEN");

    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("soundroom_ws_connections 3"), "{metrics}");
    assert!(metrics.contains("soundroom_online_users 1"), "{metrics}");
    assert!(
        metrics.contains("soundroom_subscriptions{kind=\"userEvents\"} 1"),
        "{metrics}"
    );

    a.close().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stats = app.gql(Some(&admin.access), q, json!({})).await;
    assert_eq!(stats["data"]["serverStats"]["connections"], 2, "{stats}");
    assert_eq!(stats["data"]["serverStats"]["subscriptions"][0]["count"], 0);
}

#[tokio::test]
async fn online_status_is_told_to_friends_and_the_user_only() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-o@example.com", "ann").await;
    let bob = app.register("bob-o@example.com", "bob").await;
    let eve = app.register("eve-o@example.com", "eve").await;
    befriend(&app, &ann, &bob).await;
    let _phone = WsClient::signed_in(&app, Some(&ann.access)).await;

    assert!(is_online(&app, &ann.access, &ann.user_id).await, "herself");
    assert!(is_online(&app, &bob.access, &ann.user_id).await, "a friend");
    assert!(
        !is_online(&app, &eve.access, &ann.user_id).await,
        "a stranger"
    );
    let anonymous = app
        .gql(
            None,
            "query($id: UUID!) { user(id: $id) { isOnline } }",
            json!({ "id": ann.user_id }),
        )
        .await;
    assert_eq!(anonymous["data"]["user"]["isOnline"], false, "{anonymous}");

    // The same in lists: the friendship is read once for the whole page, not per user.
    let _others: Vec<WsClient> = {
        let mut sockets = Vec::new();
        for i in 0..5 {
            let someone = app
                .register(&format!("ann{i}-o@example.com"), &format!("ann{i}"))
                .await;
            befriend(&app, &someone, &bob).await;
            sockets.push(WsClient::signed_in(&app, Some(&someone.access)).await);
        }
        sockets
    };
    let search = "{ searchUsers(query: \"ann\") { id isOnline } }";
    for (viewer, expected) in [(&bob, true), (&eve, false)] {
        let before = app.state.db_statement_count();
        let body = app.gql(Some(&viewer.access), search, json!({})).await;
        let statements = app.state.db_statement_count() - before;
        let users = body["data"]["searchUsers"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        assert_eq!(users.len(), 6, "{body}");
        assert!(users.iter().all(|u| u["isOnline"] == expected), "{body}");
        assert!(statements <= 4, "{statements} statements for 6 users");
    }
}
