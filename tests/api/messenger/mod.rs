//! The messenger, one module per concern, and the fixtures they share: friends, conversations,
//! messages, attachment uploads and a member's `userEvents` socket.

mod attachments;
mod conversations;
mod events;
mod limits;
mod messages;

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::uploads::{multipart, send_multipart};
use crate::helpers::{Frame, Session, TestApp, WsClient};
use crate::social::befriend;

pub const CONVERSATION: &str = "id kind title createdAt updatedAt unreadCount
  members { user { id } role joinedAt lastReadMessageId }
  lastMessage { id body }";
pub const MESSAGE: &str = "id conversationId kind body createdAt editedAt deleted author { id }
  replyTo { id body } attachments { id kind name mimeType sizeBytes url width height durationMs }";

pub const EVENTS: &str = "subscription { userEvents { __typename
  ... on MessagePosted { serverTimeMs message { id conversationId body kind author { id } replyTo { id } attachments { id kind mimeType url } } }
  ... on MessageEdited { serverTimeMs message { id conversationId body editedAt } }
  ... on MessageDeleted { serverTimeMs conversationId messageId }
  ... on ConversationRead { serverTimeMs conversationId user { id } lastReadMessageId }
  ... on ConversationTyping { serverTimeMs conversationId user { id } isTyping }
  ... on ConversationUpdated { serverTimeMs deleted conversation { id kind title members { user { id } role } } }
} }";

/// Registers `name` (a unique email from it).
pub async fn user(app: &TestApp, name: &str) -> Session {
    app.register(&format!("{name}-msg@example.com"), name).await
}

/// Registers users and makes the first a friend of each of the others.
pub async fn circle(app: &TestApp, names: &[&str]) -> Vec<Session> {
    let mut users = Vec::new();
    for name in names {
        users.push(user(app, name).await);
    }
    for other in &users[1..] {
        befriend(app, &users[0], other).await;
    }
    users
}

/// Runs a GraphQL operation that must succeed; returns `data.<field>`.
pub async fn ok(app: &TestApp, who: &Session, query: &str, vars: Value, field: &str) -> Value {
    let body = app.gql(Some(&who.access), query, vars).await;
    assert!(body["errors"].is_null(), "{field}: {body}");
    body["data"][field].clone()
}

/// `extensions.code` and `extensions.field` of the first error.
pub fn refusal(body: &Value) -> (String, String) {
    let ext = &body["errors"][0]["extensions"];
    (
        ext["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {body}"))
            .to_owned(),
        ext["field"].as_str().unwrap_or_default().to_owned(),
    )
}

pub fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

pub async fn open_direct(app: &TestApp, who: &Session, other: &Session) -> Value {
    let q = format!(
        "mutation($u: UUID!) {{ openDirectConversation(userId: $u) {{ {CONVERSATION} }} }}"
    );
    ok(
        app,
        who,
        &q,
        json!({ "u": other.user_id }),
        "openDirectConversation",
    )
    .await
}

pub async fn create_group(
    app: &TestApp,
    who: &Session,
    title: &str,
    members: &[&Session],
) -> Value {
    let q = format!(
        "mutation($i: CreateGroupConversationInput!) {{ createGroupConversation(input: $i) {{ {CONVERSATION} }} }}"
    );
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    ok(
        app,
        who,
        &q,
        json!({ "i": { "title": title, "memberIds": ids } }),
        "createGroupConversation",
    )
    .await
}

pub fn send_query() -> String {
    format!("mutation($i: SendMessageInput!) {{ sendMessage(input: $i) {{ {MESSAGE} }} }}")
}

/// Sends a message, which must succeed.
pub async fn send(app: &TestApp, who: &Session, conversation: &str, body: &str) -> Value {
    ok(
        app,
        who,
        &send_query(),
        json!({ "i": { "conversationId": conversation, "body": body } }),
        "sendMessage",
    )
    .await
}

/// Sends `input` as a `SendMessageInput`; returns the whole response.
pub async fn try_send(app: &TestApp, who: &Session, input: Value) -> Value {
    app.gql(Some(&who.access), &send_query(), json!({ "i": input }))
        .await
}

pub const UPLOAD: &str = "mutation($file: Upload!) { uploadAttachment(file: $file) {
  id kind name mimeType sizeBytes url width height durationMs } }";

/// Uploads `bytes` as `filename` (claiming `content_type`); returns the status and body.
pub async fn upload(
    app: &TestApp,
    who: &Session,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let operations = json!({ "query": UPLOAD, "variables": { "file": null } });
    let map = json!({ "0": ["variables.file"] });
    let (boundary, body) = multipart(&operations, &map, &[("0", filename, content_type, bytes)]);
    send_multipart(app, Some(&who.access), &boundary, body).await
}

/// Uploads a file that must be accepted; returns the `Attachment`.
pub async fn uploaded(app: &TestApp, who: &Session, filename: &str, bytes: &[u8]) -> Value {
    let (status, body) = upload(app, who, filename, "application/octet-stream", bytes).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["uploadAttachment"].clone()
}

/// A signed-in device listening to `userEvents` as `ev`.
pub async fn listen(app: &TestApp, who: &Session) -> WsClient {
    let mut ws = WsClient::signed_in(app, Some(&who.access)).await;
    ws.subscribe("ev", EVENTS, json!({})).await;
    // The subscription is registered once the server has read the message.
    tokio::time::sleep(Duration::from_millis(150)).await;
    ws
}

/// The next messenger event of `kind` on a device, skipping others.
pub async fn next_of(ws: &mut WsClient, kind: &str) -> Value {
    loop {
        let msg = ws.next_for("ev").await;
        assert_eq!(msg["type"], "next", "{msg}");
        let event = msg["payload"]["data"]["userEvents"].clone();
        if event["__typename"] == kind {
            assert!(event["serverTimeMs"].as_f64().is_some(), "{event}");
            return event;
        }
    }
}

/// Messenger events a device received within `wait` (other kinds skipped).
pub async fn drain(ws: &mut WsClient, wait: Duration) -> Vec<Value> {
    let mut events = Vec::new();
    while let Some(frame) = ws.recv_within(wait).await {
        match frame {
            Frame::Json(msg) if msg["id"] == "ev" => {
                let event = msg["payload"]["data"]["userEvents"].clone();
                let kind = event["__typename"].as_str().unwrap_or_default();
                if kind.starts_with("Message") || kind.starts_with("Conversation") {
                    events.push(event);
                }
            }
            Frame::Json(_) => {}
            Frame::Closed(code, reason) => panic!("socket closed ({code:?}, {reason})"),
        }
    }
    events
}
