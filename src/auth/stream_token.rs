//! Stream tokens: what `Track.streamUrl` carries so that a plain `<audio src>` (which cannot send
//! an `Authorization` header) can play and seek. Each is an HS256 JWT bound to one track and one
//! user, short-lived, with `typ = "stream"`, signed with a key derived from `JWT_ACCESS_SECRET`
//! under its own label, so it is useless as an access token and an access token is useless here.

use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

const TYP: &str = "stream";

#[derive(Debug, Serialize, Deserialize)]
struct StreamClaims {
    sub: Uuid,
    trk: Uuid,
    typ: String,
    exp: i64,
}

pub struct StreamTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl StreamTokens {
    pub fn new(access_secret: &[u8], ttl: Duration) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(access_secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"soundroom stream token key v1");
        let key = mac.finalize().into_bytes();
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            ttl,
        }
    }

    /// A token letting `user_id` fetch `track_id` until the TTL passes.
    pub fn issue(&self, user_id: Uuid, track_id: Uuid) -> AppResult<String> {
        let claims = StreamClaims {
            sub: user_id,
            trk: track_id,
            typ: TYP.into(),
            exp: Utc::now().timestamp() + self.ttl.as_secs() as i64,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("jwt encode: {e}")))
    }

    /// The user a token was issued to, when it is valid for `track_id`.
    pub fn verify(&self, token: &str, track_id: Uuid) -> AppResult<Uuid> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = decode::<StreamClaims>(token, &self.decoding, &validation)
            .map_err(|_| AppError::unauthenticated("Invalid or expired stream token"))?
            .claims;
        if super::has_expired(claims.exp) {
            return Err(AppError::unauthenticated("Invalid or expired stream token"));
        }
        if claims.typ != TYP || claims.trk != track_id {
            return Err(AppError::unauthenticated(
                "This stream token is for another track",
            ));
        }
        Ok(claims.sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_to_one_track_and_its_own_key() {
        let tokens = StreamTokens::new(
            b"secret-secret-secret-secret-secret",
            Duration::from_secs(60),
        );
        let (user, track) = (Uuid::new_v4(), Uuid::new_v4());
        let token = tokens.issue(user, track).expect("issue");
        assert_eq!(tokens.verify(&token, track).expect("valid"), user);
        assert!(tokens.verify(&token, Uuid::new_v4()).is_err());
        let other = StreamTokens::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        assert!(other.verify(&token, track).is_err());
        assert!(tokens.verify("garbage", track).is_err());
    }
}
