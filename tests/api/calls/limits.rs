//! Ring limits: at most `CALL_MAX_RINGING` calls ring one user at once, and a conference has
//! at most `CALL_MAX_PARTICIPANTS` participants.

use serde_json::json;

use super::*;
use crate::helpers::{TestApp, code};

#[tokio::test]
async fn a_sixth_ringing_call_finds_the_callee_busy() {
    let app = TestApp::spawn().await;
    let names = [
        "bob", "caller1", "caller2", "caller3", "caller4", "caller5", "caller6",
    ];
    let mut users = Vec::new();
    for name in names {
        users.push(user(&app, name).await);
    }
    let bob = &users[0];
    for caller in &users[1..] {
        crate::social::befriend(&app, caller, bob).await;
    }
    for caller in &users[1..6] {
        let placed = call(&app, caller, &[bob]).await;
        assert_eq!(state_of(&placed, bob), "RINGING", "{placed}");
    }
    let sixth = call(&app, &users[6], &[bob]).await;
    assert_eq!(state_of(&sixth, bob), "BUSY", "{sixth}");
    assert_eq!(sixth["endReason"], "BUSY");
}

#[tokio::test]
async fn a_conference_is_bounded() {
    let app = TestApp::spawn_with(&[("CALL_MAX_PARTICIPANTS", "3")]).await;
    let people = friends(&app, &["ann", "bob", "cat", "dan"]).await;
    let ids: Vec<&str> = people[1..].iter().map(|s| s.user_id.as_str()).collect();
    let body = try_start(&app, &people[0], json!({ "kind": "AUDIO", "userIds": ids })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    let two = call(&app, &people[0], &[&people[1], &people[2]]).await;
    assert_eq!(two["participants"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_page_of_history_takes_a_bounded_number_of_statements_and_costs_its_size() {
    let app = TestApp::spawn().await;
    let people = friends(&app, &["ann", "bob", "cat"]).await;
    let (ann, bob, cat) = (&people[0], &people[1], &people[2]);
    for i in 0..12 {
        let placed = if i % 2 == 0 {
            call(&app, ann, &[bob, cat]).await
        } else {
            call(&app, cat, &[ann]).await
        };
        act(
            &app,
            &people[if i % 2 == 0 { 0 } else { 2 }],
            "endCall",
            &id(&placed),
        )
        .await;
    }
    let query = "query($f: Int) { calls(first: $f) { totalCount nodes {
          id state endReason durationMs initiator { id username }
          participants { state user { id username } } screenShare { user { id } } } } }";
    let mut counts = Vec::new();
    for first in [3, 12, 3, 12] {
        let before = app.state.db_statement_count();
        let body = app
            .gql(Some(&ann.access), query, json!({ "f": first }))
            .await;
        counts.push(app.state.db_statement_count() - before);
        assert!(body["errors"].is_null(), "{body}");
        let nodes = body["data"]["calls"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), first, "{body}");
        assert!(
            nodes
                .iter()
                .all(|n| n["participants"].as_array().is_some_and(|p| p.len() >= 2))
        );
    }
    // The count, the page of rows, the calls, their participants, the users (initiators, then
    // participants): 6, whatever the page size (a loader batch may split on a busy machine).
    let (least, most) = (counts.iter().min(), counts.iter().max());
    assert!(most <= Some(&8), "statements: {counts:?}");
    assert!(
        most.zip(least).is_some_and(|(m, l)| m - l <= 2),
        "statements grew with the page: {counts:?}"
    );

    // The page size drives the cost: the same selection over 100 calls is refused under a
    // limit that 3 pass.
    let strict = TestApp::spawn_with(&[("GRAPHQL_MAX_COMPLEXITY", "1000")]).await;
    let eve = user(&strict, "eve").await;
    let small = strict
        .gql(Some(&eve.access), query, json!({ "f": 3 }))
        .await;
    assert!(small["errors"].is_null(), "{small}");
    let large = strict
        .gql(Some(&eve.access), query, json!({ "f": 100 }))
        .await;
    assert_eq!(code(&large), "BAD_USER_INPUT", "{large}");
    let message = large["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("too complex"), "{message}");
}
