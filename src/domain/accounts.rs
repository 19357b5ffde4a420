//! Parsed account inputs: once a value is one of these types it is valid ("parse, don't
//! validate"). Each parse error names the input field at fault.

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Trimmed and lower-cased; `local@domain.tld` with a plausible domain, at most 254 characters.
    pub fn parse(raw: &str) -> AppResult<Self> {
        let email = raw.trim().to_lowercase();
        let bad = || AppError::bad_input("email", "Enter a valid email address");
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || local.starts_with('.')
            || local.ends_with('.')
        {
            return Err(bad());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(bad());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MIN: usize = 3;
    pub const MAX: usize = 32;

    /// 3–32 characters after trimming: letters, digits, `_`, `.`, `-` and inner spaces.
    pub fn parse(raw: &str) -> AppResult<Self> {
        let name = raw.trim();
        let len = name.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&len) {
            return Err(AppError::bad_input(
                "username",
                format!("Username must be {}–{} characters", Self::MIN, Self::MAX),
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | ' '))
            || name.contains("  ")
        {
            return Err(AppError::bad_input(
                "username",
                "Username may contain letters, digits, spaces, '_', '.' and '-'",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The stem of the user's tag: lower-case, spaces and dots to `_`.
    pub fn tag_stem(&self) -> String {
        self.0
            .to_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '.' { '_' } else { c })
            .collect()
    }
}

pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    /// Hashing cost grows with length; nobody types more than this.
    pub const MAX: usize = 256;

    pub fn parse(raw: &str) -> AppResult<Self> {
        let len = raw.chars().count();
        if len < Self::MIN {
            return Err(AppError::bad_input(
                "password",
                format!("Password must be at least {} characters", Self::MIN),
            ));
        }
        if len > Self::MAX {
            return Err(AppError::bad_input(
                "password",
                format!("Password must be at most {} characters", Self::MAX),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An optional image URL: http(s), at most 2048 characters.
pub fn parse_image_url(field: &'static str, raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(url) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if url.len() > 2048
        || !(url.starts_with("https://") || url.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        return Err(AppError::bad_input(
            field,
            "Must be an http(s) URL of at most 2048 characters",
        ));
    }
    Ok(Some(url.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").expect("valid").as_str(),
            "ann@example.com"
        );
        assert!(Email::parse("a.b+tag@sub.example.org").is_ok());
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@ex ample.com",
            "a@b@c.com",
            "ann@-x.com",
            "ann@x..com",
            ".a@x.com",
        ] {
            let err = Email::parse(bad).expect_err(bad);
            assert!(
                matches!(
                    err,
                    AppError::BadInput {
                        field: Some("email"),
                        ..
                    }
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(
            Username::parse("  Ann Lee ").expect("valid").as_str(),
            "Ann Lee"
        );
        assert_eq!(
            Username::parse("Ann Lee.x").expect("valid").tag_stem(),
            "ann_lee_x"
        );
        assert!(Username::parse("Юля").is_ok());
        for bad in ["ab", &"x".repeat(33), "ann#1", "a  b", "tab\tx", "<script>"] {
            assert!(
                matches!(
                    Username::parse(bad),
                    Err(AppError::BadInput {
                        field: Some("username"),
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse(&"x".repeat(257)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-pass").expect("valid")),
            "Password(<redacted>)"
        );
    }

    #[test]
    fn image_urls() {
        assert_eq!(parse_image_url("avatarUrl", None).expect("ok"), None);
        assert_eq!(parse_image_url("avatarUrl", Some(" ")).expect("ok"), None);
        assert!(
            parse_image_url("avatarUrl", Some("https://x.example/a.png"))
                .expect("ok")
                .is_some()
        );
        assert!(parse_image_url("avatarUrl", Some("javascript:alert(1)")).is_err());
    }
}
