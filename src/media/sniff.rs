//! What an uploaded attachment is, from its content alone (never its name or the client's
//! claimed type): the magic bytes at its start decide its kind and MIME type
//! ([`crate::domain::messenger::classify`] keeps only well-known types), then what is cheap to
//! read: an image's dimensions from its header, an audio file's declared length from its
//! container, a video's from its MP4 movie header. Nothing is decoded. Blocking: call it from
//! `spawn_blocking`.

use std::{fs::File, io::Read, path::Path};

use symphonia::core::{
    formats::{FormatOptions, TrackType, probe::Hint},
    io::MediaSourceStream,
    meta::MetadataOptions,
};

use crate::domain::messenger::{self, MessageKind};

/// Bytes read for the magic-number match (more than any signature `infer` looks at).
const HEAD: usize = 8192;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: MessageKind,
    pub mime_type: &'static str,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
}

pub fn sniff(path: &Path) -> std::io::Result<Sniffed> {
    let mut head = Vec::with_capacity(HEAD);
    File::open(path)?.take(HEAD as u64).read_to_end(&mut head)?;
    let detected = infer::get(&head).map(|t| t.mime_type());
    let found = messenger::classify(detected);
    let mut sniffed = Sniffed {
        kind: found.kind,
        mime_type: found.mime_type,
        width: None,
        height: None,
        duration_ms: None,
    };
    match found.kind {
        MessageKind::Image => {
            if let Ok(size) = imagesize::size(path) {
                sniffed.width = i32::try_from(size.width).ok();
                sniffed.height = i32::try_from(size.height).ok();
            }
        }
        MessageKind::Audio if found.mime_type == "audio/mp4" => {
            sniffed.duration_ms = super::mp4_edit::movie_duration_ms(path);
        }
        MessageKind::Audio => sniffed.duration_ms = declared_audio_ms(path),
        MessageKind::Video if matches!(found.mime_type, "video/mp4" | "video/quicktime") => {
            sniffed.duration_ms = super::mp4_edit::movie_duration_ms(path);
        }
        _ => {}
    }
    Ok(sniffed)
}

/// The length an audio container states (frame count and time base), without demuxing it.
fn declared_audio_ms(path: &Path) -> Option<i64> {
    let file = File::open(path).ok()?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let reader = symphonia::default::get_probe()
        .probe(
            &Hint::new(),
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .ok()?;
    let track = reader.default_track(TrackType::Audio)?;
    let frames = track.num_frames.or(track.duration.map(|d| d.get()))?;
    let rate = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .and_then(|a| a.sample_rate);
    let ms = match (track.time_base, rate) {
        (Some(tb), _) => {
            frames as f64 * f64::from(tb.numer.get()) / f64::from(tb.denom.get()) * 1000.0
        }
        (None, Some(rate)) if rate > 0 => frames as f64 * 1000.0 / f64::from(rate),
        _ => return None,
    };
    (ms.is_finite() && ms > 0.0).then(|| ms.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/audio")
            .join(name)
    }

    #[test]
    fn audio_fixtures_are_audio_with_their_length() {
        for (name, mime) in [
            ("tone.flac", "audio/flac"),
            ("tone.wav", "audio/wav"),
            ("tone.ogg", "audio/ogg"),
            ("cbr.mp3", "audio/mpeg"),
            ("tone.m4a", "audio/mp4"),
        ] {
            let s = sniff(&fixture(name)).expect("sniff");
            assert_eq!((s.kind, s.mime_type), (MessageKind::Audio, mime), "{name}");
            let ms = s
                .duration_ms
                .unwrap_or_else(|| panic!("{name}: no duration"));
            assert!((2900..=3100).contains(&ms), "{name}: {ms}");
        }
    }

    #[test]
    fn text_is_a_file_of_octet_stream() {
        let dir = std::env::temp_dir().join(format!("sniff-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("x.png");
        std::fs::write(&path, b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>").expect("write");
        let s = sniff(&path).expect("sniff");
        assert_eq!(
            (s.kind, s.mime_type),
            (MessageKind::File, "application/octet-stream")
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
