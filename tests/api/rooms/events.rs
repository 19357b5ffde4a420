//! `roomEvents`: who may subscribe, the snapshot, presence per room, lagging, idle closing,
//! invitations on `userEvents`, and the room part of the schema.

use super::*;

#[tokio::test]
async fn subscribing_needs_membership_and_the_socket_survives_a_refusal() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-sub@example.com", "ann").await;
    let eve = app.register("eve-sub@example.com", "eve").await;
    let public = create_room(&app, &ann, "Open", json!({})).await;
    let private = create_room(
        &app,
        &ann,
        "Closed door",
        json!({ "visibility": "PRIVATE" }),
    )
    .await;

    let mut ws = WsClient::signed_in(&app, Some(&eve.access)).await;
    ws.subscribe("a", &room_events(), json!({ "r": public }))
        .await;
    let msg = ws.next_for("a").await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(msg["payload"][0]["extensions"]["code"], "FORBIDDEN");
    ws.subscribe("b", &room_events(), json!({ "r": private }))
        .await;
    let msg = ws.next_for("b").await;
    assert_eq!(msg["type"], "error", "{msg}");
    assert_eq!(msg["payload"][0]["extensions"]["code"], "NOT_FOUND");
    ws.subscribe("c", &room_events(), json!({ "r": uuid::Uuid::new_v4() }))
        .await;
    assert_eq!(
        ws.next_for("c").await["payload"][0]["extensions"]["code"],
        "NOT_FOUND"
    );
    // The socket is still usable: join, then the subscription works and starts with a snapshot.
    joined(&app, &eve, &public).await;
    ws.subscribe("d", &room_events(), json!({ "r": public }))
        .await;
    let msg = ws.next_for("d").await;
    assert_eq!(
        msg["payload"]["data"]["roomEvents"]["__typename"], "RoomSnapshot",
        "{msg}"
    );

    let mut anon = WsClient::signed_in(&app, None).await;
    anon.subscribe("x", &room_events(), json!({ "r": public }))
        .await;
    assert_eq!(
        anon.next_for("x").await["payload"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn the_snapshot_has_the_whole_room() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-snap@example.com", "ann").await;
    let bob = app.register("bob-snap@example.com", "bob").await;
    let id = create_room(&app, &ann, "Snap", json!({})).await;
    joined(&app, &bob, &id).await;
    let a = app.create_track("A", 200_000).await;
    let b = app.create_track("B", 200_000).await;
    let enqueue = "mutation($r: UUID!, $t: UUID!) { enqueueTrack(roomId: $r, trackId: $t) { id } }";
    app.gql(Some(&bob.access), enqueue, json!({ "r": id, "t": b }))
        .await;
    let played = app
        .gql(
            Some(&ann.access),
            "mutation($r: UUID!, $t: UUID) { roomPlay(roomId: $r, trackId: $t, positionMs: 5000) { version } }",
            json!({ "r": id, "t": a }),
        )
        .await;
    assert_eq!(played["data"]["roomPlay"]["version"], 1, "{played}");
    app.gql(
        Some(&bob.access),
        "mutation($r: UUID!) { setTyping(roomId: $r, isTyping: true) }",
        json!({ "r": id }),
    )
    .await;

    let ann_ws = subscribe(&app, &ann, &id).await;
    let s = &ann_ws.snapshot;
    assert_eq!(s["room"]["name"], "Snap");
    assert_eq!(s["room"]["host"]["id"], ann.user_id.as_str());
    assert_eq!(s["playback"]["track"]["id"], a.as_str(), "{s}");
    assert_eq!(s["playback"]["isPlaying"], true);
    assert_eq!(s["playback"]["positionMs"], 5000);
    assert_eq!(s["playback"]["version"], 1);
    assert_eq!(s["queue"][0]["track"]["id"], b.as_str());
    assert_eq!(s["queue"][0]["addedBy"]["id"], bob.user_id.as_str());
    let members = s["members"].as_array().expect("members");
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["user"]["id"], ann.user_id.as_str());
    assert_eq!(
        members[0]["isConnected"], true,
        "the subscriber is connected"
    );
    assert_eq!(members[1]["isConnected"], false);
    assert_eq!(s["typing"][0]["id"], bob.user_id.as_str());
}

#[tokio::test]
async fn presence_per_room_follows_subscriptions() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-pres@example.com", "ann").await;
    let bob = app.register("bob-pres@example.com", "bob").await;
    let id = create_room(&app, &ann, "Here", json!({})).await;
    joined(&app, &bob, &id).await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;

    // Bob on a phone and a laptop: connected once, disconnected when both are gone.
    let phone = subscribe(&app, &bob, &id).await;
    let e = ann_ws
        .wait_for("PresenceChanged", |e| {
            e["user"]["id"] == bob.user_id.as_str()
        })
        .await;
    assert_eq!(e["isConnected"], true);
    let laptop = subscribe(&app, &bob, &id).await;
    assert!(
        ann_ws
            .collect("PresenceChanged", Duration::from_millis(300))
            .await
            .is_empty(),
        "a second device is not news"
    );
    phone.ws.close().await;
    assert!(
        ann_ws
            .collect("PresenceChanged", Duration::from_millis(300))
            .await
            .is_empty(),
        "one device is still there"
    );
    let members = room(&app, Some(&ann), &id).await["members"].clone();
    assert_eq!(members[1]["isConnected"], true);
    laptop.ws.close().await;
    let e = ann_ws.next_of("PresenceChanged").await;
    assert_eq!(e["isConnected"], false);
    let members = room(&app, Some(&ann), &id).await["members"].clone();
    assert_eq!(members[1]["isConnected"], false, "joined but not connected");
    assert_eq!(members.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_lagging_subscriber_gets_a_fresh_snapshot() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-lag@example.com", "ann").await;
    let id = create_room(&app, &ann, "Flood", json!({})).await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;
    let room_id: uuid::Uuid = id.parse().expect("uuid");
    let user_id: uuid::Uuid = ann.user_id.parse().expect("uuid");
    // Far more events than the bounded buffer holds, published faster than anyone reads
    // (this test runs on one thread: nothing else runs until the loop ends).
    for i in 0..2_000 {
        app.state.bus.publish(
            Topic::Room(room_id),
            Event::Room(RoomMessage::new(
                room_id,
                RoomEvent::TypingChanged {
                    user_id,
                    is_typing: i % 2 == 0,
                },
            )),
        );
    }
    let mut typing = 0;
    loop {
        let e = ann_ws.next().await;
        match e["__typename"].as_str() {
            Some("TypingChanged") => typing += 1,
            Some("PresenceChanged") => {}
            Some("RoomSnapshot") => {
                assert_eq!(e["room"]["id"], id.as_str());
                break;
            }
            other => panic!("unexpected {other:?}: {e}"),
        }
    }
    assert!(
        typing < 2_000,
        "events were missed, and the client was told: {typing}"
    );
}

#[tokio::test]
async fn idle_rooms_are_closed_but_rooms_with_someone_connected_stay() {
    let app = TestApp::spawn_with(&[("ROOM_IDLE_CLOSE_SECS", "1")]).await;
    let ann = app.register("ann-idle@example.com", "ann").await;
    let idle = create_room(&app, &ann, "Idle", json!({})).await;
    let busy = create_room(&app, &ann, "Busy", json!({})).await;
    let _watching = subscribe(&app, &ann, &busy).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        if room(&app, Some(&ann), &idle).await["closedAt"].is_string() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the idle room was not closed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        room(&app, Some(&ann), &busy).await["closedAt"],
        Value::Null,
        "a room with a connected member stays open"
    );
}

#[tokio::test]
async fn room_events_are_refused_after_leaving_and_room_invites_reach_user_events() {
    // Invitations arrive on the same personal channel as friend events.
    let app = TestApp::spawn().await;
    let ann = app.register("ann-ue@example.com", "ann").await;
    let bob = app.register("bob-ue@example.com", "bob").await;
    befriend(&app, &ann, &bob).await;
    let id = create_room(&app, &ann, "Both", json!({})).await;
    let mut bob_ws = WsClient::signed_in(&app, Some(&bob.access)).await;
    bob_ws.subscribe("ev", EVENTS, json!({})).await;
    settle().await;
    app.gql(
        Some(&ann.access),
        INVITE,
        json!({ "r": id, "u": bob.user_id }),
    )
    .await;
    let msg = bob_ws.next_for("ev").await;
    assert_eq!(msg["type"], "next", "{msg}");
    joined(&app, &bob, &id).await;
    app.gql(Some(&bob.access), LEAVE, json!({ "r": id })).await;
    bob_ws
        .subscribe("r", &room_events(), json!({ "r": id }))
        .await;
    let refused = bob_ws.next_for("r").await;
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
}

#[test]
fn schema_has_the_room_contract() {
    let sdl = soundroom::graphql::sdl();
    for name in [
        "room(id: UUID!): Room",
        "rooms(first: Int, after: String): RoomConnection!",
        "roomMessages(roomId: UUID!, last: Int, before: String): ChatMessageConnection!",
        "createRoom(input: CreateRoomInput!): Room!",
        "joinRoom(roomId: UUID!): Room!",
        "leaveRoom(roomId: UUID!): Boolean!",
        "inviteToRoom(roomId: UUID!, userId: UUID!): Boolean!",
        "roomPlay(roomId: UUID!, trackId: UUID, positionMs: Int",
        "roomPause(roomId: UUID!",
        "roomSeek(roomId: UUID!, positionMs: Int!",
        "roomSkip(roomId: UUID!",
        "enqueueTrack(roomId: UUID!, trackId: UUID!): [QueueItem!]!",
        "sendRoomMessage(roomId: UUID!, body: String!): ChatMessage!",
        "setTyping(roomId: UUID!, isTyping: Boolean!): Boolean!",
        "sendSignal(roomId: UUID!, toUserId: UUID!, signal: JSON!): Boolean!",
        "roomEvents(roomId: UUID!): RoomEvent!",
        "scalar JSON",
        "enum RoomVisibility",
        "members: [RoomMember!]!",
        "playback: PlaybackState!",
        "queue: [QueueItem!]!",
        "addedBy: User!",
        "isConnected: Boolean!",
        "editedAt: DateTime",
        "deleted: Boolean!",
        "waitingFor: [User!]!",
        "union RoomEvent = RoomSnapshot | MemberJoined | MemberLeft | PresenceChanged | PlaybackChanged | QueueChanged | ChatMessagePosted",
        "type RoomInvite",
        "type SignalReceived",
        "signal: JSON!",
        "type HostChanged",
        "type RoomClosed",
        "type TypingChanged",
    ] {
        assert!(sdl.contains(name), "missing `{name}` in the schema");
    }
    let user_event = sdl
        .lines()
        .find(|l| l.starts_with("union UserEvent"))
        .expect("UserEvent");
    assert!(user_event.contains("RoomInvite") && user_event.contains("SignalReceived"));
}
