//! Several server instances on one database, their events bridged over Redis (as behind a
//! load balancer): members connected to different instances hear the same room, and each event
//! arrives once. Skipped (with a notice) when no Redis is reachable.

use std::time::Duration;

use serde_json::json;
use soundroom::realtime::{
    Event, RoomEvent, RoomMessage, Topic,
    bridge::wire::{Encoder, Key},
};

use crate::helpers::{Frame, Session, TestApp, WsClient, test_config};
use crate::rate_limits::redis_url;
use crate::rooms::{RoomWs, create_room, joined, subscribe};
use crate::social::EVENTS;

/// Two instances of one deployment: one database, the real Redis under a prefix of their own,
/// `overrides` for both; `None` (the test skips) when no Redis is reachable.
pub async fn two_instances(overrides: &[(&str, &str)]) -> Option<(TestApp, TestApp)> {
    let url = redis_url().await?;
    let prefix = format!("soundroom-test-{}:", uuid::Uuid::new_v4().simple());
    let mut settings = vec![
        ("REDIS_URL", url.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
    ];
    settings.extend_from_slice(overrides);
    let config = test_config(&settings);
    let a = TestApp::start(config.clone()).await;
    let b = TestApp::start(config).await;
    Some((a, b))
}

#[tokio::test]
async fn members_on_different_instances_hear_the_same_room() {
    let Some((a, b)) = two_instances(&[]).await else {
        return;
    };
    // An instance under another prefix is another deployment: it hears nothing of these.
    let mut elsewhere = a.state.config.clone();
    elsewhere.port = 0;
    elsewhere.security.redis_key_prefix =
        format!("{}other:", a.state.config.security.redis_key_prefix);
    let other = TestApp::start(elsewhere).await;

    let ann = a.register("ann-inst@example.com", "ann").await;
    let bob = a.register("bob-inst@example.com", "bob").await;
    let track = a.create_track("Shared", 240_000).await;

    // Personal events: a request sent through A reaches Bob's device on B.
    let mut bob_devices = WsClient::signed_in(&b, Some(&bob.access)).await;
    bob_devices.subscribe("ev", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = a
        .gql(
            Some(&ann.access),
            "mutation($u: UUID!) { sendFriendRequest(userId: $u) { id } }",
            json!({ "u": bob.user_id }),
        )
        .await;
    assert!(sent["errors"].is_null(), "{sent}");
    let msg = bob_devices.next_for("ev").await;
    let event = &msg["payload"]["data"]["userEvents"];
    assert_eq!(event["__typename"], "FriendRequestReceived", "{msg}");
    assert_eq!(event["request"]["requester"]["id"], ann.user_id.as_str());

    // A room hosted through A, joined and heard through B.
    let id = create_room(&a, &ann, "Across", json!({})).await;
    let mut ann_ws = subscribe(&a, &ann, &id).await;
    let mut outsider = WsClient::signed_in(&other, Some(&ann.access)).await;
    outsider
        .subscribe("ev", &crate::rooms::room_events(), json!({ "r": id }))
        .await;
    let first = outsider.next_for("ev").await;
    assert_eq!(
        first["payload"]["data"]["roomEvents"]["__typename"], "RoomSnapshot",
        "{first}"
    );
    joined(&b, &bob, &id).await;
    let mut bob_ws = subscribe(&b, &bob, &id).await;
    let joined_event = ann_ws.next_of("MemberJoined").await;
    assert_eq!(joined_event["user"]["id"], bob.user_id.as_str());

    let played = a
        .gql(
            Some(&ann.access),
            "mutation($r: UUID!, $t: UUID) { roomPlay(roomId: $r, trackId: $t) { version } }",
            json!({ "r": id, "t": track }),
        )
        .await;
    assert_eq!(played["data"]["roomPlay"]["version"], 1, "{played}");
    let heard = bob_ws.next_of("PlaybackChanged").await;
    assert_eq!(heard["playback"]["track"]["id"], track.as_str(), "{heard}");
    assert_eq!(heard["playback"]["version"], 1);

    let said = b
        .gql(
            Some(&bob.access),
            "mutation($r: UUID!, $b: String!) { sendRoomMessage(roomId: $r, body: $b) { id } }",
            json!({ "r": id, "b": "hello from B" }),
        )
        .await;
    assert!(said["errors"].is_null(), "{said}");
    let message = ann_ws.next_of("ChatMessagePosted").await;
    assert_eq!(message["message"]["body"], "hello from B");

    // Each event once on each instance: no echo of what an instance published itself.
    let again = ann_ws
        .collect("ChatMessagePosted", Duration::from_millis(400))
        .await;
    assert!(again.is_empty(), "delivered twice: {again:?}");
    let again = bob_ws
        .collect("PlaybackChanged", Duration::from_millis(100))
        .await;
    assert!(again.is_empty(), "delivered twice: {again:?}");
    // The other deployment's subscriber heard none of it (only its own presence, locally).
    let mut heard = Vec::new();
    while let Some(frame) = outsider.recv_within(Duration::from_millis(100)).await {
        if let Frame::Json(msg) = frame {
            heard.push(msg["payload"]["data"]["roomEvents"]["__typename"].clone());
        }
    }
    assert!(
        heard
            .iter()
            .all(|kind| kind == "PresenceChanged" || kind.is_null()),
        "another prefix is another deployment: {heard:?}"
    );
}

/// Two bridged instances and one on the same database without the bridge, with Ann hosting a
/// room and Bob, a member, subscribed to it through B.
struct Bridged {
    a: TestApp,
    _b: TestApp,
    unbridged: TestApp,
    ann: Session,
    bob: Session,
    room: String,
    bob_ws: RoomWs,
    channel: String,
    url: String,
}

async fn bridged(name: &str) -> Option<Bridged> {
    let url = redis_url().await?;
    let prefix = format!("soundroom-test-{}:", uuid::Uuid::new_v4().simple());
    let config = test_config(&[("REDIS_URL", url.as_str()), ("REDIS_KEY_PREFIX", &prefix)]);
    let a = TestApp::start(config.clone()).await;
    let b = TestApp::start(config.clone()).await;
    let mut alone = config.clone();
    alone.security.redis_url = None;
    let unbridged = TestApp::start(alone).await;
    let ann = a.register(&format!("ann-{name}@example.com"), "ann").await;
    let bob = a.register(&format!("bob-{name}@example.com"), "bob").await;
    let room = create_room(&a, &ann, "Bridged", json!({})).await;
    joined(&b, &bob, &room).await;
    let bob_ws = subscribe(&b, &bob, &room).await;
    Some(Bridged {
        a,
        _b: b,
        unbridged,
        ann,
        bob,
        room,
        bob_ws,
        channel: format!("{prefix}events"),
        url,
    })
}

#[tokio::test]
async fn events_the_bridge_dropped_resync_the_rooms_they_were_for() {
    let Some(mut s) = bridged("drop").await else {
        return;
    };
    // Ann removes Bob through an instance whose events never reach B: B never hears his
    // MemberLeft, as when the bridge drops it.
    let kicked = s
        .unbridged
        .gql(
            Some(&s.ann.access),
            "mutation($r: UUID!, $u: UUID!) { kickFromRoom(roomId: $r, userId: $u) }",
            json!({ "r": s.room, "u": s.bob.user_id }),
        )
        .await;
    assert_eq!(kicked["data"]["kickFromRoom"], true, "{kicked}");
    // A's hand-off queue overflows (nothing else runs on this test's single thread while the
    // loop publishes), so A drops what comes next for the room, then tells the others.
    let room_id: uuid::Uuid = s.room.parse().expect("uuid");
    let elsewhere = uuid::Uuid::new_v4();
    let typing = |room| {
        Event::Room(RoomMessage::new(
            room,
            RoomEvent::TypingChanged {
                user_id: s.ann.user_id.parse().expect("uuid"),
                is_typing: true,
            },
        ))
    };
    for _ in 0..17_000 {
        s.a.state
            .bus
            .publish(Topic::Room(elsewhere), typing(elsewhere));
    }
    s.a.state.bus.publish(Topic::Room(room_id), typing(room_id));

    // B resyncs Bob's subscription, finds him no longer a member, and ends it.
    let mut seen = Vec::new();
    loop {
        let msg = s.bob_ws.ws.next_for("ev").await;
        if msg["type"] == "complete" {
            break;
        }
        let event = &msg["payload"]["data"]["roomEvents"];
        assert_ne!(event["__typename"], "RoomSnapshot", "{msg}");
        seen.push(event.clone());
    }
    let last = seen.last().expect("an event before the end");
    assert_eq!(last["__typename"], "MemberLeft", "{seen:?}");
    assert_eq!(last["user"]["id"], s.bob.user_id.as_str());
    assert_eq!(last["kicked"], true);
}

#[tokio::test]
async fn messages_not_signed_by_the_deployment_are_dropped() {
    let Some(mut s) = bridged("forge").await else {
        return;
    };
    let room_id: uuid::Uuid = s.room.parse().expect("uuid");
    let topic = Topic::Room(room_id);
    let forged = Event::Room(RoomMessage::new(
        room_id,
        RoomEvent::TypingChanged {
            user_id: s.ann.user_id.parse().expect("uuid"),
            is_typing: true,
        },
    ));
    let now = chrono::Utc::now().timestamp_millis();
    let unsigned = format!(
        "{} {topic}\n{}",
        uuid::Uuid::new_v4(),
        serde_json::to_string(&forged).expect("json")
    );
    let wrong_key = Encoder::new(
        Key::derive(b"a guessed secret, long enough to look real", &s.channel),
        uuid::Uuid::new_v4(),
    )
    .event(topic, &forged, now)
    .expect("encodes");
    let client = redis::Client::open(s.url.as_str()).expect("redis url");
    let mut redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    for payload in [unsigned.into_bytes(), wrong_key] {
        let _: i64 = redis::cmd("PUBLISH")
            .arg(&s.channel)
            .arg(payload)
            .query_async(&mut redis)
            .await
            .expect("publish");
    }
    // A genuine event after them: Bob hears it, and nothing of the forged ones before it.
    let said =
        s.a.gql(
            Some(&s.ann.access),
            "mutation($r: UUID!, $b: String!) { sendRoomMessage(roomId: $r, body: $b) { id } }",
            json!({ "r": s.room, "b": "genuine" }),
        )
        .await;
    assert!(said["errors"].is_null(), "{said}");
    loop {
        let event = s.bob_ws.next().await;
        assert_ne!(event["__typename"], "TypingChanged", "forged: {event}");
        if event["__typename"] == "ChatMessagePosted" {
            assert_eq!(event["message"]["body"], "genuine");
            break;
        }
    }
}

/// Two replicas of a deployment start at the same moment on a database nobody migrated yet:
/// both come up (they take turns at the migrations) and serve the same data.
#[tokio::test]
async fn instances_starting_together_on_a_fresh_database_both_come_up() {
    let config = test_config(&[]);
    let (a, b) = tokio::join!(
        TestApp::start(config.clone()),
        TestApp::start(config.clone())
    );
    let ann = a.register("ann-together@example.com", "ann").await;
    let login = b.login("ann-together@example.com", "correct horse").await;
    assert_eq!(
        login["data"]["login"]["user"]["id"],
        ann.user_id.as_str(),
        "{login}"
    );
}

/// Whether `member` shows as connected in `room`, asked through `app`.
pub async fn shows_connected(app: &TestApp, who: &Session, room: &str, member: &str) -> bool {
    let body = app
        .gql(
            Some(&who.access),
            "query($r: UUID!) { room(id: $r) { members { user { id } isConnected } } }",
            json!({ "r": room }),
        )
        .await;
    body["data"]["room"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .any(|m| m["user"]["id"] == member && m["isConnected"] == true)
}

async fn shows_online(app: &TestApp, who: &Session, user: &str) -> bool {
    let body = app
        .gql(
            Some(&who.access),
            "query($u: UUID!) { user(id: $u) { isOnline } }",
            json!({ "u": user }),
        )
        .await;
    body["data"]["user"]["isOnline"] == true
}

/// Presence spans the instances: a member connected to B is connected and online in what A
/// answers, and when B stops reporting without a word (as a killed process would), A says they
/// left within the presence TTL.
#[tokio::test]
async fn presence_spans_instances_and_a_silent_instance_s_members_go_offline() {
    let Some((a, b)) = two_instances(&[("PRESENCE_TTL_MS", "1500")]).await else {
        return;
    };
    let ann = a.register("ann-presence-x@example.com", "ann").await;
    let bob = a.register("bob-presence-x@example.com", "bob").await;
    crate::social::befriend(&a, &ann, &bob).await;
    let room = create_room(&a, &ann, "Across", json!({})).await;
    joined(&a, &bob, &room).await;
    let mut ann_room = subscribe(&a, &ann, &room).await;
    let mut ann_events = WsClient::signed_in(&a, Some(&ann.access)).await;
    ann_events.subscribe("ev", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!shows_connected(&a, &ann, &room, &bob.user_id).await);
    assert!(!shows_online(&a, &ann, &bob.user_id).await);

    let _bob_room = subscribe(&b, &bob, &room).await;
    let online = ann_events.next_for("ev").await;
    assert_eq!(
        online["payload"]["data"]["userEvents"]["__typename"], "FriendPresenceChanged",
        "{online}"
    );
    let connected = ann_room
        .wait_for("PresenceChanged", |e| {
            e["user"]["id"] == bob.user_id.as_str()
        })
        .await;
    assert_eq!(connected["isConnected"], true, "{connected}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !(shows_connected(&a, &ann, &room, &bob.user_id).await
        && shows_online(&a, &ann, &bob.user_id).await)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "A never saw Bob connected through B"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // B goes silent: its background tasks stop (as in a crash), Bob's socket stays open.
    b.state.rooms.shutdown();
    let silent_at = tokio::time::Instant::now();
    let left = ann_room
        .wait_for("PresenceChanged", |e| {
            e["user"]["id"] == bob.user_id.as_str() && e["isConnected"] == false
        })
        .await;
    assert_eq!(left["isConnected"], false);
    let offline = loop {
        let msg = ann_events.next_for("ev").await;
        let event = msg["payload"]["data"]["userEvents"].clone();
        if event["__typename"] == "FriendPresenceChanged" && event["isOnline"] == false {
            break event;
        }
    };
    assert_eq!(offline["user"]["id"], bob.user_id.as_str());
    assert!(
        silent_at.elapsed() < Duration::from_secs(4),
        "announced {:?} after B went silent",
        silent_at.elapsed()
    );
    assert!(!shows_connected(&a, &ann, &room, &bob.user_id).await);
    assert!(!shows_online(&a, &ann, &bob.user_id).await);
}

/// A call between users on different instances: placed through A, it rings Bob's device on B;
/// his answer through B reaches Ann's devices on A; signals cross both ways over `callEvents`;
/// hanging up through A ends it on B. (A direct message sent through A reaching B's
/// `userEvents` is `messenger::events::messages_reach_members_on_other_instances`.)
#[tokio::test]
async fn a_call_rings_and_is_answered_across_instances() {
    use crate::calls::{act, call, call_device, device, friends, id, next_call_of, next_of};
    let Some((a, b)) = two_instances(&[]).await else {
        return;
    };
    let [ann, bob] = &friends(&a, &["ann", "bob"]).await[..] else {
        unreachable!()
    };
    let mut ann_phone = device(&a, ann).await;
    let mut bob_phone = device(&b, bob).await;

    let placed = call(&a, ann, &[bob]).await;
    let call_id = id(&placed);
    let ring = next_of(&mut bob_phone, "IncomingCall").await;
    assert_eq!(ring["from"]["id"], ann.user_id.as_str());
    assert_eq!(ring["call"]["id"], call_id.as_str());
    assert_eq!(crate::calls::state_of(&ring["call"], bob), "RINGING");

    let mut ann_call = call_device(&a, ann, &call_id).await;
    let mut bob_call = call_device(&b, bob, &call_id).await;
    let answered = act(&b, bob, "acceptCall", &call_id).await;
    assert_eq!(answered["state"], "ACTIVE");
    loop {
        let update = next_of(&mut ann_phone, "CallUpdated").await;
        if update["call"]["state"] == "ACTIVE" {
            assert_eq!(crate::calls::state_of(&update["call"], bob), "JOINED");
            break;
        }
    }
    let update = next_call_of(&mut ann_call, "CallUpdated").await;
    assert_eq!(crate::calls::state_of(&update["call"], bob), "JOINED");

    const SIGNAL: &str = "mutation($c: UUID!, $t: UUID!, $s: JSON!) { sendCallSignal(callId: $c, toUserId: $t, signal: $s) }";
    for (app, from, to, dev) in [(&b, bob, ann, &mut ann_call), (&a, ann, bob, &mut bob_call)] {
        let signal = json!({ "type": "candidate", "from": from.user_id });
        let sent = app
            .gql(
                Some(&from.access),
                SIGNAL,
                json!({ "c": call_id, "t": to.user_id, "s": signal }),
            )
            .await;
        assert_eq!(sent["data"]["sendCallSignal"], true, "{sent}");
        let got = next_call_of(dev, "CallSignalReceived").await;
        assert_eq!(got["signal"], signal);
        assert_eq!(got["from"]["id"], from.user_id.as_str());
    }

    let hung = act(&a, ann, "leaveCall", &call_id).await;
    assert_eq!(hung["state"], "ENDED");
    loop {
        let update = next_of(&mut bob_phone, "CallUpdated").await;
        if update["call"]["state"] == "ENDED" {
            assert_eq!(update["call"]["endReason"], "HANGUP");
            break;
        }
    }
}
