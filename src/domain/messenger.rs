//! The messenger's values and rules without I/O: conversation kinds and roles, message kinds,
//! what a message body, a group title and a member list may be, and what an attachment is
//! (its kind, its MIME type and whether it may be shown inline) given the type its content
//! was sniffed as.

use std::collections::HashSet;

use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Attachments one message carries at most.
pub const MAX_ATTACHMENTS: usize = 10;
/// Longest group title, in characters.
pub const MAX_TITLE_CHARS: usize = 100;
/// Longest attachment name kept, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// What a file whose content is not recognised is served as.
pub const OCTET_STREAM: &str = "application/octet-stream";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversationKind {
    Direct,
    Group,
}

impl ConversationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "DIRECT",
            Self::Group => "GROUP",
        }
    }

    pub fn of(stored: &str) -> Self {
        match stored {
            "DIRECT" => Self::Direct,
            _ => Self::Group,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversationRole {
    Owner,
    Member,
}

impl ConversationRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "OWNER",
            Self::Member => "MEMBER",
        }
    }

    pub fn of(stored: &str) -> Self {
        match stored {
            "OWNER" => Self::Owner,
            _ => Self::Member,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    Text,
    Image,
    File,
    Audio,
    Video,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::Image => "IMAGE",
            Self::File => "FILE",
            Self::Audio => "AUDIO",
            Self::Video => "VIDEO",
        }
    }

    pub fn of(stored: &str) -> Self {
        match stored {
            "IMAGE" => Self::Image,
            "AUDIO" => Self::Audio,
            "VIDEO" => Self::Video,
            "FILE" => Self::File,
            _ => Self::Text,
        }
    }

    /// A message's kind: its first attachment's, else `TEXT`.
    pub fn of_message<'a>(attachment_kinds: impl IntoIterator<Item = &'a str>) -> Self {
        attachment_kinds
            .into_iter()
            .next()
            .map_or(Self::Text, Self::of)
    }
}

/// The two users of a direct conversation as stored: the smaller id first.
pub fn direct_pair(a: Uuid, b: Uuid) -> (Uuid, Uuid) {
    if a < b { (a, b) } else { (b, a) }
}

/// A message body: at most `max` characters, and not blank unless attachments carry the
/// message. Kept as written.
pub fn parse_body(raw: &str, max: usize, has_attachments: bool) -> AppResult<String> {
    if raw.chars().count() > max {
        return Err(AppError::bad_input(
            "body",
            format!("A message has at most {max} characters"),
        ));
    }
    if raw.trim().is_empty() && !has_attachments {
        return Err(AppError::bad_input(
            "body",
            "A message needs a text or an attachment",
        ));
    }
    Ok(raw.to_owned())
}

/// A group's title: trimmed, at most [`MAX_TITLE_CHARS`]; blank means none.
pub fn parse_title(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(title) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::bad_input(
            "title",
            format!("A title has at most {MAX_TITLE_CHARS} characters"),
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "title",
            "A title cannot contain control characters",
        ));
    }
    Ok(Some(title.to_owned()))
}

/// The users to add, named in argument `field`: each once, never `viewer`, at most `room` of
/// them (the places left).
pub fn parse_member_ids(
    field: &'static str,
    viewer: Uuid,
    ids: &[Uuid],
    room: usize,
) -> AppResult<Vec<Uuid>> {
    let mut seen = HashSet::new();
    let ids: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| *id != viewer && seen.insert(*id))
        .collect();
    if ids.len() > room {
        return Err(AppError::bad_input(
            field,
            format!("At most {room} more members fit in this conversation"),
        ));
    }
    Ok(ids)
}

/// The attachment ids of a message: at most [`MAX_ATTACHMENTS`], each once.
pub fn parse_attachment_ids(ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    if ids.len() > MAX_ATTACHMENTS {
        return Err(AppError::bad_input(
            "attachmentIds",
            format!("A message has at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    let mut seen = HashSet::new();
    if let Some(twice) = ids.iter().find(|id| !seen.insert(**id)) {
        return Err(AppError::bad_input(
            "attachmentIds",
            format!("Attachment {twice} is listed twice"),
        ));
    }
    Ok(ids.to_vec())
}

/// What an attachment is, from the type its content was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttachmentType {
    pub kind: MessageKind,
    pub mime_type: &'static str,
}

/// Document types reported under their own MIME type (served as downloads all the same);
/// anything else that is not media is `application/octet-stream`.
const DOCUMENTS: &[&str] = &[
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/x-7z-compressed",
    "application/vnd.rar",
    "application/x-tar",
    "application/epub+zip",
    "application/rtf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
];

/// Media types browsers play or show without running anything: served inline. Everything
/// else (SVG and HTML among it: they can carry scripts) is served as a download.
const INLINE: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "audio/mpeg",
    "audio/mp4",
    "audio/aac",
    "audio/ogg",
    "audio/opus",
    "audio/flac",
    "audio/wav",
    "audio/webm",
    "video/mp4",
    "video/webm",
    "video/ogg",
    "video/quicktime",
];

/// Names some sniffers give that browsers know under another.
fn canonical(mime: &str) -> &str {
    match mime {
        "audio/x-flac" => "audio/flac",
        "audio/x-wav" | "audio/wave" => "audio/wav",
        "audio/m4a" | "audio/x-m4a" => "audio/mp4",
        "video/x-m4v" => "video/mp4",
        other => other,
    }
}

/// Classifies a sniffed MIME type (`None`: not recognised). Only types from the lists here are
/// ever reported, so nothing a file claims about itself reaches a client unchecked.
pub fn classify(sniffed: Option<&str>) -> AttachmentType {
    let file = AttachmentType {
        kind: MessageKind::File,
        mime_type: OCTET_STREAM,
    };
    let Some(mime) = sniffed.map(canonical) else {
        return file;
    };
    let known = |list: &[&'static str]| list.iter().copied().find(|m| *m == mime);
    if let Some(m) = known(INLINE) {
        let kind = match m.split('/').next() {
            Some("image") => MessageKind::Image,
            Some("audio") => MessageKind::Audio,
            _ => MessageKind::Video,
        };
        return AttachmentType { kind, mime_type: m };
    }
    if let Some(m) = known(DOCUMENTS) {
        return AttachmentType {
            kind: MessageKind::File,
            mime_type: m,
        };
    }
    file
}

/// Whether a stored attachment may be shown inline (else it is served as a download).
pub fn is_inline(kind: MessageKind, mime_type: &str) -> bool {
    kind != MessageKind::File && INLINE.contains(&mime_type)
}

/// A client's file name made safe to show and to put in a `Content-Disposition` header: the
/// last path component, without control characters or quotes, at most [`MAX_NAME_CHARS`].
pub fn attachment_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "file".to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert_eq!(parse_body("hi", 10, false).expect("ok"), "hi");
        assert_eq!(parse_body("", 10, true).expect("ok"), "");
        assert!(parse_body("  \n", 10, false).is_err());
        assert!(parse_body(&"é".repeat(11), 10, true).is_err());
        assert!(
            parse_body(&"é".repeat(10), 10, false).is_ok(),
            "characters, not bytes"
        );
    }

    #[test]
    fn titles_and_members() {
        assert_eq!(
            parse_title(Some("  Band  ")).expect("ok").as_deref(),
            Some("Band")
        );
        assert_eq!(parse_title(Some("  ")).expect("ok"), None);
        assert!(parse_title(Some(&"x".repeat(101))).is_err());
        assert!(parse_title(Some("a\u{7}b")).is_err());
        let (me, a, b) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(
            parse_member_ids("memberIds", me, &[a, me, a, b], 5).expect("ok"),
            vec![a, b]
        );
        assert!(parse_member_ids("memberIds", me, &[a, b], 1).is_err());
        assert!(parse_attachment_ids(&[a, a]).is_err());
        assert!(parse_attachment_ids(&[Uuid::new_v4(); 1].repeat(11)).is_err());
        assert_eq!(direct_pair(b, a), direct_pair(a, b));
    }

    #[test]
    fn only_known_media_is_media_and_only_plain_media_is_inline() {
        let png = classify(Some("image/png"));
        assert_eq!((png.kind, png.mime_type), (MessageKind::Image, "image/png"));
        assert!(is_inline(png.kind, png.mime_type));
        let flac = classify(Some("audio/x-flac"));
        assert_eq!(
            (flac.kind, flac.mime_type),
            (MessageKind::Audio, "audio/flac")
        );
        let exe = classify(Some("application/vnd.microsoft.portable-executable"));
        assert_eq!((exe.kind, exe.mime_type), (MessageKind::File, OCTET_STREAM));
        assert!(!is_inline(exe.kind, exe.mime_type));
        for risky in ["image/svg+xml", "text/html", "text/xml", "image/tiff"] {
            let t = classify(Some(risky));
            assert_eq!(t.kind, MessageKind::File, "{risky}");
            assert!(!is_inline(t.kind, t.mime_type), "{risky}");
        }
        let pdf = classify(Some("application/pdf"));
        assert_eq!(
            (pdf.kind, pdf.mime_type),
            (MessageKind::File, "application/pdf")
        );
        assert!(!is_inline(pdf.kind, pdf.mime_type));
        assert_eq!(classify(None).mime_type, OCTET_STREAM);
        assert!(!is_inline(MessageKind::File, "image/png"));
    }

    #[test]
    fn message_kinds_follow_the_first_attachment() {
        assert_eq!(MessageKind::of_message([]), MessageKind::Text);
        assert_eq!(
            MessageKind::of_message(["AUDIO", "IMAGE"]),
            MessageKind::Audio
        );
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(attachment_name("../../etc/passwd"), "passwd");
        assert_eq!(attachment_name("C:\\Users\\a\\photo.png"), "photo.png");
        assert_eq!(attachment_name("a\"b\r\n.txt"), "ab.txt");
        assert_eq!(attachment_name(""), "file");
        assert_eq!(attachment_name(".."), "file");
        assert_eq!(attachment_name(&"x".repeat(300)).chars().count(), 255);
    }
}
