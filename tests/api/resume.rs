//! Resuming `userEvents` after a reconnect: a client that drops its socket while events are
//! published, and subscribes again with `after:` its last cursor, gets every event it missed in
//! order, then the live ones, with no duplicate; on one instance, and across two instances
//! sharing Redis (reconnecting to the other one, as after a failover).

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, WsClient};
use crate::instances::two_instances;

const EVENTS: &str = "subscription($after: String) { userEvents(after: $after) { __typename
  ... on ProfileUpdated { cursor user { username } }
  ... on FriendRequestReceived { cursor request { requester { username } } }
  ... on SessionStarted { cursor }
} }";

/// Publishes one `ProfileUpdated` for `who` (a rename through `app`).
async fn rename(app: &TestApp, who: &Session, name: &str) {
    let body = app
        .gql(
            Some(&who.access),
            "mutation($n: String!) { updateProfile(input: { username: $n }) { username } }",
            json!({ "n": name }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

/// Subscribes `who`'s new socket on `app`, resuming after `after` when given.
async fn subscribe(app: &TestApp, who: &Session, after: Option<&str>) -> WsClient {
    let mut ws = WsClient::signed_in(app, Some(&who.access)).await;
    ws.subscribe("ev", EVENTS, json!({ "after": after })).await;
    ws
}

/// The next `userEvents` payload (panics on anything else for the subscription).
async fn next_event(ws: &mut WsClient) -> Value {
    let msg = ws.next_for("ev").await;
    assert_eq!(msg["type"], "next", "{msg}");
    msg["payload"]["data"]["userEvents"].clone()
}

/// The usernames of the next `n` renames, with the cursor of the last.
async fn renames(ws: &mut WsClient, n: usize) -> (Vec<String>, String) {
    let mut names = Vec::new();
    let mut cursor = String::new();
    while names.len() < n {
        let event = next_event(ws).await;
        let c = event["cursor"].as_str().expect("every event has a cursor");
        assert!(order(c) > order(&cursor), "cursors grow: {cursor} then {c}");
        cursor = c.to_owned();
        if event["__typename"] == "ProfileUpdated" {
            names.push(
                event["user"]["username"]
                    .as_str()
                    .expect("a string")
                    .to_owned(),
            );
        }
    }
    (names, cursor)
}

/// A cursor as (ms, sequence), for comparing; the empty string before the first.
fn order(cursor: &str) -> (u64, u64) {
    match cursor.split_once('-') {
        Some((ms, seq)) => (ms.parse().expect("ms"), seq.parse().expect("seq")),
        None => (0, 0),
    }
}

async fn nothing_more(ws: &mut WsClient) {
    if let Some(frame) = ws.recv_within(Duration::from_millis(400)).await {
        panic!("expected nothing more, got {frame:?}");
    }
}

#[tokio::test]
async fn a_client_that_reconnects_with_its_cursor_misses_nothing_and_gets_nothing_twice() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-resume@example.com", "ann").await;
    let bob = app.register("bob-resume@example.com", "bob").await;

    let mut ws = subscribe(&app, &ann, None).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    rename(&app, &ann, "ann1").await;
    let (names, cursor) = renames(&mut ws, 1).await;
    assert_eq!(names, ["ann1"]);
    ws.close().await;

    // While no socket is open: two renames and a friend request.
    rename(&app, &ann, "ann2").await;
    let sent = app
        .gql(
            Some(&bob.access),
            "mutation($u: UUID!) { sendFriendRequest(userId: $u) { id } }",
            json!({ "u": ann.user_id }),
        )
        .await;
    assert!(sent["errors"].is_null(), "{sent}");
    rename(&app, &ann, "ann3").await;

    let mut ws = subscribe(&app, &ann, Some(&cursor)).await;
    let missed: Vec<Value> = [
        next_event(&mut ws).await,
        next_event(&mut ws).await,
        next_event(&mut ws).await,
    ]
    .into();
    let kinds: Vec<&str> = missed
        .iter()
        .map(|e| e["__typename"].as_str().expect("a string"))
        .collect();
    assert_eq!(
        kinds,
        ["ProfileUpdated", "FriendRequestReceived", "ProfileUpdated"]
    );
    assert_eq!(missed[0]["user"]["username"], "ann2");
    assert_eq!(missed[1]["request"]["requester"]["username"], "bob");
    assert_eq!(missed[2]["user"]["username"], "ann3");
    // Then live, and nothing replayed twice.
    rename(&app, &ann, "ann4").await;
    let (names, last) = renames(&mut ws, 1).await;
    assert_eq!(names, ["ann4"]);
    nothing_more(&mut ws).await;

    // Resuming from the newest cursor replays nothing.
    ws.close().await;
    let mut ws = subscribe(&app, &ann, Some(&last)).await;
    nothing_more(&mut ws).await;
    ws.close().await;
}

#[tokio::test]
async fn an_old_a_foreign_or_a_pre_restart_cursor_is_refused() {
    let mut app = TestApp::spawn().await;
    let ann = app.register("ann-expired@example.com", "ann").await;

    // Older than the log keeps.
    let mut ws = subscribe(&app, &ann, Some("1000-0")).await;
    let msg = ws.next_for("ev").await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(
        msg["payload"][0]["extensions"]["code"], "CURSOR_EXPIRED",
        "{msg}"
    );
    ws.close().await;

    // Not a cursor at all, or one from the future.
    for bad in ["yesterday", "99999999999999-0"] {
        let mut ws = subscribe(&app, &ann, Some(bad)).await;
        let msg = ws.next_for("ev").await;
        assert_eq!(msg["type"], "error", "{msg}");
        assert_eq!(
            msg["payload"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{msg}"
        );
        assert_eq!(msg["payload"][0]["extensions"]["field"], "after", "{msg}");
        ws.close().await;
    }

    // Without Redis the log lives in the process: a cursor from before a restart cannot be
    // answered, and says so rather than skipping what was published meanwhile.
    let mut ws = subscribe(&app, &ann, None).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    rename(&app, &ann, "ann1").await;
    let (_, cursor) = renames(&mut ws, 1).await;
    ws.close().await;
    app.restart().await;
    let login = app.login("ann-expired@example.com", "correct horse").await;
    let ann = Session::from_payload(&login["data"]["login"]).expect("signed in again");
    let mut ws = subscribe(&app, &ann, Some(&cursor)).await;
    let msg = ws.next_for("ev").await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(
        msg["payload"][0]["extensions"]["code"], "CURSOR_EXPIRED",
        "{msg}"
    );
    ws.close().await;
}

#[tokio::test]
async fn a_client_failing_over_to_another_instance_resumes_there() {
    let Some((a, b)) = two_instances(&[]).await else {
        return;
    };
    let ann = a.register("ann-failover@example.com", "ann").await;
    let bob = a.register("bob-failover@example.com", "bob").await;

    let mut on_a = subscribe(&a, &ann, None).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    rename(&a, &ann, "ann1").await;
    let (names, cursor) = renames(&mut on_a, 1).await;
    assert_eq!(names, ["ann1"]);
    on_a.close().await;

    // Published through both instances while the client is away.
    rename(&a, &ann, "ann2").await;
    rename(&b, &ann, "ann3").await;
    let sent = b
        .gql(
            Some(&bob.access),
            "mutation($u: UUID!) { sendFriendRequest(userId: $u) { id } }",
            json!({ "u": ann.user_id }),
        )
        .await;
    assert!(sent["errors"].is_null(), "{sent}");
    rename(&a, &ann, "ann4").await;

    let mut on_b = subscribe(&b, &ann, Some(&cursor)).await;
    let mut kinds = Vec::new();
    let mut names = Vec::new();
    for _ in 0..4 {
        let event = next_event(&mut on_b).await;
        kinds.push(event["__typename"].as_str().expect("a string").to_owned());
        if let Some(name) = event["user"]["username"].as_str() {
            names.push(name.to_owned());
        }
    }
    assert_eq!(
        kinds,
        [
            "ProfileUpdated",
            "ProfileUpdated",
            "FriendRequestReceived",
            "ProfileUpdated"
        ]
    );
    assert_eq!(names, ["ann2", "ann3", "ann4"]);

    // Live again, from either instance, each event once.
    rename(&a, &ann, "ann5").await;
    rename(&b, &ann, "ann6").await;
    let (names, _) = renames(&mut on_b, 2).await;
    assert_eq!(names, ["ann5", "ann6"]);
    nothing_more(&mut on_b).await;
    on_b.close().await;
}

#[tokio::test]
async fn without_a_cursor_a_subscription_starts_live() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-live@example.com", "ann").await;
    rename(&app, &ann, "before").await;
    let mut ws = subscribe(&app, &ann, None).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    rename(&app, &ann, "after").await;
    let (names, _) = renames(&mut ws, 1).await;
    assert_eq!(
        names,
        ["after"],
        "nothing from before the subscription is replayed"
    );
    nothing_more(&mut ws).await;
    ws.close().await;
}

const CALL_EVENTS: &str =
    "subscription($c: UUID!, $after: String) { callEvents(callId: $c, after: $after) { __typename
  ... on CallUpdated { cursor call { participants { user { id } audioMuted } } }
  ... on CallSignalReceived { cursor signal }
} }";

const SIGNAL: &str = "mutation($c: UUID!, $t: UUID!, $s: JSON!) { sendCallSignal(callId: $c, toUserId: $t, signal: $s) }";

async fn call_socket(app: &TestApp, who: &Session, call: &str, after: Option<&str>) -> WsClient {
    let mut ws = WsClient::signed_in(app, Some(&who.access)).await;
    ws.subscribe("ev", CALL_EVENTS, json!({ "c": call, "after": after }))
        .await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    ws
}

async fn next_call_event(ws: &mut WsClient) -> Value {
    let msg = ws.next_for("ev").await;
    assert_eq!(msg["type"], "next", "{msg}");
    msg["payload"]["data"]["callEvents"].clone()
}

/// `callEvents(callId, after:)`: signals and updates sent while a participant's socket was
/// down arrive when they resubscribe with their last cursor, in order, once.
#[tokio::test]
async fn call_events_resume_from_a_cursor() {
    let app = TestApp::spawn().await;
    let users = crate::calls::friends(&app, &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let call = crate::calls::call(&app, ann, &[bob]).await;
    let call_id = crate::calls::id(&call);
    crate::calls::act(&app, bob, "acceptCall", &call_id).await;

    let mut bob_ws = call_socket(&app, bob, &call_id, None).await;
    let signal = |n: i64| json!({ "c": call_id, "t": bob.user_id, "s": { "n": n } });
    let sent = app.gql(Some(&ann.access), SIGNAL, signal(1)).await;
    assert_eq!(sent["data"]["sendCallSignal"], true, "{sent}");
    let first = next_call_event(&mut bob_ws).await;
    assert_eq!(first["signal"]["n"], 1, "{first}");
    let cursor = first["cursor"].as_str().expect("a cursor").to_owned();
    bob_ws.close().await;

    // While Bob is away: two more signals and a mute.
    app.gql(Some(&ann.access), SIGNAL, signal(2)).await;
    let muted = app
        .gql(
            Some(&ann.access),
            "mutation($c: UUID!) { setCallMedia(callId: $c, input: { audioMuted: true }) { audioMuted } }",
            json!({ "c": call_id }),
        )
        .await;
    assert!(muted["errors"].is_null(), "{muted}");
    app.gql(Some(&ann.access), SIGNAL, signal(3)).await;

    let mut bob_ws = call_socket(&app, bob, &call_id, Some(&cursor)).await;
    let missed = [
        next_call_event(&mut bob_ws).await,
        next_call_event(&mut bob_ws).await,
        next_call_event(&mut bob_ws).await,
    ];
    let kinds: Vec<&str> = missed
        .iter()
        .map(|e| e["__typename"].as_str().expect("a type"))
        .collect();
    assert_eq!(
        kinds,
        ["CallSignalReceived", "CallUpdated", "CallSignalReceived"]
    );
    assert_eq!(missed[0]["signal"]["n"], 2);
    assert_eq!(missed[2]["signal"]["n"], 3);
    nothing_more(&mut bob_ws).await;

    // A cursor older than the log is refused.
    let mut old = call_socket(&app, bob, &call_id, Some("1000-0")).await;
    let msg = old.next_for("ev").await;
    assert_eq!(
        msg["payload"][0]["extensions"]["code"], "CURSOR_EXPIRED",
        "{msg}"
    );
}
