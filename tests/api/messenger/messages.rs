//! Messages: bodies and replies, edits and deletes, history paged while messages arrive, read
//! markers and unread counts, conversations with a former friend.

use serde_json::{Value, json};

use super::{MESSAGE, circle, create_group, id, ok, open_direct, refusal, send, try_send, user};
use crate::helpers::TestApp;

const EDIT: &str = "mutation($m: UUID!, $b: String!) { editMessage(messageId: $m, body: $b) { id body editedAt } }";
const DELETE: &str = "mutation($m: UUID!) { deleteMessage(messageId: $m) }";
const READ: &str =
    "mutation($c: UUID!, $m: UUID!) { markConversationRead(conversationId: $c, messageId: $m) }";
const REMOVE_FRIEND: &str = "mutation($u: UUID!) { removeFriend(userId: $u) }";

fn history_query() -> String {
    format!(
        "query($c: UUID!, $l: Int, $b: String) {{ conversation(id: $c) {{ unreadCount lastMessage {{ id body }}
          messages(last: $l, before: $b) {{ totalCount edges {{ cursor node {{ {MESSAGE} }} }} nodes {{ body }}
            pageInfo {{ hasPreviousPage hasNextPage startCursor endCursor }} }} }} }}"
    )
}

async fn history(
    app: &TestApp,
    who: &crate::helpers::Session,
    c: &str,
    last: i64,
    before: Option<&str>,
) -> Value {
    let conversation = ok(
        app,
        who,
        &history_query(),
        json!({ "c": c, "l": last, "b": before }),
        "conversation",
    )
    .await;
    conversation["messages"].clone()
}

fn bodies(page: &Value) -> Vec<String> {
    page["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["body"].as_str().expect("body").to_owned())
        .collect()
}

async fn unread(app: &TestApp, who: &crate::helpers::Session, c: &str) -> i64 {
    let q = "query($c: UUID!) { conversation(id: $c) { unreadCount } }";
    ok(app, who, q, json!({ "c": c }), "conversation").await["unreadCount"]
        .as_i64()
        .expect("unreadCount")
}

#[tokio::test]
async fn bodies_replies_and_their_refusals() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob", "cat"]).await;
    let (ann, bob, cat) = (&users[0], &users[1], &users[2]);
    let direct = id(&open_direct(&app, ann, bob).await);
    let other = id(&open_direct(&app, ann, cat).await);

    let hello = send(&app, ann, &direct, "hello").await;
    assert_eq!(hello["kind"], "TEXT");
    assert_eq!(hello["author"]["id"], ann.user_id.as_str());
    assert_eq!(hello["conversationId"], direct.as_str());
    assert_eq!(hello["deleted"], false);
    assert!(hello["replyTo"].is_null());
    assert_eq!(hello["attachments"], json!([]));
    let reply = try_send(
        &app,
        bob,
        json!({ "conversationId": direct, "body": "hi!", "replyToId": id(&hello) }),
    )
    .await;
    assert_eq!(
        reply["data"]["sendMessage"]["replyTo"]["body"], "hello",
        "{reply}"
    );
    let max = "é".repeat(4096);
    assert_eq!(send(&app, ann, &direct, &max).await["body"], max.as_str());

    let elsewhere = send(&app, ann, &other, "to cat").await;
    for (input, field) in [
        (
            json!({ "conversationId": direct, "body": "é".repeat(4097) }),
            "body",
        ),
        (json!({ "conversationId": direct, "body": "   " }), "body"),
        (json!({ "conversationId": direct }), "body"),
        (
            json!({ "conversationId": direct, "body": "x", "replyToId": id(&elsewhere) }),
            "replyToId",
        ),
        (
            json!({ "conversationId": direct, "body": "x", "replyToId": uuid::Uuid::new_v4() }),
            "replyToId",
        ),
        (
            json!({ "conversationId": direct, "attachmentIds": [uuid::Uuid::new_v4()] }),
            "attachmentIds",
        ),
    ] {
        let body = try_send(&app, ann, input.clone()).await;
        assert_eq!(
            refusal(&body),
            ("BAD_USER_INPUT".into(), field.into()),
            "{input}: {body}"
        );
    }
    let body = try_send(
        &app,
        ann,
        json!({ "conversationId": uuid::Uuid::new_v4(), "body": "x" }),
    )
    .await;
    assert_eq!(refusal(&body).0, "NOT_FOUND");
    let body = app
        .gql(
            None,
            &super::send_query(),
            json!({ "i": { "conversationId": direct, "body": "x" } }),
        )
        .await;
    assert_eq!(refusal(&body).0, "UNAUTHENTICATED");
}

#[tokio::test]
async fn edits_and_deletes_keep_their_place() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob", "cat"]).await;
    let (ann, bob, cat) = (&users[0], &users[1], &users[2]);
    let eve = user(&app, "eve").await;
    let group = id(&create_group(&app, ann, "Band", &[bob, cat]).await);
    let direct = id(&open_direct(&app, ann, bob).await);
    let first = id(&send(&app, bob, &group, "first").await);
    let second = id(&send(&app, cat, &group, "second").await);
    send(&app, bob, &group, "third").await;

    // Edits: the author only.
    let body = app
        .gql(
            Some(&ann.access),
            EDIT,
            json!({ "m": first, "b": "mine now" }),
        )
        .await;
    assert_eq!(refusal(&body).0, "FORBIDDEN");
    let body = app
        .gql(Some(&eve.access), EDIT, json!({ "m": first, "b": "x" }))
        .await;
    assert_eq!(refusal(&body).0, "NOT_FOUND", "strangers do not see it");
    let body = app
        .gql(Some(&bob.access), EDIT, json!({ "m": first, "b": "" }))
        .await;
    assert_eq!(refusal(&body), ("BAD_USER_INPUT".into(), "body".into()));
    let edited = ok(
        &app,
        bob,
        EDIT,
        json!({ "m": first, "b": "first!" }),
        "editMessage",
    )
    .await;
    assert_eq!(edited["body"], "first!");
    assert!(edited["editedAt"].is_string());

    // Deletes: the author, or the group's owner; not another member.
    let body = app
        .gql(Some(&bob.access), DELETE, json!({ "m": second }))
        .await;
    assert_eq!(refusal(&body).0, "FORBIDDEN");
    assert_eq!(
        ok(&app, ann, DELETE, json!({ "m": second }), "deleteMessage").await,
        true
    );
    assert_eq!(
        ok(&app, cat, DELETE, json!({ "m": second }), "deleteMessage").await,
        false,
        "already gone"
    );
    let body = app
        .gql(Some(&cat.access), EDIT, json!({ "m": second, "b": "back" }))
        .await;
    assert_eq!(refusal(&body).0, "CONFLICT");
    let page = history(&app, bob, &group, 10, None).await;
    assert_eq!(bodies(&page), ["first!", "", "third"], "it keeps its place");
    assert_eq!(page["edges"][1]["node"]["deleted"], true);
    assert_eq!(page["totalCount"], 3);

    // In a direct conversation nobody owns the other's messages.
    let mine = id(&send(&app, bob, &direct, "mine").await);
    let body = app
        .gql(Some(&ann.access), DELETE, json!({ "m": mine }))
        .await;
    assert_eq!(refusal(&body).0, "FORBIDDEN");
    assert_eq!(
        ok(&app, bob, DELETE, json!({ "m": mine }), "deleteMessage").await,
        true
    );
}

#[tokio::test]
async fn history_pages_back_while_new_messages_arrive() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let c = id(&open_direct(&app, ann, bob).await);
    for i in 1..=25 {
        let who = if i % 2 == 0 { ann } else { bob };
        send(&app, who, &c, &format!("m{i}")).await;
    }
    let newest = history(&app, ann, &c, 10, None).await;
    let expected: Vec<String> = (16..=25).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies(&newest), expected, "newest last");
    assert_eq!(newest["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(newest["pageInfo"]["hasNextPage"], false);
    assert_eq!(newest["totalCount"], 25);

    // New messages arrive while the client pages back: pages do not shift.
    for i in 26..=30 {
        send(&app, bob, &c, &format!("m{i}")).await;
    }
    let cursor = newest["pageInfo"]["startCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let older = history(&app, ann, &c, 10, Some(&cursor)).await;
    let expected: Vec<String> = (6..=15).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies(&older), expected);
    assert_eq!(older["pageInfo"]["hasNextPage"], true);
    let cursor = older["pageInfo"]["startCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let oldest = history(&app, ann, &c, 10, Some(&cursor)).await;
    let expected: Vec<String> = (1..=5).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies(&oldest), expected);
    assert_eq!(oldest["pageInfo"]["hasPreviousPage"], false);

    let bad = app
        .gql(
            Some(&ann.access),
            &history_query(),
            json!({ "c": c, "b": "nope" }),
        )
        .await;
    assert_eq!(refusal(&bad), ("BAD_USER_INPUT".into(), "before".into()));
    let bad = app
        .gql(
            Some(&ann.access),
            &history_query(),
            json!({ "c": c, "l": -3 }),
        )
        .await;
    assert_eq!(refusal(&bad), ("BAD_USER_INPUT".into(), "last".into()));
}

#[tokio::test]
async fn read_markers_move_forward_only_and_count_what_others_wrote() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob", "cat"]).await;
    let (ann, bob, cat) = (&users[0], &users[1], &users[2]);
    let c = id(&open_direct(&app, ann, bob).await);
    let other = id(&open_direct(&app, ann, cat).await);
    let b1 = id(&send(&app, bob, &c, "one").await);
    let b2 = id(&send(&app, bob, &c, "two").await);
    let b3 = id(&send(&app, bob, &c, "three").await);
    assert_eq!(unread(&app, ann, &c).await, 3);
    assert_eq!(
        unread(&app, bob, &c).await,
        0,
        "his own messages are not unread"
    );

    assert_eq!(
        ok(
            &app,
            ann,
            READ,
            json!({ "c": c, "m": b2 }),
            "markConversationRead"
        )
        .await,
        true
    );
    assert_eq!(unread(&app, ann, &c).await, 1);
    assert_eq!(
        ok(
            &app,
            ann,
            READ,
            json!({ "c": c, "m": b1 }),
            "markConversationRead"
        )
        .await,
        false,
        "never back"
    );
    assert_eq!(
        ok(
            &app,
            ann,
            READ,
            json!({ "c": c, "m": b2 }),
            "markConversationRead"
        )
        .await,
        false
    );
    assert_eq!(unread(&app, ann, &c).await, 1);
    let q =
        "query($c: UUID!) { conversation(id: $c) { members { user { id } lastReadMessageId } } }";
    let members = ok(&app, bob, q, json!({ "c": c }), "conversation").await["members"].clone();
    let ann_member = members
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["user"]["id"] == ann.user_id.as_str())
        .expect("ann")
        .clone();
    assert_eq!(ann_member["lastReadMessageId"], b2.as_str());

    // Deleted messages are not unread; replying reads up to one's own message.
    ok(&app, bob, DELETE, json!({ "m": b3 }), "deleteMessage").await;
    assert_eq!(unread(&app, ann, &c).await, 0);
    send(&app, bob, &c, "four").await;
    assert_eq!(unread(&app, ann, &c).await, 1);
    send(&app, ann, &c, "reply").await;
    assert_eq!(unread(&app, ann, &c).await, 0);

    let elsewhere = id(&send(&app, cat, &other, "hi").await);
    let body = app
        .gql(Some(&ann.access), READ, json!({ "c": c, "m": elsewhere }))
        .await;
    assert_eq!(
        refusal(&body),
        ("BAD_USER_INPUT".into(), "messageId".into())
    );
    let body = app
        .gql(Some(&cat.access), READ, json!({ "c": c, "m": b1 }))
        .await;
    assert_eq!(refusal(&body).0, "NOT_FOUND");
}

#[tokio::test]
async fn a_former_friend_keeps_the_history_but_gets_no_new_messages() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob", "cat"]).await;
    let (ann, bob, cat) = (&users[0], &users[1], &users[2]);
    let c = id(&open_direct(&app, ann, bob).await);
    let group = id(&create_group(&app, ann, "Trio", &[bob, cat]).await);
    send(&app, bob, &c, "before").await;
    ok(
        &app,
        ann,
        REMOVE_FRIEND,
        json!({ "u": bob.user_id }),
        "removeFriend",
    )
    .await;

    for who in [ann, bob] {
        let page = history(&app, who, &c, 10, None).await;
        assert_eq!(bodies(&page), ["before"], "still readable");
        let body = try_send(&app, who, json!({ "conversationId": c, "body": "after" })).await;
        assert_eq!(refusal(&body).0, "FORBIDDEN", "{body}");
        let typing = app
            .gql(
                Some(&who.access),
                "mutation($c: UUID!) { setConversationTyping(conversationId: $c, isTyping: true) }",
                json!({ "c": c }),
            )
            .await;
        assert_eq!(refusal(&typing).0, "FORBIDDEN");
    }
    let body = app
        .gql(
            Some(&ann.access),
            "mutation($u: UUID!) { openDirectConversation(userId: $u) { id } }",
            json!({ "u": bob.user_id }),
        )
        .await;
    assert_eq!(refusal(&body).0, "FORBIDDEN");
    // A group goes on: its members need not be friends with each other.
    send(&app, bob, &group, "still here").await;
}
