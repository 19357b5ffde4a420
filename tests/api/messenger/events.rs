//! Events on `userEvents`: every device of every member hears each change, nobody else hears
//! anything; typing expires; events cross instances over the Redis bridge.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{
    circle, create_group, drain, id, listen, next_of, ok, open_direct, send, try_send, uploaded,
    user,
};
use crate::helpers::{TestApp, WsClient};
use crate::instances::two_instances;

const TYPING: &str =
    "mutation($c: UUID!, $t: Boolean!) { setConversationTyping(conversationId: $c, isTyping: $t) }";

#[tokio::test]
async fn every_device_of_every_member_hears_and_strangers_hear_nothing() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob", "cat"]).await;
    let (ann, bob, cat) = (&users[0], &users[1], &users[2]);
    let eve = user(&app, "eve").await;
    let mut ann_phone = listen(&app, ann).await;
    let mut ann_laptop = listen(&app, ann).await;
    let mut bob_ws = listen(&app, bob).await;
    let mut cat_ws = listen(&app, cat).await;
    let mut eve_ws = listen(&app, &eve).await;

    // Created: both members' devices.
    let c = id(&open_direct(&app, ann, bob).await);
    for ws in [&mut ann_phone, &mut ann_laptop, &mut bob_ws] {
        let e = next_of(ws, "ConversationUpdated").await;
        assert_eq!(e["conversation"]["id"], c.as_str());
        assert_eq!(e["deleted"], false);
        assert_eq!(
            e["conversation"]["members"]
                .as_array()
                .expect("members")
                .len(),
            2
        );
    }

    // Posted, with its attachment (a URL for each listener).
    let file = uploaded(
        &app,
        bob,
        "pic.png",
        &[
            0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 13, b'I', b'H', b'D', b'R',
        ],
    )
    .await;
    let posted = try_send(
        &app,
        bob,
        json!({ "conversationId": c, "body": "hello", "attachmentIds": [id(&file)] }),
    )
    .await;
    let message = posted["data"]["sendMessage"].clone();
    for ws in [&mut ann_phone, &mut ann_laptop, &mut bob_ws] {
        let e = next_of(ws, "MessagePosted").await;
        assert_eq!(e["message"]["id"], message["id"], "{e}");
        assert_eq!(e["message"]["body"], "hello");
        assert_eq!(e["message"]["author"]["id"], bob.user_id.as_str());
        assert_eq!(e["message"]["attachments"][0]["id"], id(&file).as_str());
        let url = e["message"]["attachments"][0]["url"].as_str().expect("url");
        assert!(url.contains("token="), "{url}");
    }
    let m = id(&message);

    // Edited, read, deleted.
    ok(
        &app,
        bob,
        "mutation($m: UUID!) { editMessage(messageId: $m, body: \"hello!\") { id } }",
        json!({ "m": m }),
        "editMessage",
    )
    .await;
    for ws in [&mut ann_phone, &mut ann_laptop, &mut bob_ws] {
        let e = next_of(ws, "MessageEdited").await;
        assert_eq!(e["message"]["body"], "hello!");
    }
    ok(
        &app,
        ann,
        "mutation($c: UUID!, $m: UUID!) { markConversationRead(conversationId: $c, messageId: $m) }",
        json!({ "c": c, "m": m }),
        "markConversationRead",
    )
    .await;
    for ws in [&mut ann_phone, &mut ann_laptop, &mut bob_ws] {
        let e = next_of(ws, "ConversationRead").await;
        assert_eq!(e["user"]["id"], ann.user_id.as_str());
        assert_eq!(e["lastReadMessageId"], m.as_str());
        assert_eq!(e["conversationId"], c.as_str());
    }
    ok(
        &app,
        bob,
        "mutation($m: UUID!) { deleteMessage(messageId: $m) }",
        json!({ "m": m }),
        "deleteMessage",
    )
    .await;
    for ws in [&mut ann_phone, &mut ann_laptop, &mut bob_ws] {
        let e = next_of(ws, "MessageDeleted").await;
        assert_eq!(
            (e["conversationId"].as_str(), e["messageId"].as_str()),
            (Some(c.as_str()), Some(m.as_str()))
        );
    }

    // A group: created, a member added (who is told too), a member leaving (who is told too).
    let group = id(&create_group(&app, ann, "Band", &[bob]).await);
    for ws in [&mut ann_phone, &mut ann_laptop, &mut bob_ws] {
        let e = next_of(ws, "ConversationUpdated").await;
        assert_eq!(e["conversation"]["title"], "Band");
    }
    ok(
        &app,
        ann,
        "mutation($c: UUID!, $u: [UUID!]!) { addConversationMembers(conversationId: $c, userIds: $u) { id } }",
        json!({ "c": group, "u": [cat.user_id] }),
        "addConversationMembers",
    )
    .await;
    for ws in [&mut ann_phone, &mut ann_laptop, &mut bob_ws, &mut cat_ws] {
        let e = next_of(ws, "ConversationUpdated").await;
        assert_eq!(e["conversation"]["id"], group.as_str());
        assert_eq!(
            e["conversation"]["members"]
                .as_array()
                .expect("members")
                .len(),
            3,
            "{e}"
        );
    }
    ok(
        &app,
        bob,
        "mutation($c: UUID!) { leaveConversation(conversationId: $c) }",
        json!({ "c": group }),
        "leaveConversation",
    )
    .await;
    for ws in [&mut ann_phone, &mut bob_ws, &mut cat_ws] {
        let e = next_of(ws, "ConversationUpdated").await;
        assert_eq!(e["conversation"]["id"], group.as_str());
        assert_eq!(e["deleted"], false);
    }
    send(&app, cat, &group, "without bob").await;
    next_of(&mut ann_phone, "MessagePosted").await;
    next_of(&mut cat_ws, "MessagePosted").await;

    // Eve, a stranger, heard none of it; Bob heard nothing of the group he left; Cat nothing of
    // the direct conversation.
    assert!(
        drain(&mut eve_ws, Duration::from_millis(500))
            .await
            .is_empty()
    );
    let after_leaving = drain(&mut bob_ws, Duration::from_millis(300)).await;
    assert!(after_leaving.is_empty(), "{after_leaving:?}");
    let cat_heard = drain(&mut cat_ws, Duration::from_millis(300)).await;
    assert!(cat_heard.is_empty(), "{cat_heard:?}");
}

#[tokio::test]
async fn typing_shows_to_members_and_expires_after_three_seconds() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let eve = user(&app, "eve").await;
    let c = id(&open_direct(&app, ann, bob).await);
    let mut bob_ws = listen(&app, bob).await;
    let mut ann_other_device = listen(&app, ann).await;
    let mut eve_ws = listen(&app, &eve).await;

    let started = Instant::now();
    assert_eq!(
        ok(
            &app,
            ann,
            TYPING,
            json!({ "c": c, "t": true }),
            "setConversationTyping"
        )
        .await,
        true
    );
    for ws in [&mut bob_ws, &mut ann_other_device] {
        let e = next_of(ws, "ConversationTyping").await;
        assert_eq!(
            (e["isTyping"].as_bool(), e["user"]["id"].as_str()),
            (Some(true), Some(ann.user_id.as_str()))
        );
        assert_eq!(e["conversationId"], c.as_str());
    }
    let e = next_of(&mut bob_ws, "ConversationTyping").await;
    assert_eq!(e["isTyping"], false, "expired by itself");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(2900), "{waited:?}");

    // A refresh keeps it; sending a message ends it.
    ok(
        &app,
        ann,
        TYPING,
        json!({ "c": c, "t": true }),
        "setConversationTyping",
    )
    .await;
    assert_eq!(
        next_of(&mut bob_ws, "ConversationTyping").await["isTyping"],
        true
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    ok(
        &app,
        ann,
        TYPING,
        json!({ "c": c, "t": true }),
        "setConversationTyping",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        drain(&mut bob_ws, Duration::from_millis(10))
            .await
            .is_empty(),
        "still typing"
    );
    send(&app, ann, &c, "done").await;
    assert_eq!(
        next_of(&mut bob_ws, "ConversationTyping").await["isTyping"],
        false
    );
    ok(
        &app,
        ann,
        TYPING,
        json!({ "c": c, "t": false }),
        "setConversationTyping",
    )
    .await;

    let body = app
        .gql(Some(&eve.access), TYPING, json!({ "c": c, "t": true }))
        .await;
    assert_eq!(super::refusal(&body).0, "NOT_FOUND");
    assert!(
        drain(&mut eve_ws, Duration::from_millis(300))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn messages_reach_members_on_other_instances() {
    let Some((a, b)) = two_instances(&[]).await else {
        return;
    };
    let users = circle(&a, &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let eve = user(&a, "eve").await;
    let mut bob_on_b = listen(&b, bob).await;
    let mut ann_on_b = listen(&b, ann).await;
    let mut eve_on_b = listen(&b, &eve).await;

    let c = id(&open_direct(&a, ann, bob).await);
    next_of(&mut bob_on_b, "ConversationUpdated").await;
    let sent = send(&a, ann, &c, "across").await;
    for ws in [&mut bob_on_b, &mut ann_on_b] {
        let e = next_of(ws, "MessagePosted").await;
        assert_eq!(e["message"]["id"], sent["id"]);
        assert_eq!(e["message"]["body"], "across");
    }
    ok(
        &a,
        ann,
        TYPING,
        json!({ "c": c, "t": true }),
        "setConversationTyping",
    )
    .await;
    assert_eq!(
        next_of(&mut bob_on_b, "ConversationTyping").await["isTyping"],
        true
    );
    assert!(
        drain(&mut eve_on_b, Duration::from_millis(300))
            .await
            .is_empty()
    );
    WsClient::close(bob_on_b).await;
}
