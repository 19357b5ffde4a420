//! Audio probing with symphonia: what a file is, how long it plays, and its tags.
//!
//! The file's own bytes decide, never its name or the client's `Content-Type`. Every packet is
//! demuxed and counted, so durations are exact even for VBR MP3 without a Xing header (whose
//! header-based estimate can be far off), and every packet that has a decoder is decoded, so a
//! renamed text file or a corrupt stream is refused. Blocking: call it from `spawn_blocking`.

use std::{fs::File, path::Path};

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

/// Probes the file at `path`. `extension` (from the client's file name) is only a hint.
pub fn probe(path: &Path, extension: Option<&str>) -> Result<AudioInfo, NotAudio> {
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

    let mut frames: u64 = 0;
    let mut packets: u64 = 0;
    let mut bad_packets: u64 = 0;
    loop {
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
        let playable = packet
            .dur
            .get()
            .saturating_sub(packet.trim_start.get())
            .saturating_sub(packet.trim_end.get());
        frames += playable;
        if let Some(decoder) = decoder.as_mut()
            && decoder.decode(&packet).is_err()
        {
            bad_packets += 1;
        }
    }
    if packets == 0 || frames == 0 {
        return Err(NotAudio("The file contains no audio".into()));
    }
    if bad_packets as f64 > (packets as f64 * MAX_BAD_PACKET_RATIO).max(1.0) {
        return Err(NotAudio("The audio stream is corrupt".into()));
    }
    let duration_ms = frames_to_ms(time_base, frames);
    // Containers that state their length (FLAC, WAV, MP4, Ogg) tell a cut file apart. MP3 does
    // not reliably (without a Xing header its stated length is an estimate), but MP3 frames are
    // independent: a cut MP3 is a shorter, valid one.
    if params.codec != CODEC_ID_MP3 {
        let declared_frames = track.num_frames.or(track.duration.map(|d| d.get()));
        if let Some(declared) = declared_frames {
            let declared_ms = frames_to_ms(time_base, declared);
            if declared_ms > duration_ms + (declared_ms / 100).max(500) {
                return Err(NotAudio(format!(
                    "The file is truncated: it declares {declared_ms} ms of audio but holds {duration_ms} ms"
                )));
            }
        }
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
        c if c == CODEC_ID_AAC && container.contains("adts") => ("aac", "audio/aac"),
        c if c == CODEC_ID_AAC => ("m4a", "audio/mp4"),
        _ if container.contains("wav") || container.contains("riff") => ("wav", "audio/wav"),
        _ => return None,
    })
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
