//! Friends and friend requests: the lifecycle, its rules, and who hears about it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, WsClient, code};

pub const EVENTS: &str = "subscription { userEvents { __typename
  ... on FriendRequestReceived { serverTimeMs request { id requester { id } receiver { id } } }
  ... on FriendRequestAccepted { serverTimeMs user { id } }
  ... on FriendRequestCancelled { requestId serverTimeMs }
  ... on FriendRemoved { userId serverTimeMs user { id } }
  ... on FriendPresenceChanged { isOnline serverTimeMs user { id isOnline } }
  ... on MyPlaybackChanged { serverTimeMs playback { isPlaying positionMs anchorTimeMs version track { id durationMs } } }
} }";

const SEND: &str = "mutation($u: UUID!) { sendFriendRequest(userId: $u) { id requester { id } receiver { id friendship } createdAt } }";
const ACCEPT: &str = "mutation($r: UUID!) { acceptFriendRequest(requestId: $r) { id friendship } }";
const DECLINE: &str = "mutation($r: UUID!) { declineFriendRequest(requestId: $r) }";
const CANCEL: &str = "mutation($r: UUID!) { cancelFriendRequest(requestId: $r) }";
const REMOVE: &str = "mutation($u: UUID!) { removeFriend(userId: $u) }";
const FRIENDS: &str = "query($f: Int, $a: String) { friends(first: $f, after: $a) { totalCount edges { cursor node { id friendship } } nodes { id } pageInfo { hasNextPage endCursor } } }";

async fn listen(app: &TestApp, s: &Session) -> WsClient {
    let mut ws = WsClient::signed_in(app, Some(&s.access)).await;
    ws.subscribe("ev", EVENTS, json!({})).await;
    ws
}

async fn event(ws: &mut WsClient) -> Value {
    let msg = ws.next_for("ev").await;
    assert_eq!(msg["type"], "next", "{msg}");
    msg["payload"]["data"]["userEvents"].clone()
}

fn relation(body: &Value) -> &str {
    body["data"]["user"]["friendship"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
}

async fn friendship(app: &TestApp, viewer: &Session, other: &Session) -> String {
    let body = app
        .gql(
            Some(&viewer.access),
            "query($id: UUID!) { user(id: $id) { friendship } }",
            json!({ "id": other.user_id }),
        )
        .await;
    relation(&body).to_owned()
}

pub async fn befriend(app: &TestApp, a: &Session, b: &Session) {
    let sent = app
        .gql(Some(&a.access), SEND, json!({ "u": b.user_id }))
        .await;
    let id = sent["data"]["sendFriendRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{sent}"))
        .to_owned();
    let accepted = app.gql(Some(&b.access), ACCEPT, json!({ "r": id })).await;
    assert_eq!(
        accepted["data"]["acceptFriendRequest"]["id"],
        a.user_id.as_str(),
        "{accepted}"
    );
}

#[tokio::test]
async fn request_accept_remove_lifecycle_reaches_only_the_right_devices() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-f@example.com", "ann").await;
    let bob = app.register("bob-f@example.com", "bob").await;
    let eve = app.register("eve-f@example.com", "eve").await;
    let mut ann_ws = listen(&app, &ann).await;
    let mut bob_phone = listen(&app, &bob).await;
    let mut bob_laptop = listen(&app, &bob).await;
    let mut eve_ws = listen(&app, &eve).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let sent = app
        .gql(Some(&ann.access), SEND, json!({ "u": bob.user_id }))
        .await;
    let request = &sent["data"]["sendFriendRequest"];
    let request_id = request["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{sent}"))
        .to_owned();
    assert_eq!(request["requester"]["id"], ann.user_id.as_str());
    assert_eq!(request["receiver"]["friendship"], "REQUEST_SENT");
    for ws in [&mut bob_phone, &mut bob_laptop] {
        let e = event(ws).await;
        assert_eq!(e["__typename"], "FriendRequestReceived");
        assert_eq!(e["request"]["id"], request_id.as_str());
        assert_eq!(e["request"]["requester"]["id"], ann.user_id.as_str());
    }
    assert_eq!(friendship(&app, &ann, &bob).await, "REQUEST_SENT");
    assert_eq!(friendship(&app, &bob, &ann).await, "REQUEST_RECEIVED");
    assert_eq!(friendship(&app, &ann, &ann).await, "SELF");
    let incoming = app
        .gql(
            Some(&bob.access),
            "{ friendRequests(direction: INCOMING) { id requester { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        incoming["data"]["friendRequests"][0]["id"],
        request_id.as_str()
    );
    let outgoing = app
        .gql(
            Some(&ann.access),
            "{ friendRequests(direction: OUTGOING) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        outgoing["data"]["friendRequests"][0]["id"],
        request_id.as_str()
    );
    let none = app
        .gql(
            Some(&ann.access),
            "{ friendRequests(direction: INCOMING) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(none["data"]["friendRequests"], json!([]));

    let accepted = app
        .gql(Some(&bob.access), ACCEPT, json!({ "r": request_id }))
        .await;
    assert_eq!(
        accepted["data"]["acceptFriendRequest"]["id"],
        ann.user_id.as_str(),
        "{accepted}"
    );
    assert_eq!(
        accepted["data"]["acceptFriendRequest"]["friendship"],
        "FRIENDS"
    );
    let e = event(&mut ann_ws).await;
    assert_eq!(e["__typename"], "FriendRequestAccepted");
    assert_eq!(e["user"]["id"], bob.user_id.as_str());
    assert_eq!(friendship(&app, &ann, &bob).await, "FRIENDS");
    for (who, other) in [(&ann, &bob), (&bob, &ann)] {
        let list = app.gql(Some(&who.access), FRIENDS, json!({})).await;
        assert_eq!(list["data"]["friends"]["totalCount"], 1, "{list}");
        assert_eq!(
            list["data"]["friends"]["nodes"][0]["id"],
            other.user_id.as_str()
        );
    }

    let removed = app
        .gql(Some(&bob.access), REMOVE, json!({ "u": ann.user_id }))
        .await;
    assert_eq!(removed["data"]["removeFriend"], true);
    let e = event(&mut ann_ws).await;
    assert_eq!(
        (e["__typename"].as_str(), e["userId"].as_str()),
        (Some("FriendRemoved"), Some(bob.user_id.as_str()))
    );
    for ws in [&mut bob_phone, &mut bob_laptop] {
        let e = event(ws).await;
        assert_eq!(
            (e["__typename"].as_str(), e["userId"].as_str()),
            (Some("FriendRemoved"), Some(ann.user_id.as_str()))
        );
    }
    assert_eq!(friendship(&app, &ann, &bob).await, "NONE");
    let again = app
        .gql(Some(&bob.access), REMOVE, json!({ "u": ann.user_id }))
        .await;
    assert_eq!(again["data"]["removeFriend"], false);

    assert!(
        eve_ws
            .recv_within(Duration::from_millis(300))
            .await
            .is_none(),
        "a third user hears nothing"
    );
}

#[tokio::test]
async fn request_rules() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-r@example.com", "ann").await;
    let bob = app.register("bob-r@example.com", "bob").await;
    let eve = app.register("eve-r@example.com", "eve").await;

    let own = app
        .gql(Some(&ann.access), SEND, json!({ "u": ann.user_id }))
        .await;
    assert_eq!(code(&own), "BAD_USER_INPUT");
    assert_eq!(own["errors"][0]["extensions"]["field"], "userId");
    let unknown = app
        .gql(
            Some(&ann.access),
            SEND,
            json!({ "u": uuid::Uuid::new_v4() }),
        )
        .await;
    assert_eq!(code(&unknown), "NOT_FOUND");
    let anonymous = app.gql(None, SEND, json!({ "u": bob.user_id })).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");

    let sent = app
        .gql(Some(&ann.access), SEND, json!({ "u": bob.user_id }))
        .await;
    let id = sent["data"]["sendFriendRequest"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let duplicate = app
        .gql(Some(&ann.access), SEND, json!({ "u": bob.user_id }))
        .await;
    assert_eq!(code(&duplicate), "CONFLICT");
    let crossing = app
        .gql(Some(&bob.access), SEND, json!({ "u": ann.user_id }))
        .await;
    assert_eq!(code(&crossing), "CONFLICT");
    assert!(
        crossing["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&id),
        "{crossing}"
    );

    let by_requester = app.gql(Some(&ann.access), ACCEPT, json!({ "r": id })).await;
    assert_eq!(code(&by_requester), "FORBIDDEN");
    let by_stranger = app.gql(Some(&eve.access), ACCEPT, json!({ "r": id })).await;
    assert_eq!(
        code(&by_stranger),
        "NOT_FOUND",
        "others' requests do not exist for eve"
    );
    let cancel_by_receiver = app.gql(Some(&bob.access), CANCEL, json!({ "r": id })).await;
    assert_eq!(code(&cancel_by_receiver), "FORBIDDEN");
    let decline_by_requester = app
        .gql(Some(&ann.access), DECLINE, json!({ "r": id }))
        .await;
    assert_eq!(code(&decline_by_requester), "FORBIDDEN");

    let declined = app
        .gql(Some(&bob.access), DECLINE, json!({ "r": id }))
        .await;
    assert_eq!(declined["data"]["declineFriendRequest"], true);
    let late_accept = app.gql(Some(&bob.access), ACCEPT, json!({ "r": id })).await;
    assert_eq!(code(&late_accept), "NOT_FOUND");
    assert_eq!(friendship(&app, &ann, &bob).await, "NONE");

    // After a decline a new request may be sent; the requester may cancel it, and the receiver hears.
    let mut bob_ws = listen(&app, &bob).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let resent = app
        .gql(Some(&ann.access), SEND, json!({ "u": bob.user_id }))
        .await;
    let id2 = resent["data"]["sendFriendRequest"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        event(&mut bob_ws).await["__typename"],
        "FriendRequestReceived"
    );
    let cancelled = app
        .gql(Some(&ann.access), CANCEL, json!({ "r": id2 }))
        .await;
    assert_eq!(cancelled["data"]["cancelFriendRequest"], true);
    let e = event(&mut bob_ws).await;
    assert_eq!(
        (e["__typename"].as_str(), e["requestId"].as_str()),
        (Some("FriendRequestCancelled"), Some(id2.as_str()))
    );

    befriend(&app, &ann, &bob).await;
    let already = app
        .gql(Some(&bob.access), SEND, json!({ "u": ann.user_id }))
        .await;
    assert_eq!(code(&already), "CONFLICT");
}

#[tokio::test]
async fn friends_pagination_and_search() {
    let app = TestApp::spawn().await;
    let me = app.register("me-p@example.com", "myself").await;
    let mut friends = Vec::new();
    for name in ["alpha", "bravo", "charlie"] {
        let f = app.register(&format!("{name}@example.com"), name).await;
        befriend(&app, &f, &me).await;
        friends.push(f);
    }
    let first = app.gql(Some(&me.access), FRIENDS, json!({ "f": 2 })).await;
    let conn = &first["data"]["friends"];
    assert_eq!(conn["totalCount"], 3, "{first}");
    assert_eq!(conn["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    assert_eq!(conn["edges"][0]["node"]["friendship"], "FRIENDS");
    let cursor = conn["pageInfo"]["endCursor"].as_str().expect("cursor");
    let second = app
        .gql(Some(&me.access), FRIENDS, json!({ "f": 2, "a": cursor }))
        .await;
    let conn2 = &second["data"]["friends"];
    assert_eq!(conn2["nodes"].as_array().map(Vec::len), Some(1));
    assert_eq!(conn2["pageInfo"]["hasNextPage"], false);
    assert_eq!(
        conn2["nodes"][0]["id"],
        friends[2].user_id.as_str(),
        "ordered by username"
    );
    let past_end = conn2["pageInfo"]["endCursor"].as_str().expect("cursor");
    let empty = app
        .gql(Some(&me.access), FRIENDS, json!({ "a": past_end }))
        .await;
    assert_eq!(empty["data"]["friends"]["nodes"], json!([]));
    let bad = app
        .gql(Some(&me.access), FRIENDS, json!({ "a": "garbage" }))
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    let negative = app.gql(Some(&me.access), FRIENDS, json!({ "f": -1 })).await;
    assert_eq!(code(&negative), "BAD_USER_INPUT");

    let q = "query($q: String!) { searchUsers(query: $q) { id tag } }";
    let by_tag = app
        .gql(
            Some(&me.access),
            q,
            json!({ "q": friends[1].tag.to_uppercase() }),
        )
        .await;
    assert_eq!(
        by_tag["data"]["searchUsers"][0]["id"],
        friends[1].user_id.as_str(),
        "{by_tag}"
    );
    let by_prefix = app.gql(Some(&me.access), q, json!({ "q": "CHA" })).await;
    assert_eq!(
        by_prefix["data"]["searchUsers"].as_array().map(Vec::len),
        Some(1),
        "{by_prefix}"
    );
    let wildcard = app.gql(Some(&me.access), q, json!({ "q": "%" })).await;
    assert_eq!(
        wildcard["data"]["searchUsers"],
        json!([]),
        "LIKE wildcards are literal"
    );
    let empty = app.gql(Some(&me.access), q, json!({ "q": "  " })).await;
    assert_eq!(code(&empty), "BAD_USER_INPUT");
}
