//! The rules of a call, with no I/O: its kinds and states as stored, when it becomes active,
//! when it ends and why, and the limits on what travels through it.

use serde::{Deserialize, Serialize};

macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// The stored text back; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

stored_enum!(
    /// Audio only, or with cameras.
    CallKind { Audio = "AUDIO", Video = "VIDEO" }
);
stored_enum!(
    /// `RINGING` until the first answer, `ACTIVE` until it ends.
    CallState { Ringing = "RINGING", Active = "ACTIVE", Ended = "ENDED" }
);
stored_enum!(
    ParticipantState {
        Ringing = "RINGING",
        Joined = "JOINED",
        Declined = "DECLINED",
        Missed = "MISSED",
        Busy = "BUSY",
        Left = "LEFT",
    }
);
stored_enum!(
    CallEndReason { Hangup = "HANGUP", Declined = "DECLINED", Missed = "MISSED", Busy = "BUSY" }
);
stored_enum!(
    MediaQuality { Low = "LOW", Medium = "MEDIUM", High = "HIGH" }
);
stored_enum!(
    AnnotationKind { Draw = "DRAW", Pointer = "POINTER", Text = "TEXT", Clear = "CLEAR" }
);

impl CallState {
    /// A stored state; anything unknown reads as ended (it accepts no more changes).
    pub fn of(text: &str) -> Self {
        Self::parse(text).unwrap_or(Self::Ended)
    }
}

impl ParticipantState {
    /// A stored state; anything unknown reads as left.
    pub fn of(text: &str) -> Self {
        Self::parse(text).unwrap_or(Self::Left)
    }

    /// Ringing or joined: part of the call right now (signals may reach them).
    pub fn is_live(self) -> bool {
        matches!(self, Self::Ringing | Self::Joined)
    }
}

impl MediaQuality {
    pub fn of(text: &str) -> Self {
        Self::parse(text).unwrap_or(Self::Medium)
    }
}

/// What a call is placed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One callee.
    OneToOne,
    /// Several callees, or a conversation's members.
    Conference,
    /// A listening room's voice channel: nobody is rung.
    RoomVoice,
}

/// What the participants' states say about the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing changes.
    Unchanged,
    /// Someone answered: the call is active.
    Active,
    /// The call is over, for this reason.
    Ended(CallEndReason),
}

/// The call's next state, given its current one, whether anyone ever answered, and its
/// participants' states. A call ends when fewer than two participants are joined and nobody is
/// ringing (room voice: when nobody is joined). It ends `DECLINED`, `MISSED` or `BUSY` when
/// nobody ever answered (the callees' most telling state: missed, then declined, then busy),
/// else `HANGUP`.
pub fn settle(
    shape: Shape,
    current: CallState,
    answered: bool,
    states: &[ParticipantState],
) -> Outcome {
    if current == CallState::Ended {
        return Outcome::Unchanged;
    }
    let count = |s: ParticipantState| states.iter().filter(|x| **x == s).count();
    let joined = count(ParticipantState::Joined);
    let ringing = count(ParticipantState::Ringing);
    let over = match shape {
        Shape::RoomVoice => joined == 0,
        Shape::OneToOne | Shape::Conference => joined < 2 && ringing == 0,
    };
    if over {
        return Outcome::Ended(end_reason(answered, states));
    }
    if current == CallState::Ringing && (answered || shape == Shape::RoomVoice) {
        return Outcome::Active;
    }
    Outcome::Unchanged
}

/// Why a call ends now (also when its initiator ends it).
pub fn end_reason(answered: bool, states: &[ParticipantState]) -> CallEndReason {
    if answered {
        return CallEndReason::Hangup;
    }
    let any = |s: ParticipantState| states.contains(&s);
    if any(ParticipantState::Missed) || any(ParticipantState::Ringing) {
        CallEndReason::Missed
    } else if any(ParticipantState::Declined) {
        CallEndReason::Declined
    } else if any(ParticipantState::Busy) {
        CallEndReason::Busy
    } else {
        CallEndReason::Hangup
    }
}

/// A one-to-one call's key while it lasts: the two users in order.
pub fn pair_key(a: uuid::Uuid, b: uuid::Uuid) -> String {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    format!("{low}:{high}")
}

/// Who a callee is to the ring limits: already joined in an active call, or rung by too many.
pub fn is_busy(joined_elsewhere: bool, ringing_elsewhere: usize, max_ringing: usize) -> bool {
    joined_elsewhere || ringing_elsewhere >= max_ringing
}

#[cfg(test)]
mod tests {
    use super::*;
    use ParticipantState::*;

    #[test]
    fn stored_texts_read_back() {
        for s in [Ringing, Joined, Declined, Missed, Busy, Left] {
            assert_eq!(ParticipantState::parse(s.as_str()), Some(s));
        }
        assert_eq!(CallState::of("nonsense"), CallState::Ended);
        assert_eq!(MediaQuality::parse("HIGH"), Some(MediaQuality::High));
        assert_eq!(AnnotationKind::parse("draw"), None);
    }

    #[test]
    fn ringing_until_an_answer_then_active() {
        let ringing = settle(
            Shape::OneToOne,
            CallState::Ringing,
            false,
            &[Joined, Ringing],
        );
        assert_eq!(ringing, Outcome::Unchanged);
        let answered = settle(Shape::OneToOne, CallState::Ringing, true, &[Joined, Joined]);
        assert_eq!(answered, Outcome::Active);
        let still = settle(
            Shape::Conference,
            CallState::Active,
            true,
            &[Joined, Joined, Ringing],
        );
        assert_eq!(still, Outcome::Unchanged);
    }

    #[test]
    fn ends_with_the_reason_nobody_answered() {
        let cases = [
            (&[Joined, Declined][..], CallEndReason::Declined),
            (&[Joined, Missed][..], CallEndReason::Missed),
            (&[Joined, Busy][..], CallEndReason::Busy),
            (&[Joined, Busy, Declined, Missed][..], CallEndReason::Missed),
            (&[Joined, Busy, Declined][..], CallEndReason::Declined),
        ];
        for (states, reason) in cases {
            assert_eq!(
                settle(Shape::Conference, CallState::Ringing, false, states),
                Outcome::Ended(reason),
                "{states:?}"
            );
        }
    }

    #[test]
    fn an_answered_call_ends_in_a_hangup_when_one_is_left() {
        let outcome = settle(Shape::OneToOne, CallState::Active, true, &[Joined, Left]);
        assert_eq!(outcome, Outcome::Ended(CallEndReason::Hangup));
        let conference = settle(
            Shape::Conference,
            CallState::Active,
            true,
            &[Left, Joined, Joined],
        );
        assert_eq!(conference, Outcome::Unchanged);
        // One joined while another still rings: the call goes on.
        let waiting = settle(
            Shape::Conference,
            CallState::Active,
            true,
            &[Joined, Left, Ringing],
        );
        assert_eq!(waiting, Outcome::Unchanged);
    }

    #[test]
    fn room_voice_lasts_while_anyone_is_joined() {
        assert_eq!(
            settle(Shape::RoomVoice, CallState::Ringing, false, &[Joined]),
            Outcome::Active
        );
        assert_eq!(
            settle(Shape::RoomVoice, CallState::Active, false, &[Joined, Left]),
            Outcome::Unchanged
        );
        assert_eq!(
            settle(Shape::RoomVoice, CallState::Active, true, &[Left, Left]),
            Outcome::Ended(CallEndReason::Hangup)
        );
        assert_eq!(
            settle(Shape::RoomVoice, CallState::Ended, true, &[Left]),
            Outcome::Unchanged
        );
    }

    #[test]
    fn pairs_and_busy() {
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        assert_eq!(pair_key(a, b), pair_key(b, a));
        assert!(is_busy(true, 0, 5));
        assert!(is_busy(false, 5, 5));
        assert!(!is_busy(false, 4, 5));
    }
}
