//! Media tokens: what `Track.streamUrl` and `Attachment.url` carry so that a plain `<audio src>`
//! or `<img src>` (which cannot send an `Authorization` header) can fetch the bytes. Each is an
//! HS256 JWT bound to one resource (a track, an attachment) and one user, short-lived, with a
//! `typ` naming its purpose, signed with a key derived from `JWT_ACCESS_SECRET` under the
//! purpose's own label: a stream token is useless for an attachment and the other way round,
//! and neither works as an access token (nor an access token here).

use std::time::Duration;

use chrono::Utc;
use dashmap::DashMap;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// What a token lets its holder fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A track's audio (`/stream/{trackId}`).
    Stream,
    /// An attachment's bytes (`/attachments/{id}`).
    Attachment,
}

impl Purpose {
    fn typ(self) -> &'static str {
        match self {
            Self::Stream => "stream",
            Self::Attachment => "attachment",
        }
    }

    fn key_label(self) -> &'static [u8] {
        match self {
            Self::Stream => b"soundroom stream token key v1",
            Self::Attachment => b"soundroom attachment token key v1",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct MediaClaims {
    sub: Uuid,
    /// The resource (the claim kept its first name, from when only tracks had tokens).
    #[serde(rename = "trk")]
    resource: Uuid,
    typ: String,
    exp: i64,
}

/// Tokens whose signature checked out, kept so that the many ranged requests an `<audio>`
/// element makes with one URL skip the HMAC and JSON work (a third of a cached range's cost).
/// Bounded; the expiry is still checked on every use.
const VERIFIED_MAX: usize = 4096;

#[derive(Clone, Copy)]
struct Verified {
    user: Uuid,
    resource: Uuid,
    exp: i64,
}

pub struct MediaTokens {
    purpose: Purpose,
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
    verified: DashMap<Box<str>, Verified>,
}

impl MediaTokens {
    pub fn new(purpose: Purpose, access_secret: &[u8], ttl: Duration) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(access_secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(purpose.key_label());
        let key = mac.finalize().into_bytes();
        Self {
            purpose,
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            ttl,
            verified: DashMap::new(),
        }
    }

    /// A token letting `user_id` fetch `resource` until the TTL passes.
    pub fn issue(&self, user_id: Uuid, resource: Uuid) -> AppResult<String> {
        let claims = MediaClaims {
            sub: user_id,
            resource,
            typ: self.purpose.typ().into(),
            exp: Utc::now().timestamp() + self.ttl.as_secs() as i64,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("jwt encode: {e}")))
    }

    /// The user a token was issued to, when it is valid for `resource`.
    pub fn verify(&self, token: &str, resource: Uuid) -> AppResult<Uuid> {
        let claims = match self.verified.get(token).map(|v| *v) {
            Some(known) => known,
            None => {
                let checked = self.check_signature(token)?;
                if self.verified.len() >= VERIFIED_MAX {
                    self.verified.retain(|_, v| !super::has_expired(v.exp));
                    if self.verified.len() >= VERIFIED_MAX {
                        self.verified.clear();
                    }
                }
                self.verified.insert(token.into(), checked);
                checked
            }
        };
        if super::has_expired(claims.exp) {
            self.verified.remove(token);
            return Err(self.invalid());
        }
        if claims.resource != resource {
            return Err(AppError::unauthenticated(format!(
                "This {} token is for another resource",
                self.purpose.typ()
            )));
        }
        Ok(claims.user)
    }

    fn invalid(&self) -> AppError {
        AppError::unauthenticated(format!("Invalid or expired {} token", self.purpose.typ()))
    }

    /// The claims of a token signed with this purpose's key and of this purpose's type.
    fn check_signature(&self, token: &str) -> AppResult<Verified> {
        let invalid = || self.invalid();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = decode::<MediaClaims>(token, &self.decoding, &validation)
            .map_err(|_| invalid())?
            .claims;
        if claims.typ != self.purpose.typ() {
            return Err(AppError::unauthenticated(format!(
                "This {} token is for another resource",
                self.purpose.typ()
            )));
        }
        Ok(Verified {
            user: claims.sub,
            resource: claims.resource,
            exp: claims.exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"secret-secret-secret-secret-secret";

    #[test]
    fn bound_to_one_resource_and_its_own_key() {
        let tokens = MediaTokens::new(Purpose::Stream, SECRET, Duration::from_secs(60));
        let (user, track) = (Uuid::new_v4(), Uuid::new_v4());
        let token = tokens.issue(user, track).expect("issue");
        assert_eq!(tokens.verify(&token, track).expect("valid"), user);
        assert!(tokens.verify(&token, Uuid::new_v4()).is_err());
        let other = MediaTokens::new(
            Purpose::Stream,
            b"another-secret-another-secret-xx",
            Duration::from_secs(60),
        );
        assert!(other.verify(&token, track).is_err());
        assert!(tokens.verify("garbage", track).is_err());
    }

    #[test]
    fn purposes_do_not_mix() {
        let streams = MediaTokens::new(Purpose::Stream, SECRET, Duration::from_secs(60));
        let attachments = MediaTokens::new(Purpose::Attachment, SECRET, Duration::from_secs(60));
        let (user, id) = (Uuid::new_v4(), Uuid::new_v4());
        let stream = streams.issue(user, id).expect("issue");
        let attachment = attachments.issue(user, id).expect("issue");
        assert!(attachments.verify(&stream, id).is_err());
        assert!(streams.verify(&attachment, id).is_err());
        assert_eq!(attachments.verify(&attachment, id).expect("valid"), user);
    }

    #[test]
    fn remembered_tokens_are_still_bound_and_expire() {
        let tokens = MediaTokens::new(Purpose::Stream, SECRET, Duration::from_secs(60));
        let (user, track) = (Uuid::new_v4(), Uuid::new_v4());
        let token = tokens.issue(user, track).expect("issue");
        for _ in 0..2 {
            assert_eq!(tokens.verify(&token, track).expect("valid"), user);
            assert!(
                tokens.verify(&token, Uuid::new_v4()).is_err(),
                "another track"
            );
        }
        assert_eq!(tokens.verified.len(), 1);
        let stale = Verified {
            user,
            resource: track,
            exp: Utc::now().timestamp() - 1,
        };
        tokens.verified.insert("remembered".into(), stale);
        assert!(
            tokens.verify("remembered", track).is_err(),
            "expired meanwhile"
        );
        assert!(!tokens.verified.contains_key("remembered"));
    }
}
