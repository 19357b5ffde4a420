//! Conversations: one direct conversation per pair (racing opens too), groups and their
//! members, who sees what, the keyset-paged list, and its statement count.

use serde_json::{Value, json};

use super::{circle, create_group, id, ok, open_direct, refusal, send, user};
use crate::helpers::TestApp;

const CONVERSATIONS: &str = "query($f: Int, $a: String) { conversations(first: $f, after: $a) {
  totalCount edges { cursor node { id title } } nodes { id } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
const ADD: &str = "mutation($c: UUID!, $u: [UUID!]!) { addConversationMembers(conversationId: $c, userIds: $u) { id members { user { id } role } } }";
const LEAVE: &str = "mutation($c: UUID!) { leaveConversation(conversationId: $c) }";
const ONE: &str =
    "query($c: UUID!) { conversation(id: $c) { id kind title members { user { id } role } } }";

#[tokio::test]
async fn a_direct_conversation_is_one_per_pair_of_friends() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let eve = user(&app, "eve").await;

    let first = open_direct(&app, ann, bob).await;
    assert_eq!(first["kind"], "DIRECT");
    assert!(first["title"].is_null());
    let members: Vec<&str> = first["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["user"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(members.len(), 2, "{first}");
    assert!(members.contains(&ann.user_id.as_str()) && members.contains(&bob.user_id.as_str()));
    assert!(
        first["members"]
            .as_array()
            .expect("members")
            .iter()
            .all(|m| m["role"] == "MEMBER")
    );
    assert_eq!(
        id(&open_direct(&app, ann, bob).await),
        id(&first),
        "the same every time"
    );
    assert_eq!(
        id(&open_direct(&app, bob, ann).await),
        id(&first),
        "from either side"
    );

    // Not with strangers, not with oneself, not with nobody.
    let q = "mutation($u: UUID!) { openDirectConversation(userId: $u) { id } }";
    let body = app
        .gql(Some(&ann.access), q, json!({ "u": eve.user_id }))
        .await;
    assert_eq!(refusal(&body).0, "FORBIDDEN", "{body}");
    let body = app
        .gql(Some(&ann.access), q, json!({ "u": ann.user_id }))
        .await;
    assert_eq!(refusal(&body), ("BAD_USER_INPUT".into(), "userId".into()));
    let body = app
        .gql(Some(&ann.access), q, json!({ "u": uuid::Uuid::new_v4() }))
        .await;
    assert_eq!(refusal(&body), ("BAD_USER_INPUT".into(), "userId".into()));
    let body = app.gql(None, q, json!({ "u": bob.user_id })).await;
    assert_eq!(refusal(&body).0, "UNAUTHENTICATED");

    // Only members see it: for everyone else it does not exist.
    let seen = ok(&app, bob, ONE, json!({ "c": id(&first) }), "conversation").await;
    assert_eq!(seen["id"], id(&first).as_str());
    let hidden = ok(&app, &eve, ONE, json!({ "c": id(&first) }), "conversation").await;
    assert!(hidden.is_null());
    let msg = app
        .gql(
            Some(&eve.access),
            &super::send_query(),
            json!({ "i": { "conversationId": id(&first), "body": "hi" } }),
        )
        .await;
    assert_eq!(refusal(&msg).0, "NOT_FOUND", "{msg}");
}

#[tokio::test]
async fn racing_opens_make_one_conversation() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob", "cat", "dan"]).await;
    let q =
        "mutation($u: UUID!) { openDirectConversation(userId: $u) { id members { user { id } } } }";
    for other in &users[1..] {
        let ann = &users[0];
        let (a, b) = tokio::join!(
            app.gql(Some(&ann.access), q, json!({ "u": other.user_id })),
            app.gql(Some(&other.access), q, json!({ "u": ann.user_id })),
        );
        assert!(a["errors"].is_null() && b["errors"].is_null(), "{a} {b}");
        let (a, b) = (
            &a["data"]["openDirectConversation"],
            &b["data"]["openDirectConversation"],
        );
        assert_eq!(a["id"], b["id"], "both got the same conversation");
        assert_eq!(a["members"].as_array().expect("members").len(), 2, "{a}");
    }
    use sea_orm::{EntityTrait, PaginatorTrait};
    let stored = entity::conversation::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(stored, 3, "one row per pair");
    let memberships = entity::conversation_member::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(memberships, 6);
}

#[tokio::test]
async fn groups_their_members_owners_and_the_last_one_out() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob", "cat", "dan"]).await;
    let (ann, bob, cat, dan) = (&users[0], &users[1], &users[2], &users[3]);
    let eve = user(&app, "eve").await;

    let group = create_group(&app, ann, "  Band  ", &[bob, cat]).await;
    assert_eq!(group["kind"], "GROUP");
    assert_eq!(group["title"], "Band", "trimmed");
    let roles: Vec<(String, String)> = group["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["user"]["id"].as_str().expect("id").to_owned(),
                m["role"].as_str().expect("role").to_owned(),
            )
        })
        .collect();
    assert_eq!(roles[0], (ann.user_id.clone(), "OWNER".into()), "{group}");
    assert_eq!(roles.len(), 3);
    let g = id(&group);

    // Bad input.
    let q =
        "mutation($i: CreateGroupConversationInput!) { createGroupConversation(input: $i) { id } }";
    for (input, expected) in [
        (
            json!({ "title": "x", "memberIds": [] }),
            ("BAD_USER_INPUT", "memberIds"),
        ),
        (
            json!({ "title": "x", "memberIds": [uuid::Uuid::new_v4()] }),
            ("BAD_USER_INPUT", "memberIds"),
        ),
        (
            json!({ "title": "x".repeat(101), "memberIds": [bob.user_id] }),
            ("BAD_USER_INPUT", "title"),
        ),
        (
            json!({ "title": "x", "memberIds": [eve.user_id] }),
            ("FORBIDDEN", ""),
        ),
    ] {
        let body = app.gql(Some(&ann.access), q, json!({ "i": input })).await;
        assert_eq!(
            refusal(&body),
            (expected.0.into(), expected.1.into()),
            "{body}"
        );
    }

    // Adding: the owner, their friends; others are refused.
    let body = app
        .gql(
            Some(&bob.access),
            ADD,
            json!({ "c": g, "u": [dan.user_id] }),
        )
        .await;
    assert_eq!(refusal(&body).0, "FORBIDDEN", "not the owner: {body}");
    let body = app
        .gql(
            Some(&ann.access),
            ADD,
            json!({ "c": g, "u": [eve.user_id] }),
        )
        .await;
    assert_eq!(refusal(&body).0, "FORBIDDEN", "not a friend: {body}");
    let body = app
        .gql(
            Some(&ann.access),
            ADD,
            json!({ "c": g, "u": [uuid::Uuid::new_v4()] }),
        )
        .await;
    assert_eq!(refusal(&body), ("BAD_USER_INPUT".into(), "userIds".into()));
    let added = ok(
        &app,
        ann,
        ADD,
        json!({ "c": g, "u": [dan.user_id, bob.user_id] }),
        "addConversationMembers",
    )
    .await;
    assert_eq!(
        added["members"].as_array().expect("members").len(),
        4,
        "{added}"
    );

    // Leaving: the owner role passes to the longest-standing member; the last out deletes it.
    let direct = open_direct(&app, ann, bob).await;
    let body = app
        .gql(Some(&ann.access), LEAVE, json!({ "c": id(&direct) }))
        .await;
    assert_eq!(
        refusal(&body),
        ("BAD_USER_INPUT".into(), "conversationId".into())
    );
    assert_eq!(
        ok(&app, ann, LEAVE, json!({ "c": g }), "leaveConversation").await,
        true
    );
    let after = ok(&app, bob, ONE, json!({ "c": g }), "conversation").await;
    let members = after["members"].as_array().expect("members");
    assert_eq!(members.len(), 3);
    let owner: Vec<&Value> = members.iter().filter(|m| m["role"] == "OWNER").collect();
    assert_eq!(owner.len(), 1, "{after}");
    // Bob and Cat joined at the same instant; the tie is broken by id.
    let expected = std::cmp::min(bob.user_id.clone(), cat.user_id.clone());
    assert_eq!(owner[0]["user"]["id"], expected.as_str(), "{after}");
    assert!(
        ok(&app, ann, ONE, json!({ "c": g }), "conversation")
            .await
            .is_null()
    );
    let body = app.gql(Some(&ann.access), LEAVE, json!({ "c": g })).await;
    assert_eq!(refusal(&body).0, "NOT_FOUND", "no longer a member");
    for who in [bob, cat, dan] {
        assert_eq!(
            ok(&app, who, LEAVE, json!({ "c": g }), "leaveConversation").await,
            true
        );
    }
    use sea_orm::EntityTrait;
    let gone = entity::conversation::Entity::find_by_id(g.parse::<uuid::Uuid>().expect("uuid"))
        .one(&app.state.db)
        .await
        .expect("query");
    assert!(gone.is_none(), "the last one out deleted it");
}

#[tokio::test]
async fn groups_are_capped_at_the_member_limit() {
    let app = TestApp::spawn_with(&[("CONVERSATION_MAX_MEMBERS", "3")]).await;
    let users = circle(&app, &["ann", "bob", "cat", "dan"]).await;
    let (ann, bob, cat, dan) = (&users[0], &users[1], &users[2], &users[3]);
    let q =
        "mutation($i: CreateGroupConversationInput!) { createGroupConversation(input: $i) { id } }";
    let body = app
        .gql(
            Some(&ann.access),
            q,
            json!({ "i": { "memberIds": [bob.user_id, cat.user_id, dan.user_id] } }),
        )
        .await;
    assert_eq!(
        refusal(&body),
        ("BAD_USER_INPUT".into(), "memberIds".into())
    );
    let group = create_group(&app, ann, "", &[bob, cat]).await;
    assert!(group["title"].is_null(), "blank is no title");
    let body = app
        .gql(
            Some(&ann.access),
            ADD,
            json!({ "c": id(&group), "u": [dan.user_id] }),
        )
        .await;
    assert_eq!(refusal(&body).0, "FORBIDDEN", "full: {body}");
}

fn page_ids(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn the_list_pages_by_activity_and_moving_conversations_are_never_repeated() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    // Six groups, c0 the oldest activity, c5 the newest.
    let mut c = Vec::new();
    for i in 0..6 {
        let group = create_group(&app, ann, &format!("c{i}"), &[bob]).await;
        send(&app, bob, &id(&group), &format!("hello {i}")).await;
        c.push(id(&group));
    }
    let list = |first: i64, after: Option<String>| {
        let app = &app;
        async move {
            ok(
                app,
                ann,
                CONVERSATIONS,
                json!({ "f": first, "a": after }),
                "conversations",
            )
            .await
        }
    };
    let first = list(2, None).await;
    assert_eq!(page_ids(&first), [c[5].clone(), c[4].clone()]);
    assert_eq!(first["totalCount"], 6);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);

    // While the client pages: a seen conversation (c4) and an unseen one (c1) move to the top.
    send(&app, bob, &c[1], "bump").await;
    send(&app, bob, &c[4], "bump").await;
    let cursor = first["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let second = list(2, Some(cursor)).await;
    assert_eq!(
        page_ids(&second),
        [c[3].clone(), c[2].clone()],
        "no repeat, no gap"
    );
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let cursor = second["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let third = list(2, Some(cursor)).await;
    assert_eq!(
        page_ids(&third),
        [c[0].clone()],
        "c1 moved above the cursor"
    );
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
    // A fresh first page has the two that moved, newest activity first.
    let fresh = list(3, None).await;
    assert_eq!(page_ids(&fresh), [c[4].clone(), c[1].clone(), c[5].clone()]);

    let bad = app
        .gql(Some(&ann.access), CONVERSATIONS, json!({ "a": "garbage" }))
        .await;
    assert_eq!(refusal(&bad), ("BAD_USER_INPUT".into(), "after".into()));
    let bad = app
        .gql(Some(&ann.access), CONVERSATIONS, json!({ "f": -1 }))
        .await;
    assert_eq!(refusal(&bad), ("BAD_USER_INPUT".into(), "first".into()));
}

#[tokio::test]
async fn a_page_of_conversations_takes_a_bounded_number_of_statements() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob", "cat"]).await;
    let (ann, bob, cat) = (&users[0], &users[1], &users[2]);
    open_direct(&app, ann, bob).await;
    open_direct(&app, ann, cat).await;
    for i in 0..48 {
        let group = create_group(&app, ann, &format!("g{i}"), &[bob, cat]).await;
        if i % 2 == 0 {
            send(&app, bob, &id(&group), &format!("hi {i}")).await;
        }
    }
    let query = "query($f: Int) { conversations(first: $f) { totalCount nodes {
          id kind title unreadCount updatedAt
          members { user { id username } }
          lastMessage { body author { username } attachments { id } replyTo { id } } } } }";
    let mut counts = Vec::new();
    for first in [5, 50, 5, 50] {
        let before = app.state.db_statement_count();
        let body = app
            .gql(Some(&ann.access), query, json!({ "f": first }))
            .await;
        counts.push(app.state.db_statement_count() - before);
        assert!(body["errors"].is_null(), "{body}");
        let nodes = body["data"]["conversations"]["nodes"]
            .as_array()
            .expect("nodes");
        assert_eq!(nodes.len(), first, "{body}");
        if first == 50 {
            let unread: i64 = nodes
                .iter()
                .map(|n| n["unreadCount"].as_i64().expect("n"))
                .sum();
            assert_eq!(unread, 24, "Bob's messages are unread");
            assert!(
                nodes
                    .iter()
                    .all(|n| n["members"].as_array().is_some_and(|m| !m.is_empty()))
            );
        }
    }
    // The count, the page, members, users, last messages, their attachments, unread counts
    // (markers and counts): 8 or 9, as the last messages' authors share the users' batch or
    // not. On a busy machine a batch may split in two (a loader gathers keys for 1 ms), but
    // the number never follows the page size: one statement per conversation would be 50.
    let (least, most) = (counts.iter().min(), counts.iter().max());
    assert!(most <= Some(&12), "statements: {counts:?}");
    assert!(
        most.zip(least).is_some_and(|(m, l)| m - l <= 2),
        "statements grew with the page: {counts:?}"
    );
}
