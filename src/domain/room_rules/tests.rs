//! The room rules, case by case.

use super::*;

const T0: i64 = 5_000_000;

fn track(duration_ms: i64) -> Loaded {
    Loaded {
        track_id: Uuid::new_v4(),
        duration_ms,
    }
}

fn clock(now_ms: i64) -> Clock {
    Clock {
        now_ms,
        lead_ms: 200,
    }
}

fn no_wait() -> WaitPolicy {
    WaitPolicy::default()
}

fn waiting_for(members: &[Uuid]) -> WaitPolicy {
    WaitPolicy {
        enabled: true,
        members: members.to_vec(),
        timeout_ms: 10_000,
    }
}

fn play(rp: &RoomPlayback, t: Loaded, at: i64, wait: &WaitPolicy) -> RoomPlayback {
    rp.apply(
        RoomCommand::Play {
            track: Some((t, Uuid::new_v4())),
            position_ms: None,
        },
        clock(at),
        wait,
    )
    .expect("play")
}

#[test]
fn starts_are_scheduled_after_the_lead() {
    let rp = play(&RoomPlayback::empty(T0), track(60_000), T0, &no_wait());
    assert!(rp.core.is_playing && rp.hold.is_none());
    assert_eq!(rp.core.anchor_time_ms, T0 + 200);
    assert_eq!(rp.next_wake_ms(), Some(T0 + 200 + 60_000));
    let paused = rp
        .apply(RoomCommand::Pause, clock(T0 + 1_200), &no_wait())
        .expect("pause");
    assert_eq!(
        (paused.core.position_ms, paused.core.anchor_time_ms),
        (1_000, T0 + 1_200)
    );
    assert_eq!(paused.next_wake_ms(), None);
    let seek = rp
        .apply(
            RoomCommand::Seek {
                position_ms: 30_000,
            },
            clock(T0 + 2_000),
            &no_wait(),
        )
        .expect("seek");
    assert_eq!(seek.core.anchor_time_ms, T0 + 2_200);
    assert_eq!(seek.core.version, rp.core.version + 1);
}

#[test]
fn skip_takes_the_next_item_or_stops() {
    let rp = play(&RoomPlayback::empty(T0), track(60_000), T0, &no_wait());
    let next = track(1_000);
    let item = Uuid::new_v4();
    let skipped = rp
        .apply(
            RoomCommand::Skip {
                next: Some((next, item)),
            },
            clock(T0 + 10),
            &no_wait(),
        )
        .expect("skip");
    assert_eq!(skipped.core.track, Some(next));
    assert_eq!(skipped.item_id, Some(item));
    assert_eq!(skipped.core.version, rp.core.version + 1);
    let stopped = skipped
        .apply(RoomCommand::Skip { next: None }, clock(T0 + 20), &no_wait())
        .expect("skip");
    assert_eq!(
        (stopped.core.track, stopped.core.is_playing, stopped.item_id),
        (None, false, None)
    );
    let again = stopped
        .apply(RoomCommand::Skip { next: None }, clock(T0 + 30), &no_wait())
        .expect("skip");
    assert_eq!(again, stopped, "skipping nothing changes nothing");
}

#[test]
fn waiting_for_everyone_holds_then_starts_on_a_fresh_anchor() {
    let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
    let wait = waiting_for(&[ann, bob]);
    let held = play(&RoomPlayback::empty(T0), track(60_000), T0, &wait);
    assert!(!held.core.is_playing, "held, not playing");
    let hold = held.hold.clone().expect("hold");
    assert_eq!(hold.waiting_for, vec![ann, bob]);
    assert_eq!(hold.deadline_ms, T0 + 10_000);
    assert_eq!(held.next_wake_ms(), Some(T0 + 10_000));

    let one = held
        .apply(RoomCommand::Ready { user: ann }, clock(T0 + 100), &wait)
        .expect("ready");
    assert_eq!(
        one.hold.as_ref().map(|h| h.waiting_for.clone()),
        Some(vec![bob])
    );
    assert_eq!(
        one.core.version,
        held.core.version + 1,
        "who is awaited is news"
    );
    let same = one
        .apply(RoomCommand::Ready { user: ann }, clock(T0 + 150), &wait)
        .expect("ready");
    assert_eq!(same, one, "a repeated report changes nothing");

    let all = one
        .apply(RoomCommand::Ready { user: bob }, clock(T0 + 900), &wait)
        .expect("ready");
    assert!(all.hold.is_none() && all.core.is_playing);
    assert_eq!(
        all.core.anchor_time_ms,
        T0 + 1_100,
        "fresh anchor after the lead"
    );
    assert_eq!(all.core.position_ms, 0);
}

#[test]
fn a_hold_ends_at_its_deadline_or_when_the_awaited_leave() {
    let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
    let wait = waiting_for(&[ann, bob]);
    let held = play(&RoomPlayback::empty(T0), track(60_000), T0, &wait);
    let early = held
        .apply(RoomCommand::Recheck, clock(T0 + 5_000), &wait)
        .expect("recheck");
    assert_eq!(early, held, "nothing due yet");
    let late = held
        .apply(RoomCommand::Recheck, clock(T0 + 10_000), &wait)
        .expect("recheck");
    assert!(
        late.core.is_playing && late.hold.is_none(),
        "deadline passed: start anyway"
    );

    // Bob disconnects (or opts out): only Ann is left to wait for; then Ann too.
    let only_ann = waiting_for(&[ann]);
    let fewer = held
        .apply(RoomCommand::Recheck, clock(T0 + 1), &only_ann)
        .expect("recheck");
    assert_eq!(
        fewer.hold.as_ref().map(|h| h.waiting_for.clone()),
        Some(vec![ann])
    );
    let nobody = waiting_for(&[]);
    let gone = fewer
        .apply(RoomCommand::Recheck, clock(T0 + 2), &nobody)
        .expect("recheck");
    assert!(gone.core.is_playing);
    // Turning the setting off releases the hold.
    let off = held
        .apply(RoomCommand::Recheck, clock(T0 + 3), &no_wait())
        .expect("recheck");
    assert!(off.core.is_playing);
}

#[test]
fn nobody_to_wait_for_means_no_hold() {
    let wait = waiting_for(&[]);
    let rp = play(&RoomPlayback::empty(T0), track(60_000), T0, &wait);
    assert!(rp.core.is_playing && rp.hold.is_none());
}

#[test]
fn buffering_while_playing_holds_for_that_member() {
    let (ann, bob, opted_out) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let rp = play(&RoomPlayback::empty(T0), track(60_000), T0, &no_wait());
    let wait = waiting_for(&[ann, bob]);
    let ignored = rp
        .apply(
            RoomCommand::Buffering { user: opted_out },
            clock(T0 + 1_200),
            &wait,
        )
        .expect("buffering");
    assert_eq!(ignored, rp, "not waited for");
    let held = rp
        .apply(
            RoomCommand::Buffering { user: bob },
            clock(T0 + 1_200),
            &wait,
        )
        .expect("buffering");
    assert!(!held.core.is_playing);
    assert_eq!(held.core.position_ms, 1_000, "held where playback was");
    assert_eq!(
        held.hold.as_ref().map(|h| h.waiting_for.clone()),
        Some(vec![bob])
    );
    let both = held
        .apply(
            RoomCommand::Buffering { user: ann },
            clock(T0 + 1_300),
            &wait,
        )
        .expect("buffering");
    assert_eq!(both.hold.as_ref().map(|h| h.waiting_for.len()), Some(2));
    let disabled = rp
        .apply(
            RoomCommand::Buffering { user: bob },
            clock(T0 + 1_200),
            &no_wait(),
        )
        .expect("buffering");
    assert_eq!(disabled, rp, "the room does not wait");
}

#[test]
fn commands_during_a_hold() {
    let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
    let wait = waiting_for(&[ann, bob]);
    let held = play(&RoomPlayback::empty(T0), track(60_000), T0, &wait);
    let resume = held
        .apply(
            RoomCommand::Play {
                track: None,
                position_ms: None,
            },
            clock(T0 + 1),
            &wait,
        )
        .expect("play");
    assert_eq!(resume, held, "already about to play");
    let ready = held
        .apply(RoomCommand::Ready { user: ann }, clock(T0 + 2), &wait)
        .expect("ready");
    let seek = ready
        .apply(
            RoomCommand::Seek { position_ms: 9_000 },
            clock(T0 + 3),
            &wait,
        )
        .expect("seek");
    assert_eq!(seek.core.position_ms, 9_000);
    assert_eq!(
        seek.hold.as_ref().map(|h| h.waiting_for.clone()),
        Some(vec![ann, bob]),
        "everyone gets ready again"
    );
    let paused = seek
        .apply(RoomCommand::Pause, clock(T0 + 4), &wait)
        .expect("pause");
    assert!(paused.hold.is_none() && !paused.core.is_playing);
    assert_eq!(paused.core.position_ms, 9_000);
    assert_eq!(paused.core.version, seek.core.version + 1);
}

#[test]
fn lead_is_twice_the_worst_round_trip_within_bounds() {
    assert_eq!(start_lead_ms(None, 150, 2_000), 150);
    assert_eq!(start_lead_ms(Some(40), 150, 2_000), 150);
    assert_eq!(start_lead_ms(Some(300), 150, 2_000), 600);
    assert_eq!(start_lead_ms(Some(5_000), 150, 2_000), 2_000);
}

#[test]
fn skip_votes_need_more_than_the_share() {
    assert_eq!(votes_needed(1, 50), 1);
    assert_eq!(votes_needed(2, 50), 2);
    assert_eq!(votes_needed(3, 50), 2);
    assert_eq!(votes_needed(4, 50), 3);
    assert_eq!(votes_needed(10, 0), 1);
    assert_eq!(votes_needed(10, 75), 8);
    assert_eq!(votes_needed(0, 50), 1);
}
