//! Limits: the per-user message rate, the query cost of the messenger's lists, and the contract
//! names in the schema.

use serde_json::json;

use super::{circle, id, open_direct, refusal, send, try_send};
use crate::helpers::TestApp;

#[tokio::test]
async fn sending_is_rate_limited_per_user() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_MESSAGES_PER_USER", "3/60")]).await;
    let users = circle(&app, &["ann", "bob"]).await;
    let (ann, bob) = (&users[0], &users[1]);
    let c = id(&open_direct(&app, ann, bob).await);
    for i in 0..3 {
        send(&app, ann, &c, &format!("m{i}")).await;
    }
    let body = try_send(
        &app,
        ann,
        json!({ "conversationId": c, "body": "one too many" }),
    )
    .await;
    assert_eq!(refusal(&body).0, "TOO_MANY_REQUESTS", "{body}");
    let retry = body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    assert!((1..=60).contains(&retry), "{retry}");
    send(&app, bob, &c, "bob has his own").await;
}

#[tokio::test]
async fn lists_cost_their_page_size() {
    let app = TestApp::spawn().await;
    let users = circle(&app, &["ann", "bob"]).await;
    let ann = &users[0];
    // A conversation list screen: 50 conversations with members and the last message.
    let screen = "{ conversations(first: 50) { nodes { id kind title unreadCount updatedAt
        members { user { id username } }
        lastMessage { body author { username } } } } }";
    let body = app.gql(Some(&ann.access), screen, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    // A conversation screen: 100 messages with their attachments and replies.
    let conversation = "{ conversations(first: 1) { nodes { members { user { id username } role }
        messages(last: 100) { nodes { id body kind createdAt author { id username }
          replyTo { id body } attachments { id kind url width height } } } } } }";
    let body = app.gql(Some(&ann.access), conversation, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    // Every conversation's full history at once is refused before it runs.
    let greedy = "{ conversations(first: 100) { nodes { messages(last: 100) { nodes { id attachments { id url } } } } } }";
    let body = app.gql(Some(&ann.access), greedy, json!({})).await;
    assert!(body["data"].is_null(), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("cost") || message.contains("complex"),
        "{body}"
    );
    let members = "{ conversations(first: 100) { nodes { members { user { id username tag avatarUrl } role joinedAt } } } }";
    let body = app.gql(Some(&ann.access), members, json!({})).await;
    assert!(
        body["data"].is_null(),
        "members are costed at 100 each: {body}"
    );
}

#[test]
fn the_schema_has_the_messenger_contract_names() {
    let sdl = soundroom::graphql::sdl();
    for name in [
        "enum ConversationKind",
        "enum MessageKind",
        "enum ConversationRole",
        "type Conversation {",
        "type ConversationMember {",
        "type Message {",
        "type Attachment {",
        "conversations(first: Int, after: String): ConversationConnection!",
        "conversation(id: UUID!): Conversation",
        "openDirectConversation(userId: UUID!): Conversation!",
        "createGroupConversation(input: CreateGroupConversationInput!): Conversation!",
        "addConversationMembers(conversationId: UUID!, userIds: [UUID!]!): Conversation!",
        "leaveConversation(conversationId: UUID!): Boolean!",
        "uploadAttachment(file: Upload!): Attachment!",
        "sendMessage(input: SendMessageInput!): Message!",
        "editMessage(messageId: UUID!, body: String!): Message!",
        "deleteMessage(messageId: UUID!): Boolean!",
        "markConversationRead(conversationId: UUID!, messageId: UUID!): Boolean!",
        "setConversationTyping(conversationId: UUID!, isTyping: Boolean!): Boolean!",
        "messages(last: Int, before: String): MessageConnection!",
        "type MessagePosted {",
        "type MessageEdited {",
        "type MessageDeleted {",
        "type ConversationRead {",
        "type ConversationTyping {",
        "type ConversationUpdated {",
    ] {
        assert!(sdl.contains(name), "schema lacks {name:?}");
    }
    let union = sdl
        .lines()
        .find(|l| l.starts_with("union UserEvent"))
        .expect("UserEvent");
    for member in [
        "MessagePosted",
        "MessageEdited",
        "MessageDeleted",
        "ConversationRead",
        "ConversationTyping",
        "ConversationUpdated",
    ] {
        assert!(union.contains(member), "{union}");
    }
}
