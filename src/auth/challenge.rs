//! The two-factor challenge: what `login` hands out instead of tokens when the account has
//! two-factor authentication on. An HS256 JWT signed with `JWT_2FA_SECRET` (a key no other token
//! uses) with `typ = "2fa_challenge"`, living five minutes. It proves only that the password was
//! right: `verifyTwoFactor` is the one place that accepts it, and it is refused as an access
//! token (other key, other `typ`) and as a refresh token (those are opaque and looked up by hash).

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const TYP: &str = "2fa_challenge";
pub const TTL: Duration = Duration::from_secs(5 * 60);
const ISSUER: &str = "soundroom";

#[derive(Debug, Serialize, Deserialize)]
struct ChallengeClaims {
    sub: Uuid,
    typ: String,
    iss: String,
    iat: i64,
    exp: i64,
    jti: Uuid,
}

pub struct ChallengeTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl ChallengeTokens {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    pub fn issue(&self, user_id: Uuid) -> AppResult<String> {
        let now = Utc::now().timestamp();
        self.encode(&ChallengeClaims {
            sub: user_id,
            typ: TYP.into(),
            iss: ISSUER.into(),
            iat: now,
            exp: now + TTL.as_secs() as i64,
            jti: Uuid::new_v4(),
        })
    }

    fn encode(&self, claims: &ChallengeClaims) -> AppResult<String> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("jwt encode: {e}")))
    }

    /// The user the challenge was issued to. Anything else (expired, forged, another kind of
    /// token) is `UNAUTHENTICATED`.
    pub fn verify(&self, token: &str) -> AppResult<Uuid> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data =
            decode::<ChallengeClaims>(token.trim(), &self.decoding, &validation).map_err(|e| {
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => AppError::unauthenticated(
                        "The two-factor challenge expired; sign in with your password again",
                    ),
                    _ => AppError::unauthenticated("Invalid two-factor challenge"),
                }
            })?;
        if data.claims.typ != TYP {
            return Err(AppError::unauthenticated("Invalid two-factor challenge"));
        }
        if super::has_expired(data.claims.exp) {
            return Err(AppError::unauthenticated(
                "The two-factor challenge expired; sign in with your password again",
            ));
        }
        Ok(data.claims.sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let tokens = ChallengeTokens::new(b"2fa-secret-0123456789abcdef0123456789");
        let user = Uuid::new_v4();
        let token = tokens.issue(user).expect("issue");
        assert_eq!(tokens.verify(&token).expect("verify"), user);

        let other_key = ChallengeTokens::new(b"another-secret-0123456789abcdef012345");
        assert!(other_key.verify(&token).is_err());

        let now = Utc::now().timestamp();
        let past = ChallengeClaims {
            sub: user,
            typ: TYP.into(),
            iss: ISSUER.into(),
            iat: now - 400,
            exp: now - 100,
            jti: Uuid::new_v4(),
        };
        let expired = tokens.encode(&past).expect("encode");
        assert!(
            matches!(tokens.verify(&expired), Err(AppError::Unauthenticated(m)) if m.contains("expired"))
        );

        let access_like = ChallengeClaims {
            typ: "access".into(),
            exp: now + 100,
            ..past
        };
        let wrong_typ = tokens.encode(&access_like).expect("encode");
        assert!(tokens.verify(&wrong_typ).is_err());
    }
}
