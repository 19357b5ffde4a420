//! Stored files kept open between requests, with what serving them needs (length, validators,
//! content type), and positioned reads from them: files of the media directory, or objects of
//! the bucket (`MEDIA_STORE=s3://…`, read with ranged GETs).
//!
//! An `<audio>` element asks for many ranges of one file, and a listening room asks for the same
//! file from every member at once: opening and stat-ing the file (or asking the bucket for the
//! object's size and version) each time would cost a round trip before the first byte. An open
//! file is trusted for [`RECHECK_AFTER`]; then it is looked at again (another instance may have
//! deleted the track). Deleting a track here forgets its file at once.

use std::{
    fs::{File, Metadata},
    io,
    os::unix::fs::{FileExt, MetadataExt},
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant, UNIX_EPOCH},
};

use axum::{body::Bytes, http::HeaderValue};
use dashmap::DashMap;
use object_store::{ObjectMeta, path::Path as ObjectPath};
use uuid::Uuid;

use super::bucket::Bucket;

/// How long an open file is served without looking at its path again.
pub const RECHECK_AFTER: Duration = Duration::from_secs(1);

/// Most files kept open; past it, one is closed for each new one.
pub const MAX_OPEN: usize = 512;

/// Where a stored file is.
#[derive(Clone, Debug)]
pub enum Location {
    Disk(PathBuf),
    Bucket(Arc<Bucket>, ObjectPath),
}

/// What reads an open file's bytes.
enum Reader {
    File(Arc<File>),
    Object(Arc<Bucket>, ObjectPath),
}

/// Which version of a file was opened: stored files never change in place, so a different
/// version means the file was replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Version {
    /// Device and inode of a file; for an object, a hash of its entity tag.
    identity: (u64, u64),
    size: u64,
    modified_secs: u64,
}

impl Version {
    fn of_file(meta: &Metadata) -> Self {
        Self {
            identity: (meta.dev(), meta.ino()),
            size: meta.len(),
            modified_secs: secs(meta.modified().unwrap_or(UNIX_EPOCH)),
        }
    }

    fn of_object(meta: &ObjectMeta) -> Self {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        meta.e_tag.hash(&mut hasher);
        meta.version.hash(&mut hasher);
        Self {
            identity: (0, hasher.finish()),
            size: meta.size,
            modified_secs: u64::try_from(meta.last_modified.timestamp()).unwrap_or(0),
        }
    }
}

fn secs(time: std::time::SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// An open stored file and the headers that describe it.
pub struct OpenFile {
    reader: Reader,
    pub id: Uuid,
    pub size: u64,
    pub modified_secs: u64,
    pub etag: String,
    pub etag_header: HeaderValue,
    pub last_modified: HeaderValue,
    pub mime_type: Arc<str>,
    pub content_type: HeaderValue,
    version: Version,
}

impl OpenFile {
    /// Opens `location` (on a blocking thread for a file; one HEAD request for an object). `id`
    /// names the representation in the ETag.
    pub async fn open(location: Location, id: Uuid, mime_type: Arc<str>) -> io::Result<Arc<Self>> {
        match location {
            Location::Disk(path) => {
                blocking(move || Self::open_on_disk(&path, id, mime_type)).await
            }
            Location::Bucket(bucket, key) => {
                let meta = bucket.head(&key).await?;
                let version = Version::of_object(&meta);
                let modified = std::time::SystemTime::from(meta.last_modified);
                Ok(Self::described(
                    Reader::Object(bucket, key),
                    id,
                    version,
                    modified,
                    mime_type,
                ))
            }
        }
    }

    fn open_on_disk(path: &Path, id: Uuid, mime_type: Arc<str>) -> io::Result<Arc<Self>> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "not a file"));
        }
        let modified = meta.modified().unwrap_or(UNIX_EPOCH);
        Ok(Self::described(
            Reader::File(Arc::new(file)),
            id,
            Version::of_file(&meta),
            modified,
            mime_type,
        ))
    }

    fn described(
        reader: Reader,
        id: Uuid,
        version: Version,
        modified: std::time::SystemTime,
        mime_type: Arc<str>,
    ) -> Arc<Self> {
        let etag = format!(
            "\"{}-{:x}-{:x}\"",
            id.simple(),
            version.size,
            version.modified_secs
        );
        Arc::new(Self {
            reader,
            id,
            size: version.size,
            modified_secs: version.modified_secs,
            etag_header: header_value(&etag),
            etag,
            last_modified: header_value(&httpdate::fmt_http_date(modified)),
            content_type: header_value(&mime_type),
            mime_type,
            version,
        })
    }

    /// Which file this is (an inode, or a hash of an object's version): blocks cached from it
    /// are keyed by it.
    pub fn inode(&self) -> u64 {
        self.version.identity.1
    }

    /// Exactly `len` bytes from `offset`: one positioned read on a blocking thread, or one
    /// ranged GET.
    pub async fn read_at(self: &Arc<Self>, offset: u64, len: usize) -> io::Result<Bytes> {
        match &self.reader {
            Reader::File(file) => {
                let file = file.clone();
                blocking(move || {
                    let mut buf = vec![0; len];
                    file.read_exact_at(&mut buf, offset)?;
                    Ok(Bytes::from(buf))
                })
                .await
            }
            Reader::Object(bucket, key) => bucket.read_at(key, offset, len).await,
        }
    }
}

/// The version `location` holds now; `NotFound` when it is gone.
async fn current_version(location: &Location) -> io::Result<Version> {
    match location {
        Location::Disk(path) => {
            let path = path.clone();
            let meta = blocking(move || std::fs::metadata(path)).await?;
            Ok(Version::of_file(&meta))
        }
        Location::Bucket(bucket, key) => Ok(Version::of_object(&bucket.head(key).await?)),
    }
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(io::Error::other)?
}

/// What the table knows of a file.
pub enum Lookup {
    /// Open and checked recently: serve it.
    Fresh(Arc<OpenFile>),
    /// Open, but its path is due another look ([`OpenFiles::recheck`]).
    Stale(Arc<OpenFile>),
    Missing,
}

struct Entry {
    file: Arc<OpenFile>,
    checked: Instant,
}

/// Open files by id, at most [`MAX_OPEN`].
#[derive(Default)]
pub struct OpenFiles {
    map: DashMap<Uuid, Entry>,
}

impl OpenFiles {
    pub fn lookup(&self, id: Uuid) -> Lookup {
        match self.map.get(&id) {
            Some(entry) if entry.checked.elapsed() < RECHECK_AFTER => {
                Lookup::Fresh(entry.file.clone())
            }
            Some(entry) => Lookup::Stale(entry.file.clone()),
            None => Lookup::Missing,
        }
    }

    /// Opens `location` and keeps it open under `id`.
    pub async fn open(
        &self,
        location: Location,
        id: Uuid,
        mime_type: Arc<str>,
    ) -> io::Result<Arc<OpenFile>> {
        let file = OpenFile::open(location, id, mime_type).await?;
        self.keep(file.clone());
        Ok(file)
    }

    /// Looks at `location` again: the same file is trusted for another [`RECHECK_AFTER`]; a
    /// replaced one is opened instead; a missing one is forgotten (`NotFound`).
    pub async fn recheck(
        &self,
        location: Location,
        file: Arc<OpenFile>,
    ) -> io::Result<Arc<OpenFile>> {
        let version = match current_version(&location).await {
            Ok(version) => version,
            Err(e) => {
                if e.kind() == io::ErrorKind::NotFound {
                    self.forget(file.id);
                }
                return Err(e);
            }
        };
        if version == file.version {
            if let Some(mut entry) = self.map.get_mut(&file.id) {
                entry.checked = Instant::now();
            }
            return Ok(file);
        }
        self.open(location, file.id, file.mime_type.clone()).await
    }

    pub fn forget(&self, id: Uuid) {
        self.map.remove(&id);
    }

    fn keep(&self, file: Arc<OpenFile>) {
        if self.map.len() >= MAX_OPEN && !self.map.contains_key(&file.id) {
            let victim = self.map.iter().next().map(|e| *e.key());
            if let Some(victim) = victim {
                self.map.remove(&victim);
            }
        }
        self.map.insert(
            file.id,
            Entry {
                file,
                checked: Instant::now(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_read_at_positions_and_rechecked() {
        let dir = std::env::temp_dir().join(format!("sr-open-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("f");
        std::fs::write(&path, b"0123456789").expect("write");
        let files = OpenFiles::default();
        let id = Uuid::new_v4();
        let file = files
            .open(Location::Disk(path.clone()), id, "audio/wav".into())
            .await
            .expect("open");
        assert_eq!(file.size, 10);
        assert_eq!(file.read_at(3, 4).await.expect("read").as_ref(), b"3456");
        assert!(file.read_at(8, 4).await.is_err(), "past the end");
        assert!(matches!(files.lookup(id), Lookup::Fresh(_)));
        assert!(
            files
                .recheck(Location::Disk(path.clone()), file.clone())
                .await
                .is_ok()
        );
        std::fs::remove_file(&path).expect("remove");
        let gone = files.recheck(Location::Disk(path.clone()), file).await;
        assert!(matches!(gone, Err(e) if e.kind() == io::ErrorKind::NotFound));
        assert!(matches!(files.lookup(id), Lookup::Missing));
        let _ = std::fs::remove_dir_all(dir);
    }
}
