//! TURN credentials per the TURN REST API that coturn implements (`use-auth-secret`): the
//! username is `<expiry unix time>:<user id>` and the password is
//! base64(HMAC-SHA1(shared secret, username)). coturn refuses them after the expiry.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnCredential {
    pub username: String,
    pub credential: String,
}

/// Credentials for `user_id` valid until `expires_at` (Unix seconds).
pub fn credential(secret: &[u8], user_id: Uuid, expires_at: i64) -> TurnCredential {
    let username = format!("{expires_at}:{user_id}");
    let credential = sign(secret, &username);
    TurnCredential {
        username,
        credential,
    }
}

fn sign(secret: &[u8], username: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(username.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_2202_hmac_sha1_vector() {
        // RFC 2202, test case 2.
        assert_eq!(
            sign(b"Jefe", "what do ya want for nothing?"),
            STANDARD.encode([
                0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84,
                0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79
            ])
        );
    }

    #[test]
    fn username_is_expiry_and_user() {
        let user = Uuid::nil();
        let c = credential(b"secret", user, 1_700_000_000);
        assert_eq!(c.username, format!("1700000000:{user}"));
        assert_eq!(c.credential, sign(b"secret", &c.username));
        assert_ne!(c, credential(b"other", user, 1_700_000_000));
    }
}
