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
