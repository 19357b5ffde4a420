//! Domain events. Services publish them after their transaction commits; the GraphQL layer turns
//! them into subscription payloads, filtered by what each subscriber may see.

use chrono::{DateTime, Utc};

#[derive(Clone, Debug)]
pub enum Event {
    User(UserEvent),
}

/// Events on a user's personal channel (`user:{id}`), delivered to all of their devices.
#[derive(Clone, Debug)]
pub enum UserEvent {
    /// The user's profile changed (from any device).
    ProfileUpdated {
        user: entity::user::Model,
        at: DateTime<Utc>,
    },
    /// A new session signed in (login, registration or Google sign-in).
    SessionStarted {
        session_id: uuid::Uuid,
        at: DateTime<Utc>,
    },
}
