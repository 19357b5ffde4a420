//! The playable length of an MP4/M4A file from its edit list (`moov/trak/edts/elst`), and the
//! movie's declared length (`moov/mvhd`), which is what an attachment's duration is read from.
//!
//! AAC encoders put priming samples (usually 1024) before the audio and say so in the edit
//! list; symphonia does not read it, so its frame count is ~23 ms long. The edit list's segment
//! durations, in the movie's time scale (`mvhd`), are the exact playable length.

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom},
    path::Path,
};

/// The summed duration of the first track's edit list, in milliseconds, when the file has one.
pub fn edited_duration_ms(path: &Path) -> Option<i64> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let moov = find_child(&mut file, 0, len, b"moov")?;
    let mvhd = find_child(&mut file, moov.0, moov.1, b"mvhd")?;
    let timescale = read_mvhd_timescale(&mut file, mvhd.0)?;
    let trak = find_child(&mut file, moov.0, moov.1, b"trak")?;
    let edts = find_child(&mut file, trak.0, trak.1, b"edts")?;
    let elst = find_child(&mut file, edts.0, edts.1, b"elst")?;
    let total = read_elst_duration(&mut file, elst.0, elst.1)?;
    (timescale > 0 && total > 0)
        .then(|| (total as f64 * 1000.0 / f64::from(timescale)).round() as i64)
}

/// The movie's duration from its header (`mvhd`), in milliseconds: one read, no demuxing.
pub fn movie_duration_ms(path: &Path) -> Option<i64> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let moov = find_child(&mut file, 0, len, b"moov")?;
    let mvhd = find_child(&mut file, moov.0, moov.1, b"mvhd")?;
    file.seek(SeekFrom::Start(mvhd.0)).ok()?;
    let mut version = [0u8; 4];
    file.read_exact(&mut version).ok()?;
    let (timescale, duration) = if version[0] == 1 {
        // creation(8) modification(8) timescale(4) duration(8)
        let mut body = [0u8; 28];
        file.read_exact(&mut body).ok()?;
        (
            u32::from_be_bytes(body[16..20].try_into().ok()?),
            u64::from_be_bytes(body[20..28].try_into().ok()?),
        )
    } else {
        // creation(4) modification(4) timescale(4) duration(4)
        let mut body = [0u8; 16];
        file.read_exact(&mut body).ok()?;
        (
            u32::from_be_bytes(body[8..12].try_into().ok()?),
            u64::from(u32::from_be_bytes(body[12..16].try_into().ok()?)),
        )
    };
    // All ones means "unknown".
    (timescale > 0 && duration > 0 && duration != u64::from(u32::MAX) && duration != u64::MAX)
        .then(|| (duration as f64 * 1000.0 / f64::from(timescale)).round() as i64)
}

/// `(payload start, payload end)` of the first child box named `name` within `[start, end)`.
fn find_child(file: &mut File, start: u64, end: u64, name: &[u8; 4]) -> Option<(u64, u64)> {
    let mut pos = start;
    while pos + 8 <= end {
        file.seek(SeekFrom::Start(pos)).ok()?;
        let mut header = [0u8; 8];
        file.read_exact(&mut header).ok()?;
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let (size, header_len) = match size32 {
            0 => (end - pos, 8),
            1 => {
                let mut big = [0u8; 8];
                file.read_exact(&mut big).ok()?;
                (u64::from_be_bytes(big), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header_len || pos + size > end {
            return None;
        }
        if &header[4..8] == name {
            return Some((pos + header_len, pos + size));
        }
        pos += size;
    }
    None
}

fn read_mvhd_timescale(file: &mut File, payload: u64) -> Option<u32> {
    file.seek(SeekFrom::Start(payload)).ok()?;
    let mut version = [0u8; 4];
    file.read_exact(&mut version).ok()?;
    // version 0: creation(4) modification(4) timescale(4); version 1: 8 + 8 + 4.
    let skip = if version[0] == 1 { 16 } else { 8 };
    file.seek(SeekFrom::Current(skip)).ok()?;
    let mut ts = [0u8; 4];
    file.read_exact(&mut ts).ok()?;
    Some(u32::from_be_bytes(ts))
}

fn read_elst_duration(file: &mut File, payload: u64, end: u64) -> Option<u64> {
    file.seek(SeekFrom::Start(payload)).ok()?;
    let mut head = [0u8; 8];
    file.read_exact(&mut head).ok()?;
    let version = head[0];
    let count = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    let entry_len: u64 = if version == 1 { 20 } else { 12 };
    if payload + 8 + u64::from(count) * entry_len > end || count > 1024 {
        return None;
    }
    let mut total = 0u64;
    for _ in 0..count {
        let (duration, media_time) = if version == 1 {
            let mut e = [0u8; 20];
            file.read_exact(&mut e).ok()?;
            (
                u64::from_be_bytes(e[0..8].try_into().ok()?),
                i64::from_be_bytes(e[8..16].try_into().ok()?),
            )
        } else {
            let mut e = [0u8; 12];
            file.read_exact(&mut e).ok()?;
            (
                u64::from(u32::from_be_bytes(e[0..4].try_into().ok()?)),
                i64::from(i32::from_be_bytes(e[4..8].try_into().ok()?)),
            )
        };
        // media_time -1 is an empty edit (a pause), not audio.
        if media_time >= 0 {
            total += duration;
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_edit_list_of_an_aac_m4a() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audio/tone.m4a");
        assert_eq!(edited_duration_ms(&path), Some(3000));
        let flac = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audio/tone.flac");
        assert_eq!(edited_duration_ms(&flac), None);
        // The header counts the 1024 priming samples the edit list leaves out.
        let movie = movie_duration_ms(&path).expect("mvhd");
        assert!((3000..=3050).contains(&movie), "{movie}");
        assert_eq!(movie_duration_ms(&flac), None);
    }
}
