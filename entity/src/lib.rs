//! sea-orm entities: one module per table, nothing else.

pub mod artist;
pub mod attachment;
pub mod chat_message;
pub mod conversation;
pub mod conversation_member;
pub mod favorite;
pub mod friend_request;
pub mod friendship;
pub mod message;
pub mod oidc_login_state;
pub mod playback_state;
pub mod playlist;
pub mod playlist_track;
pub mod recovery_code;
pub mod refresh_token;
pub mod room;
pub mod room_access;
pub mod room_playback;
pub mod room_queue_item;
pub mod room_skip_vote;
pub mod room_user;
pub mod track;
pub mod user;
pub mod user_identity;
pub mod user_two_factor;
