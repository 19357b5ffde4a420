//! The life of a room: hand-over, close, who may see and join, the member cap, concurrent joins,
//! kicks, bans, roles and transfers.

use super::*;

#[tokio::test]
async fn the_life_of_a_room_with_host_hand_over_and_close() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-room@example.com", "ann").await;
    let bob = app.register("bob-room@example.com", "bob").await;
    let cat = app.register("cat-room@example.com", "cat").await;

    let created = app
        .gql(
            Some(&ann.access),
            CREATE,
            json!({ "i": { "name": "  Friday  ", "visibility": "PUBLIC" } }),
        )
        .await;
    let r = &created["data"]["createRoom"];
    assert_eq!(r["name"], "Friday", "{created}");
    assert_eq!(r["visibility"], "PUBLIC");
    assert_eq!(r["controlMode"], "HOST_ONLY");
    assert_eq!(r["host"]["id"], ann.user_id.as_str());
    assert_eq!(r["members"][0]["role"], "HOST");
    let id = r["id"].as_str().expect("id").to_owned();

    let mut ann_ws = subscribe(&app, &ann, &id).await;
    let snap = &ann_ws.snapshot;
    assert_eq!(snap["room"]["id"], id.as_str());
    assert_eq!(snap["playback"]["track"], Value::Null);
    assert_eq!(snap["playback"]["version"], 0);
    assert_eq!(snap["members"][0]["isConnected"], true, "{snap}");

    joined(&app, &bob, &id).await;
    let e = ann_ws.next_of("MemberJoined").await;
    assert_eq!(e["user"]["id"], bob.user_id.as_str());
    assert_eq!(e["member"]["role"], "LISTENER");
    // Joining again changes nothing.
    joined(&app, &bob, &id).await;
    joined(&app, &cat, &id).await;
    let e = ann_ws.next_of("MemberJoined").await;
    assert_eq!(
        e["user"]["id"],
        cat.user_id.as_str(),
        "no second event for bob"
    );

    let mut bob_ws = subscribe(&app, &bob, &id).await;
    let mut cat_ws = subscribe(&app, &cat, &id).await;
    let seen = room(&app, Some(&bob), &id).await;
    assert_eq!(seen["memberCount"], 3);
    assert_eq!(seen["connectedCount"], 3);
    assert_eq!(seen["viewerRole"], "LISTENER");
    assert_eq!(seen["viewerCanControl"], false);

    // The host leaves: the longest-present member (bob) becomes host.
    let left = app.gql(Some(&ann.access), LEAVE, json!({ "r": id })).await;
    assert_eq!(left["data"]["leaveRoom"], true, "{left}");
    let e = ann_ws.next_of("MemberLeft").await;
    assert_eq!(e["user"]["id"], ann.user_id.as_str());
    assert_eq!(e["kicked"], false);
    let done = ann_ws.ws.next_for("ev").await;
    assert_eq!(
        done["type"], "complete",
        "the leaver's subscription ends: {done}"
    );
    let e = bob_ws.next_of("HostChanged").await;
    assert_eq!(e["host"]["id"], bob.user_id.as_str());
    assert_eq!(e["previousHost"]["id"], ann.user_id.as_str());
    let seen = room(&app, Some(&bob), &id).await;
    assert_eq!(seen["host"]["id"], bob.user_id.as_str());
    assert_eq!(seen["viewerRole"], "HOST");
    let again = app.gql(Some(&ann.access), LEAVE, json!({ "r": id })).await;
    assert_eq!(again["data"]["leaveRoom"], false);

    // Only the host closes.
    let refused = app.gql(Some(&cat.access), CLOSE, json!({ "r": id })).await;
    assert_eq!(code(&refused), "FORBIDDEN");
    let closed = app.gql(Some(&bob.access), CLOSE, json!({ "r": id })).await;
    assert_eq!(closed["data"]["closeRoom"], true, "{closed}");
    for ws in [&mut bob_ws, &mut cat_ws] {
        let e = ws.next_of("RoomClosed").await;
        assert_eq!(e["roomId"], id.as_str());
        let done = ws.ws.next_for("ev").await;
        assert_eq!(done["type"], "complete", "{done}");
    }
    let seen = room(&app, Some(&cat), &id).await;
    assert!(seen["closedAt"].is_string(), "{seen}");
    assert_eq!(code(&join(&app, &ann, &id).await), "NOT_FOUND");
    let listed = app.gql(Some(&cat.access), ROOMS, json!({})).await;
    assert_eq!(listed["data"]["rooms"]["totalCount"], 0, "{listed}");
}

#[tokio::test]
async fn who_may_see_and_join_and_invitations() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-vis@example.com", "ann").await;
    let bob = app.register("bob-vis@example.com", "bob").await;
    let eve = app.register("eve-vis@example.com", "eve").await;

    let public = create_room(&app, &ann, "Open", json!({ "visibility": "PUBLIC" })).await;
    let friends = create_room(&app, &ann, "Friends", json!({ "visibility": "FRIENDS" })).await;
    let private = create_room(&app, &ann, "Secret", json!({ "visibility": "PRIVATE" })).await;

    // Anonymous callers and strangers see public rooms only.
    let anon = app.gql(None, ROOMS, json!({})).await;
    assert_eq!(anon["data"]["rooms"]["totalCount"], 1, "{anon}");
    assert_eq!(room(&app, None, &public).await["name"], "Open");
    assert_eq!(room(&app, None, &private).await, Value::Null);
    for hidden in [&friends, &private] {
        assert_eq!(room(&app, Some(&eve), hidden).await, Value::Null);
        assert_eq!(code(&join(&app, &eve, hidden).await), "NOT_FOUND");
    }
    let listed = app.gql(Some(&eve.access), ROOMS, json!({})).await;
    assert_eq!(listed["data"]["rooms"]["totalCount"], 1);

    // Invitations go to friends only.
    let not_friend = app
        .gql(
            Some(&ann.access),
            INVITE,
            json!({ "r": private, "u": bob.user_id }),
        )
        .await;
    assert_eq!(code(&not_friend), "FORBIDDEN", "{not_friend}");
    befriend(&app, &ann, &bob).await;

    // A friend sees the FRIENDS room; the private one still needs an invitation.
    assert_eq!(room(&app, Some(&bob), &friends).await["name"], "Friends");
    assert_eq!(room(&app, Some(&bob), &private).await, Value::Null);
    let listed = app.gql(Some(&bob.access), ROOMS, json!({})).await;
    assert_eq!(listed["data"]["rooms"]["totalCount"], 2, "{listed}");
    joined(&app, &bob, &friends).await;

    let mut bob_events = WsClient::signed_in(&app, Some(&bob.access)).await;
    bob_events
        .subscribe(
            "inv",
            "subscription { userEvents { __typename ... on RoomInvite { serverTimeMs room { id name visibility } from { id } } } }",
            json!({}),
        )
        .await;
    settle().await;
    let invited = app
        .gql(
            Some(&ann.access),
            INVITE,
            json!({ "r": private, "u": bob.user_id }),
        )
        .await;
    assert_eq!(invited["data"]["inviteToRoom"], true, "{invited}");
    let msg = bob_events.next_for("inv").await;
    let e = &msg["payload"]["data"]["userEvents"];
    assert_eq!(e["__typename"], "RoomInvite", "{msg}");
    assert_eq!(e["room"]["id"], private.as_str());
    assert_eq!(e["room"]["visibility"], "PRIVATE");
    assert_eq!(e["from"]["id"], ann.user_id.as_str());
    assert_eq!(room(&app, Some(&bob), &private).await["name"], "Secret");
    joined(&app, &bob, &private).await;

    // Bob may not invite into the private room (host only), even a friend of his.
    befriend(&app, &bob, &eve).await;
    let by_guest = app
        .gql(
            Some(&bob.access),
            INVITE,
            json!({ "r": private, "u": eve.user_id }),
        )
        .await;
    assert_eq!(code(&by_guest), "FORBIDDEN");
    // ... but into the public room he is in, yes.
    joined(&app, &bob, &public).await;
    let ok = app
        .gql(
            Some(&bob.access),
            INVITE,
            json!({ "r": public, "u": eve.user_id }),
        )
        .await;
    assert_eq!(ok["data"]["inviteToRoom"], true, "{ok}");
    let member = app
        .gql(
            Some(&ann.access),
            INVITE,
            json!({ "r": private, "u": bob.user_id }),
        )
        .await;
    assert_eq!(code(&member), "CONFLICT", "already a member");
}

#[tokio::test]
async fn the_fifty_first_member_is_refused() {
    let app = TestApp::spawn().await;
    let host = app.register("host-full@example.com", "host").await;
    let id = create_room(&app, &host, "Full house", json!({})).await;
    let app_ref = &app;
    let guests = futures_util::future::join_all((0..50).map(|i| async move {
        app_ref
            .register(&format!("g{i}-full@example.com"), &format!("guest{i}"))
            .await
    }))
    .await;
    for guest in &guests[..49] {
        joined(&app, guest, &id).await;
    }
    assert_eq!(room(&app, Some(&host), &id).await["memberCount"], 50);
    let refused = join(&app, &guests[49], &id).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let message = refused["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("full"), "{message}");
    // Someone leaves: there is room again.
    let left = app
        .gql(Some(&guests[0].access), LEAVE, json!({ "r": id }))
        .await;
    assert_eq!(left["data"]["leaveRoom"], true);
    joined(&app, &guests[49], &id).await;
}

#[tokio::test]
async fn concurrent_joins_never_overfill_a_room() {
    let app = TestApp::spawn_with(&[("ROOM_MAX_MEMBERS", "4")]).await;
    let host = app.register("host-race@example.com", "host").await;
    let id = create_room(&app, &host, "Race", json!({})).await;
    let mut guests = Vec::new();
    for i in 0..8 {
        guests.push(
            app.register(&format!("r{i}-race@example.com"), &format!("racer{i}"))
                .await,
        );
    }
    let results = futures_util::future::join_all(guests.iter().map(|g| join(&app, g, &id))).await;
    let admitted = results.iter().filter(|b| b["errors"].is_null()).count();
    let refused = results
        .iter()
        .filter(|b| !b["errors"].is_null())
        .inspect(|b| assert_eq!(code(b), "FORBIDDEN", "{b}"))
        .count();
    assert_eq!((admitted, refused), (3, 5));
    assert_eq!(room(&app, Some(&host), &id).await["memberCount"], 4);
}

#[tokio::test]
async fn kick_ban_roles_and_transfer() {
    let app = TestApp::spawn().await;
    let ann = app.register("ann-kick@example.com", "ann").await;
    let bob = app.register("bob-kick@example.com", "bob").await;
    let cat = app.register("cat-kick@example.com", "cat").await;
    befriend(&app, &ann, &bob).await;
    let id = create_room(&app, &ann, "Kicks", json!({ "controlMode": "DJS" })).await;
    joined(&app, &bob, &id).await;
    joined(&app, &cat, &id).await;
    let mut ann_ws = subscribe(&app, &ann, &id).await;
    let mut bob_ws = subscribe(&app, &bob, &id).await;

    let refused = app
        .gql(
            Some(&cat.access),
            KICK,
            json!({ "r": id, "u": bob.user_id }),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN", "only the host kicks");
    let kicked = app
        .gql(
            Some(&ann.access),
            KICK,
            json!({ "r": id, "u": bob.user_id }),
        )
        .await;
    assert_eq!(kicked["data"]["kickFromRoom"], true, "{kicked}");
    let e = bob_ws.next_of("MemberLeft").await;
    assert_eq!(
        (e["user"]["id"].as_str(), e["kicked"].as_bool()),
        (Some(bob.user_id.as_str()), Some(true))
    );
    assert_eq!(bob_ws.ws.next_for("ev").await["type"], "complete");
    let e = ann_ws.next_of("MemberLeft").await;
    assert_eq!(e["kicked"], true);
    let rejoin = join(&app, &bob, &id).await;
    assert_eq!(code(&rejoin), "FORBIDDEN", "banned until invited: {rejoin}");
    let invited = app
        .gql(
            Some(&ann.access),
            INVITE,
            json!({ "r": id, "u": bob.user_id }),
        )
        .await;
    assert_eq!(invited["data"]["inviteToRoom"], true, "{invited}");
    joined(&app, &bob, &id).await;

    // Roles: the host makes bob a DJ; in DJS mode he may then control playback.
    let role = "mutation($r: UUID!, $u: UUID!, $role: RoomRole!) { setRoomRole(roomId: $r, userId: $u, role: $role) { user { id } role } }";
    let by_guest = app
        .gql(
            Some(&cat.access),
            role,
            json!({ "r": id, "u": bob.user_id, "role": "DJ" }),
        )
        .await;
    assert_eq!(code(&by_guest), "FORBIDDEN");
    let dj = app
        .gql(
            Some(&ann.access),
            role,
            json!({ "r": id, "u": bob.user_id, "role": "DJ" }),
        )
        .await;
    assert_eq!(dj["data"]["setRoomRole"]["role"], "DJ", "{dj}");
    let e = ann_ws.next_of("MemberRoleChanged").await;
    assert_eq!(e["member"]["role"], "DJ");
    assert_eq!(room(&app, Some(&bob), &id).await["viewerCanControl"], true);
    assert_eq!(room(&app, Some(&cat), &id).await["viewerCanControl"], false);

    // Hand over: cat becomes host, ann a listener who can no longer change settings.
    let transfer =
        "mutation($r: UUID!, $u: UUID!) { transferHost(roomId: $r, userId: $u) { host { id } } }";
    let moved = app
        .gql(
            Some(&ann.access),
            transfer,
            json!({ "r": id, "u": cat.user_id }),
        )
        .await;
    assert_eq!(
        moved["data"]["transferHost"]["host"]["id"],
        cat.user_id.as_str(),
        "{moved}"
    );
    let e = ann_ws.next_of("HostChanged").await;
    assert_eq!(e["host"]["id"], cat.user_id.as_str());
    let seen = room(&app, Some(&ann), &id).await;
    assert_eq!(seen["viewerRole"], "LISTENER");
    let update = "mutation($r: UUID!, $i: UpdateRoomInput!) { updateRoom(roomId: $r, input: $i) { name controlMode } }";
    let refused = app
        .gql(
            Some(&ann.access),
            update,
            json!({ "r": id, "i": { "name": "Mine" } }),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN");
    let updated = app
        .gql(
            Some(&cat.access),
            update,
            json!({ "r": id, "i": { "name": "Cat's", "controlMode": "EVERYONE" } }),
        )
        .await;
    assert_eq!(
        updated["data"]["updateRoom"]["controlMode"], "EVERYONE",
        "{updated}"
    );
    let e = ann_ws.next_of("RoomUpdated").await;
    assert_eq!(e["room"]["name"], "Cat's");
    let bad = app
        .gql(
            Some(&cat.access),
            update,
            json!({ "r": id, "i": { "skipVotePercent": 100 } }),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "skipVotePercent");
}
