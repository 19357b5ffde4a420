//! Audio probing with symphonia: what a file is, how long it plays, and its tags.
//!
//! The file's own bytes decide, never its name or the client's `Content-Type`. Every packet is
//! demuxed and counted, so durations are exact even for VBR MP3 without a Xing header (whose
//! header-based estimate can be far off), and the packets of the first [`Budget::decode`] of
//! audio are decoded too, so a renamed text file or a corrupt stream is refused. Past that,
//! packets are only demuxed: decoding costs far more, and a long low-bitrate file (hours of
//! audio in a few megabytes) would otherwise hold a core for a minute. A probe that passes its
//! deadline stops and refuses the file. Blocking: call it from `spawn_blocking`.

use std::{
    fs::File,
    path::Path,
    time::{Duration, Instant},
};

use symphonia::core::{
    codecs::audio::{
        AudioDecoderOptions,
        well_known::{CODEC_ID_AAC, CODEC_ID_FLAC, CODEC_ID_MP3, CODEC_ID_OPUS, CODEC_ID_VORBIS},
    },
    errors::Error as SymphoniaError,
    formats::{FormatOptions, FormatReader, TrackType, probe::Hint},
    io::MediaSourceStream,
    meta::{MetadataOptions, MetadataRevision, StandardTag},
    units::{Duration as Frames, TimeBase},
};

/// What probing found out about a playable audio file.
#[derive(Clone, Debug, PartialEq)]
pub struct AudioInfo {
    /// Short format name: `mp3`, `m4a`, `aac`, `flac`, `ogg` (Vorbis), `opus`, `wav`.
    pub format: &'static str,
    pub mime_type: &'static str,
    pub duration_ms: i64,
    /// Average bitrate over the whole file, in kbit/s.
    pub bitrate_kbps: Option<i32>,
    pub sample_rate: Option<i32>,
    pub tags: Tags,
}

/// Tags read from the file, where present.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub genre: Option<String>,
}

/// Why a file was refused; the message is safe to show to the uploader.
#[derive(Debug, PartialEq, Eq)]
pub struct NotAudio(pub String);

/// Share of packets allowed to fail decoding before the file counts as corrupt.
const MAX_BAD_PACKET_RATIO: f64 = 0.02;

/// Packets between two looks at the clock.
const CLOCK_EVERY: u64 = 256;

/// How much work one probe may do.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// When the probe gives up and refuses the file.
    pub deadline: Instant,
    /// Audio decoded in full from the start of the file.
    pub decode: Duration,
}

impl Budget {
    /// Room enough for any file in the tests.
    #[cfg(test)]
    fn generous() -> Self {
        Self {
            deadline: Instant::now() + Duration::from_secs(600),
            decode: Duration::from_secs(3600),
        }
    }
}

/// Probes the file at `path`. `extension` (from the client's file name) is only a hint.
pub fn probe(path: &Path, extension: Option<&str>, budget: Budget) -> Result<AudioInfo, NotAudio> {
    let file = File::open(path).map_err(|_| NotAudio("The file could not be read".into()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return Err(NotAudio("The file is empty".into()));
    }
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = extension {
        hint.with_extension(ext);
    }
    let mut reader = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|_| NotAudio("The file is not in a supported audio format".into()))?;
    let container = reader.format_info().short_name;
    let track = reader
        .default_track(TrackType::Audio)
        .ok_or_else(|| NotAudio("The file has no audio track".into()))?
        .clone();
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .cloned()
        .ok_or_else(|| NotAudio("The audio codec could not be identified".into()))?;
    let (format, mime_type) = name_format(container, params.codec)
        .ok_or_else(|| NotAudio("This audio codec is not supported".into()))?;
    let sample_rate = params.sample_rate;
    let time_base = track
        .time_base
        .or_else(|| sample_rate.and_then(|r| TimeBase::try_new(1, r)))
        .ok_or_else(|| NotAudio("The audio stream has no time base".into()))?;

    // Opus has no decoder in symphonia: its Ogg framing and granule positions are still checked
    // by the demuxer, which is what the duration comes from.
    let mut decoder = if params.codec == CODEC_ID_OPUS {
        None
    } else {
        Some(
            symphonia::default::get_codecs()
                .make_audio_decoder(&params, &AudioDecoderOptions::default())
                .map_err(|_| NotAudio("This audio codec is not supported".into()))?,
        )
    };

    // The presentation span: from the first packet's first playable frame to the last one's
    // last. (Summing packet durations undercounts codecs whose packets overlap, like Vorbis.)
    let mut first_ts: Option<i64> = None;
    let mut end_ts: i64 = 0;
    let mut packets: u64 = 0;
    let mut bad_packets: u64 = 0;
    let decode_frames = ms_to_frames(time_base, budget.decode);
    loop {
        if packets % CLOCK_EVERY == CLOCK_EVERY - 1 && Instant::now() > budget.deadline {
            return Err(NotAudio(
                "The file takes too long to read; upload a shorter or less fragmented file".into(),
            ));
        }
        let packet = match reader.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A stream cut mid-packet ends here; the declared length (below) tells a truncated
            // file from a complete one.
            Err(SymphoniaError::IoError(_)) => break,
            Err(SymphoniaError::DecodeError(_)) => {
                bad_packets += 1;
                if bad_packets > 64 && bad_packets as f64 > packets as f64 * MAX_BAD_PACKET_RATIO {
                    break;
                }
                continue;
            }
            Err(_) => return Err(NotAudio("The audio stream could not be read".into())),
        };
        if packet.track_id != track.id {
            continue;
        }
        packets += 1;
        let start = packet.pts.get() + packet.trim_start.get() as i64;
        let end = packet.pts.get() + packet.dur.get() as i64 - packet.trim_end.get() as i64;
        if end > start {
            first_ts = Some(first_ts.map_or(start, |f| f.min(start)));
            end_ts = end_ts.max(end);
        }
        let within_budget = first_ts.is_none_or(|first| end_ts - first <= decode_frames);
        if let Some(decoder) = decoder.as_mut().filter(|_| within_budget)
            && decoder.decode(&packet).is_err()
        {
            bad_packets += 1;
        }
    }
    let Some(first_ts) = first_ts.filter(|_| packets > 0) else {
        return Err(NotAudio("The file contains no audio".into()));
    };
    let frames = u64::try_from(end_ts - first_ts).unwrap_or(0);
    if bad_packets as f64 > (packets as f64 * MAX_BAD_PACKET_RATIO).max(1.0) {
        return Err(NotAudio("The audio stream is corrupt".into()));
    }
    let mut duration_ms = frames_to_ms(time_base, frames);
    // A stated length is trusted from containers that state it exactly (FLAC, WAV, MP4, Ogg,
    // and MP3 with a LAME/Xing tag, which also gives the encoder's delay and padding); it tells
    // a cut file apart, and excludes priming and padding frames the packets still carry. An MP3
    // without such a tag only has an estimate from its first frame's bitrate, which can be far
    // off for VBR; its frames are independent anyway, so a cut MP3 is a shorter, valid one.
    let exact_mp3 = track.delay.is_some() || track.padding.is_some();
    if params.codec != CODEC_ID_MP3 || exact_mp3 {
        let declared_frames = track.num_frames.or(track.duration.map(|d| d.get()));
        if let Some(declared) = declared_frames {
            let declared_ms = frames_to_ms(time_base, declared);
            let tolerance = (declared_ms / 100).max(500);
            if declared_ms > duration_ms + tolerance {
                return Err(NotAudio(format!(
                    "The file is truncated: it declares {declared_ms} ms of audio but holds {duration_ms} ms"
                )));
            }
            // Ogg Opus states its length including the pre-skip the packets already trimmed.
            if declared_ms > 0
                && declared_ms + tolerance >= duration_ms
                && params.codec != CODEC_ID_OPUS
            {
                duration_ms = declared_ms;
            }
        }
    }
    if container == "isomp4"
        && let Some(edited) = super::mp4_edit::edited_duration_ms(path)
        && (edited - duration_ms).abs() <= 500
    {
        duration_ms = edited;
    }
    if duration_ms <= 0 {
        return Err(NotAudio("The file contains no audio".into()));
    }
    let bitrate_kbps = i32::try_from(size.saturating_mul(8) / duration_ms.max(1) as u64).ok();
    let tags = read_tags(reader.as_mut(), track.id);
    Ok(AudioInfo {
        format,
        mime_type,
        duration_ms,
        bitrate_kbps,
        sample_rate: sample_rate.and_then(|r| i32::try_from(r).ok()),
        tags,
    })
}

fn name_format(
    container: &str,
    codec: symphonia::core::codecs::audio::AudioCodecId,
) -> Option<(&'static str, &'static str)> {
    let container = container.to_ascii_lowercase();
    Some(match codec {
        c if c == CODEC_ID_MP3 => ("mp3", "audio/mpeg"),
        c if c == CODEC_ID_FLAC => ("flac", "audio/flac"),
        c if c == CODEC_ID_VORBIS => ("ogg", "audio/ogg"),
        c if c == CODEC_ID_OPUS => ("opus", "audio/ogg"),
        c if c == CODEC_ID_AAC && container == "aac" => ("aac", "audio/aac"),
        c if c == CODEC_ID_AAC => ("m4a", "audio/mp4"),
        _ if container == "wave" => ("wav", "audio/wav"),
        _ => return None,
    })
}

/// The number of time-base units in `span` (saturating).
fn ms_to_frames(time_base: TimeBase, span: Duration) -> i64 {
    let (numer, denom) = (
        u128::from(time_base.numer.get()),
        u128::from(time_base.denom.get()),
    );
    i64::try_from(span.as_millis() * denom / (numer * 1000).max(1)).unwrap_or(i64::MAX)
}

fn frames_to_ms(time_base: TimeBase, frames: u64) -> i64 {
    time_base
        .calc_duration(Frames::new(frames))
        .map_or(i64::MAX, |t| (t.as_secs_f64() * 1000.0).round() as i64)
}

fn read_tags(reader: &mut dyn FormatReader, track_id: u32) -> Tags {
    let mut tags = Tags::default();
    let mut metadata = reader.metadata();
    loop {
        if let Some(revision) = metadata.current() {
            absorb(&mut tags, revision, track_id);
        }
        if metadata.is_latest() {
            break;
        }
        metadata.pop();
    }
    tags
}

fn absorb(tags: &mut Tags, revision: &MetadataRevision, track_id: u32) {
    let per_track = revision
        .per_track
        .iter()
        .filter(|t| t.track_id == u64::from(track_id))
        .flat_map(|t| t.metadata.tags.iter());
    for tag in revision.media.tags.iter().chain(per_track) {
        let (slot, value) = match &tag.std {
            Some(StandardTag::TrackTitle(v)) => (&mut tags.title, v),
            Some(StandardTag::Artist(v)) => (&mut tags.artist, v),
            Some(StandardTag::Genre(v)) => (&mut tags.genre, v),
            _ => continue,
        };
        let value = value.trim();
        if slot.is_none() && !value.is_empty() {
            *slot = Some(value.chars().take(200).collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/audio")
            .join(name)
    }

    /// The fixtures are 3.000 s of a 440 Hz tone (see tests/fixtures/audio/README.md).
    #[test]
    fn formats_and_durations() {
        for (file, format, mime) in [
            ("cbr.mp3", "mp3", "audio/mpeg"),
            ("tone.flac", "flac", "audio/flac"),
            ("tone.ogg", "ogg", "audio/ogg"),
            ("tone.opus", "opus", "audio/ogg"),
            ("tone.m4a", "m4a", "audio/mp4"),
            ("tone.aac", "aac", "audio/aac"),
            ("tone.wav", "wav", "audio/wav"),
        ] {
            let info = probe(&fixture(file), None, Budget::generous())
                .unwrap_or_else(|e| panic!("{file}: {e:?}"));
            eprintln!("{file}: {info:?}");
            assert_eq!((info.format, info.mime_type), (format, mime), "{file}");
            // ADTS AAC has no gapless info: its 1024 priming samples (23 ms) are real frames.
            let tolerance = if format == "aac" { 50 } else { 5 };
            assert!(
                (info.duration_ms - 3000).abs() <= tolerance,
                "{file}: {info:?}"
            );
            assert!(info.sample_rate.is_some(), "{file}");
            assert!(info.bitrate_kbps.is_some_and(|b| b > 0), "{file}");
        }
    }

    #[test]
    fn vbr_mp3_without_xing_header_is_counted_not_estimated() {
        let info =
            probe(&fixture("vbr_noxing.mp3"), Some("mp3"), Budget::generous()).expect("audio");
        eprintln!("{info:?}");
        // 1.5 s of silence then 1.5 s of noise: a bitrate-based estimate says ~4.07 s.
        assert!((3000..=3080).contains(&info.duration_ms), "{info:?}");
    }

    #[test]
    fn tags_are_read() {
        let info = probe(&fixture("cbr.mp3"), Some("mp3"), Budget::generous()).expect("audio");
        assert_eq!(info.tags.title.as_deref(), Some("Blue Tone"));
        assert_eq!(info.tags.artist.as_deref(), Some("Tag Artist"));
        assert_eq!(info.tags.genre.as_deref(), Some("Jazz"));
        let info = probe(&fixture("tone.flac"), Some("flac"), Budget::generous()).expect("audio");
        assert_eq!(info.tags.title.as_deref(), Some("Flac Tone"));
        assert_eq!(info.tags.genre.as_deref(), Some("Ambient"));
    }

    #[test]
    fn non_audio_and_truncated_files_are_refused() {
        let dir = std::env::temp_dir().join(format!("probe-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let text = dir.join("notes.mp3");
        std::fs::write(
            &text,
            "just some text, renamed to look like audio\n".repeat(50),
        )
        .expect("write");
        assert!(probe(&text, Some("mp3"), Budget::generous()).is_err());
        let empty = dir.join("empty.wav");
        std::fs::write(&empty, b"").expect("write");
        assert!(probe(&empty, Some("wav"), Budget::generous()).is_err());
        for name in ["tone.flac", "tone.wav", "tone.m4a", "cbr.mp3"] {
            let bytes = std::fs::read(fixture(name)).expect("fixture");
            let cut = dir.join(format!("cut-{name}"));
            std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
            let result = probe(&cut, None, Budget::generous());
            eprintln!("{name} cut in half: {result:?}");
            if name != "cbr.mp3" {
                assert!(result.is_err(), "{name} cut in half was accepted");
            }
            let head = dir.join(format!("head-{name}"));
            std::fs::write(&head, &bytes[..64]).expect("write");
            assert!(
                probe(&head, None, Budget::generous()).is_err(),
                "{name}: 64 bytes accepted"
            );
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
