//! Parsed catalog and library inputs: names, genres, search text. Each parse error names the
//! input field at fault.

use crate::error::{AppError, AppResult};

/// A display name (artist, track, playlist): trimmed, 1–200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX: usize = 200;

    pub fn parse(field: &'static str, raw: &str) -> AppResult<Self> {
        let name = raw.trim();
        let len = name.chars().count();
        if len == 0 || len > Self::MAX {
            return Err(AppError::bad_input(
                field,
                format!("Must be 1–{} characters", Self::MAX),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::bad_input(
                field,
                "Must not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An optional genre: trimmed, at most 64 characters; blank means none.
pub fn parse_genre(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(genre) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if genre.chars().count() > 64 || genre.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "genre",
            "A genre is at most 64 characters",
        ));
    }
    Ok(Some(genre.to_owned()))
}

/// A case-insensitive "contains" pattern for `LIKE … ESCAPE '\'` over a lower-cased column;
/// `None` for blank search text. `%`, `_` and `\` in the text match themselves.
pub fn contains_pattern(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(text) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > 100 {
        return Err(AppError::bad_input(
            "search",
            "Search for at most 100 characters",
        ));
    }
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Ok(Some(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            Name::parse("name", "  Blue  ").expect("ok").into_inner(),
            "Blue"
        );
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", &"x".repeat(201)).is_err());
        assert!(Name::parse("name", "a\u{0}b").is_err());
        assert_eq!(
            Name::parse("name", &"é".repeat(200))
                .expect("ok")
                .into_inner()
                .chars()
                .count(),
            200
        );
    }

    #[test]
    fn genres() {
        assert_eq!(
            parse_genre(Some(" Jazz ")).expect("ok").as_deref(),
            Some("Jazz")
        );
        assert_eq!(parse_genre(Some("  ")).expect("ok"), None);
        assert!(parse_genre(Some(&"g".repeat(65))).is_err());
    }

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(
            contains_pattern(Some("Blue")).expect("ok").as_deref(),
            Some("%blue%")
        );
        assert_eq!(
            contains_pattern(Some("100%_\\")).expect("ok").as_deref(),
            Some("%100\\%\\_\\\\%")
        );
        assert_eq!(contains_pattern(Some(" ")).expect("ok"), None);
        assert!(contains_pattern(Some(&"q".repeat(101))).is_err());
    }
}
