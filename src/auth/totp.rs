//! Two-factor codes, pure logic: TOTP per RFC 6238 (SHA-1, 6 digits, 30 s steps, ±1 step of
//! clock skew, 160-bit secrets), recovery codes, and the sealing of secrets at rest.
//!
//! - A TOTP secret is stored sealed with XChaCha20-Poly1305 under a key derived from
//!   `TOTP_ENCRYPTION_KEY`, with the user's id as associated data: a database dump alone reveals
//!   no secret, and a sealed secret copied onto another user's row does not open.
//! - Recovery codes are 50 random bits each; only their HMAC-SHA256 under a key derived from the
//!   same setting is stored.
//! - Replay protection (a time step accepted at most once) needs the database and lives in
//!   `service::two_factor`; here [`matching_step`] only says which step a code belongs to.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Totp};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const ISSUER: &str = "Soundroom";
pub const DIGITS: u8 = 6;
pub const STEP_SECS: u64 = 30;
pub const SKEW_STEPS: u16 = 1;
/// 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODES: usize = 10;

/// A fresh random secret.
pub fn generate_secret() -> Vec<u8> {
    random_bytes(SECRET_BYTES)
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The OS random source failing is not something a server can recover from.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("OS random source unavailable");
    buf
}

/// The TOTP generator for a secret; `account` labels it in authenticator apps.
pub fn generator(secret: &[u8], account: &str) -> AppResult<Totp> {
    // The otpauth label is `issuer:account`; a colon inside the account would split it.
    let account = account.replace(':', "_");
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECS)
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("totp: {e}")))
}

/// What an authenticator app needs: the secret in base32, the `otpauth://` URL, and that URL
/// as a QR code (a PNG, bare base64).
pub struct Provisioning {
    pub secret_base32: String,
    pub otpauth_url: String,
    pub qr_png_base64: String,
}

/// Builds the provisioning data. Encoding the PNG is CPU work: call it on a blocking thread.
pub fn provisioning(secret: &[u8], account: &str) -> AppResult<Provisioning> {
    let totp = generator(secret, account)?;
    let internal = |e: totp_rs::TotpError| AppError::Internal(anyhow::anyhow!("totp: {e}"));
    Ok(Provisioning {
        secret_base32: totp.secret().to_base32(),
        otpauth_url: totp.to_url().map_err(internal)?,
        qr_png_base64: totp.to_qr_base64().map_err(internal)?,
    })
}

/// The code as six ASCII digits, ignoring spaces and dashes (`123 456`); `None` otherwise.
pub fn normalize_code(code: &str) -> Option<String> {
    let digits: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// The time step (Unix seconds / 30) whose code `code` is, within ±1 step of `now_secs`.
pub fn matching_step(totp: &Totp, code: &str, now_secs: u64) -> Option<u64> {
    let code = normalize_code(code)?;
    totp.check(&code, now_secs)
}

/// Seals TOTP secrets (and other small values) for storage.
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

const SEAL_VERSION: &str = "v1";

impl SecretBox {
    /// `key_material` is the `TOTP_ENCRYPTION_KEY` setting (at least 32 bytes of entropy in
    /// production); the cipher key is derived from it, so any length works.
    pub fn new(key_material: &[u8]) -> Self {
        Self::for_purpose(key_material, b"soundroom/totp-secret/v1")
    }

    /// A box for another kind of value, with a key of its own derived from the same material
    /// (`label` names the purpose: values sealed for one purpose do not open for another).
    pub fn for_purpose(key_material: &[u8], label: &[u8]) -> Self {
        let key = derive(key_material, label);
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// `v1.<base64url(nonce || ciphertext)>`, bound to `user_id`.
    pub fn seal(&self, user_id: Uuid, plaintext: &[u8]) -> AppResult<String> {
        let mut nonce = [0u8; 24];
        nonce.copy_from_slice(&random_bytes(24));
        let ciphertext = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: user_id.as_bytes(),
                },
            )
            .map_err(|_| AppError::Internal(anyhow::anyhow!("sealing a secret failed")))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(format!("{SEAL_VERSION}.{}", URL_SAFE_NO_PAD.encode(out)))
    }

    pub fn open(&self, user_id: Uuid, sealed: &str) -> AppResult<Vec<u8>> {
        let fail = || {
            AppError::Internal(anyhow::anyhow!(
                "a sealed two-factor secret does not open: wrong TOTP_ENCRYPTION_KEY or a damaged row"
            ))
        };
        let (version, body) = sealed.split_once('.').ok_or_else(fail)?;
        if version != SEAL_VERSION {
            return Err(fail());
        }
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| fail())?;
        if bytes.len() < 24 {
            return Err(fail());
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let mut nonce_array = [0u8; 24];
        nonce_array.copy_from_slice(nonce);
        self.cipher
            .decrypt(
                &XNonce::from(nonce_array),
                Payload {
                    msg: ciphertext,
                    aad: user_id.as_bytes(),
                },
            )
            .map_err(|_| fail())
    }
}

/// Hashes recovery codes with a key of their own (derived from `TOTP_ENCRYPTION_KEY`).
pub struct RecoveryCodes {
    key: [u8; 32],
}

/// 32 symbols without look-alikes (no `0 1 l o`): 5 bits each.
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

impl RecoveryCodes {
    pub fn new(key_material: &[u8]) -> Self {
        Self {
            key: derive(key_material, b"soundroom/recovery-code/v1"),
        }
    }

    /// Fresh codes (`xxxxx-xxxxx`, 50 random bits each) with the hashes to store for them.
    pub fn generate(&self, user_id: Uuid) -> Vec<(String, String)> {
        (0..RECOVERY_CODES)
            .map(|_| {
                let bytes = random_bytes(10);
                let chars: String = bytes
                    .iter()
                    .map(|b| ALPHABET[usize::from(b & 31)] as char)
                    .collect();
                let code = format!("{}-{}", &chars[..5], &chars[5..]);
                let hash = self.hash(user_id, &code).unwrap_or_default();
                (code, hash)
            })
            .collect()
    }

    /// The stored hash for a code as typed (case, dashes and spaces ignored); `None` when it
    /// cannot be a recovery code at all.
    pub fn hash(&self, user_id: Uuid, code: &str) -> Option<String> {
        let normalized: String = code
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if normalized.len() != 10 || !normalized.bytes().all(|b| ALPHABET.contains(&b)) {
            return None;
        }
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(user_id.as_bytes());
        mac.update(normalized.as_bytes());
        Some(
            mac.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }
}

/// A 256-bit key for one purpose from the configured key material.
fn derive(key_material: &[u8], purpose: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(purpose);
    h.update([0u8]);
    h.update(key_material);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1, truncated to 6 digits.
        let secret = b"12345678901234567890";
        let totp = generator(secret, "ann@example.com").expect("totp");
        for (time, code) in [
            (59u64, "287082"),
            (1111111109, "081804"),
            (1111111111, "050471"),
            (1234567890, "005924"),
            (2000000000, "279037"),
        ] {
            assert_eq!(totp.generate(time).to_string(), code, "t={time}");
            assert_eq!(matching_step(&totp, code, time), Some(time / 30));
        }
    }

    #[test]
    fn skew_is_one_step_each_way() {
        let secret = generate_secret();
        assert_eq!(secret.len(), 20);
        let totp = generator(&secret, "a@b.c").expect("totp");
        let now = 1_700_000_000u64;
        let step = now / 30;
        let code = |s: u64| totp.generate(s * 30).to_string();
        assert_eq!(matching_step(&totp, &code(step - 1), now), Some(step - 1));
        assert_eq!(matching_step(&totp, &code(step + 1), now), Some(step + 1));
        assert_eq!(matching_step(&totp, &code(step - 2), now), None);
        assert_eq!(matching_step(&totp, &code(step + 2), now), None);
        let spaced = format!("{} {}", &code(step)[..3], &code(step)[3..]);
        assert_eq!(matching_step(&totp, &spaced, now), Some(step));
        assert_eq!(matching_step(&totp, "12345", now), None);
        assert_eq!(matching_step(&totp, "abcdef", now), None);
    }

    #[test]
    fn provisioning_names_issuer_and_account() {
        let p = provisioning(&generate_secret(), "ann:x@example.com").expect("provisioning");
        assert!(
            p.otpauth_url.starts_with("otpauth://totp/Soundroom:"),
            "{}",
            p.otpauth_url
        );
        assert!(
            p.otpauth_url.contains("issuer=Soundroom"),
            "{}",
            p.otpauth_url
        );
        assert!(
            p.otpauth_url.contains(&p.secret_base32),
            "{}",
            p.otpauth_url
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(&p.qr_png_base64)
            .expect("base64");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn sealing_round_trips_and_binds_the_user() {
        let boxed = SecretBox::new(b"some key material that is long enough");
        let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let sealed = boxed.seal(ann, b"secret").expect("seal");
        assert!(!sealed.contains("secret"));
        assert_eq!(boxed.open(ann, &sealed).expect("open"), b"secret");
        assert!(boxed.open(bob, &sealed).is_err(), "bound to the user");
        let other = SecretBox::new(b"another key material, also long enough");
        assert!(other.open(ann, &sealed).is_err(), "needs the key");
        assert_ne!(
            boxed.seal(ann, b"secret").expect("seal"),
            sealed,
            "fresh nonce"
        );
        let mut tampered = sealed.clone();
        tampered.push('A');
        assert!(boxed.open(ann, &tampered).is_err());
    }

    #[test]
    fn recovery_codes_hash_per_user_and_ignore_formatting() {
        let codes = RecoveryCodes::new(b"key material");
        let user = Uuid::new_v4();
        let generated = codes.generate(user);
        assert_eq!(generated.len(), RECOVERY_CODES);
        let (code, hash) = &generated[0];
        assert_eq!(code.len(), 11);
        assert_eq!(codes.hash(user, code).as_deref(), Some(hash.as_str()));
        let typed = code.to_uppercase().replace('-', " ");
        assert_eq!(codes.hash(user, &typed).as_deref(), Some(hash.as_str()));
        assert_ne!(
            codes.hash(Uuid::new_v4(), code).as_deref(),
            Some(hash.as_str())
        );
        assert_eq!(codes.hash(user, "123456"), None);
        let unique: std::collections::HashSet<_> = generated.iter().map(|(c, _)| c).collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
    }
}
