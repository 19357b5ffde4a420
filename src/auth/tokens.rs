//! Signed and opaque tokens.
//!
//! - Access tokens: short-lived HS256 JWTs signed with `JWT_ACCESS_SECRET`, `typ = "access"`.
//! - Refresh tokens: 256 random bits, opaque to the client; the database keeps only their
//!   HMAC-SHA256 under `JWT_REFRESH_SECRET`, so a dump alone cannot mint sessions.
//! - Each kind is signed with its own key and carries its own `typ`, so no token is accepted
//!   where another kind is expected.

use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::config::Config;
use crate::error::{AppError, AppResult};

const ISSUER: &str = "soundroom";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    /// The session (refresh-token family) this token was issued for.
    pub sid: Uuid,
    pub typ: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct TokenService {
    access_encoding: EncodingKey,
    access_decoding: DecodingKey,
    refresh_secret: Vec<u8>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl TokenService {
    pub fn new(config: &Config) -> Self {
        Self {
            access_encoding: EncodingKey::from_secret(&config.secrets.jwt_access),
            access_decoding: DecodingKey::from_secret(&config.secrets.jwt_access),
            refresh_secret: config.secrets.jwt_refresh.clone(),
            access_ttl: config.access_token_ttl,
            refresh_ttl: config.refresh_token_ttl,
        }
    }

    pub fn issue_access(&self, user_id: Uuid, session_id: Uuid) -> AppResult<String> {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id,
            sid: session_id,
            typ: "access".into(),
            iss: ISSUER.into(),
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
        };
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.access_encoding,
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("jwt encode: {e}")))
    }

    /// Verifies signature, issuer, type and expiry (no leeway: an expired token is expired).
    pub fn verify_access(&self, token: &str) -> AppResult<AccessClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data =
            decode::<AccessClaims>(token, &self.access_decoding, &validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::ExpiredSignature => {
                        AppError::unauthenticated("Access token expired")
                    }
                    _ => AppError::unauthenticated("Invalid access token"),
                }
            })?;
        if data.claims.typ != "access" {
            return Err(AppError::unauthenticated("Invalid access token"));
        }
        if super::has_expired(data.claims.exp) {
            return Err(AppError::unauthenticated("Access token expired"));
        }
        Ok(data.claims)
    }

    /// A fresh opaque refresh token and the hash to store for it.
    pub fn new_refresh(&self) -> (String, String) {
        let token = crate::random::token(32);
        let hash = self.hash_refresh(&token);
        (token, hash)
    }

    pub fn hash_refresh(&self, token: &str) -> String {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.refresh_secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(token.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Pulls the token out of an `Authorization`-style value: `Bearer <token>` (scheme
/// case-insensitive). Anything else is `None`.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn service(ttl: &str) -> TokenService {
        let src: HashMap<String, String> = [
            ("JWT_ACCESS_SECRET", "a".repeat(40)),
            ("JWT_REFRESH_SECRET", "r".repeat(40)),
            ("JWT_2FA_SECRET", "t".repeat(40)),
            ("ACCESS_TOKEN_TTL_SECS", ttl.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        TokenService::new(&Config::load(&src).expect("config"))
    }

    #[test]
    fn access_token_round_trip_and_tamper() {
        let tokens = service("60");
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let token = tokens.issue_access(user, session).expect("issue");
        let claims = tokens.verify_access(&token).expect("verify");
        assert_eq!((claims.sub, claims.sid), (user, session));
        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(matches!(
            tokens.verify_access(&forged),
            Err(AppError::Unauthenticated(_))
        ));
        let other_key = TokenService {
            access_decoding: DecodingKey::from_secret(b"another"),
            ..service("60")
        };
        assert!(other_key.verify_access(&token).is_err());
    }

    #[test]
    fn refresh_hash_is_keyed_and_stable() {
        let tokens = service("60");
        let (token, hash) = tokens.new_refresh();
        assert_eq!(tokens.hash_refresh(&token), hash);
        assert_eq!(hash.len(), 64);
        assert_ne!(tokens.new_refresh().0, token);
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("abc"), None);
    }
}
