//! Stored files kept open between requests, with what serving them needs (length, validators,
//! content type), and positioned reads from them.
//!
//! An `<audio>` element asks for many ranges of one file, and a listening room asks for the same
//! file from every member at once: opening and stat-ing the file each time cost two trips to the
//! blocking pool before the first byte. An open file is trusted for [`RECHECK_AFTER`]; then its
//! path is stat-ed again (another instance sharing the media directory may have deleted the
//! track). Deleting a track here forgets its file at once.

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
use uuid::Uuid;

/// How long an open file is served without looking at its path again.
pub const RECHECK_AFTER: Duration = Duration::from_secs(1);

/// Most files kept open; past it, one is closed for each new one.
pub const MAX_OPEN: usize = 512;

/// An open stored file and the headers that describe it.
pub struct OpenFile {
    file: File,
    pub id: Uuid,
    pub size: u64,
    pub modified_secs: u64,
    pub etag: String,
    pub etag_header: HeaderValue,
    pub last_modified: HeaderValue,
    pub mime_type: Arc<str>,
    pub content_type: HeaderValue,
    /// Device and inode: which file the path named when it was opened.
    identity: (u64, u64),
}

impl OpenFile {
    /// Opens and stats `path` on a blocking thread. `id` names the representation in the ETag
    /// (stored files never change in place).
    pub async fn open(path: PathBuf, id: Uuid, mime_type: Arc<str>) -> io::Result<Arc<Self>> {
        blocking(move || Self::open_now(&path, id, mime_type)).await
    }

    fn open_now(path: &Path, id: Uuid, mime_type: Arc<str>) -> io::Result<Arc<Self>> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "not a file"));
        }
        let modified = meta.modified().unwrap_or(UNIX_EPOCH);
        let modified_secs = modified
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let size = meta.len();
        let etag = format!("\"{}-{:x}-{:x}\"", id.simple(), size, modified_secs);
        Ok(Arc::new(Self {
            file,
            id,
            size,
            modified_secs,
            etag_header: header_value(&etag),
            etag,
            last_modified: header_value(&httpdate::fmt_http_date(modified)),
            content_type: header_value(&mime_type),
            mime_type,
            identity: identity(&meta),
        }))
    }

    /// Which file this is (device, inode): blocks cached from it are keyed by it.
    pub fn inode(&self) -> u64 {
        self.identity.1
    }

    /// Exactly `len` bytes from `offset`, in one positioned read on a blocking thread.
    pub async fn read_at(self: &Arc<Self>, offset: u64, len: usize) -> io::Result<Bytes> {
        let this = self.clone();
        blocking(move || {
            let mut buf = vec![0; len];
            this.file.read_exact_at(&mut buf, offset)?;
            Ok(Bytes::from(buf))
        })
        .await
    }

    /// Whether `meta` (of the path, now) still describes this open file.
    fn same_as(&self, meta: &Metadata) -> bool {
        let modified_secs = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        identity(meta) == self.identity
            && meta.len() == self.size
            && modified_secs == self.modified_secs
    }
}

fn identity(meta: &Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
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

    /// Opens `path` and keeps it open under `id`.
    pub async fn open(
        &self,
        path: PathBuf,
        id: Uuid,
        mime_type: Arc<str>,
    ) -> io::Result<Arc<OpenFile>> {
        let file = OpenFile::open(path, id, mime_type).await?;
        self.keep(file.clone());
        Ok(file)
    }

    /// Looks at `path` again: the same file is trusted for another [`RECHECK_AFTER`]; a
    /// replaced one is opened instead; a missing one is forgotten (`NotFound`).
    pub async fn recheck(&self, path: PathBuf, file: Arc<OpenFile>) -> io::Result<Arc<OpenFile>> {
        let meta = match blocking({
            let path = path.clone();
            move || std::fs::metadata(path)
        })
        .await
        {
            Ok(meta) => meta,
            Err(e) => {
                self.forget(file.id);
                return Err(e);
            }
        };
        if file.same_as(&meta) {
            if let Some(mut entry) = self.map.get_mut(&file.id) {
                entry.checked = Instant::now();
            }
            return Ok(file);
        }
        self.open(path, file.id, file.mime_type.clone()).await
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
            .open(path.clone(), id, "audio/wav".into())
            .await
            .expect("open");
        assert_eq!(file.size, 10);
        assert_eq!(file.read_at(3, 4).await.expect("read").as_ref(), b"3456");
        assert!(file.read_at(8, 4).await.is_err(), "past the end");
        assert!(matches!(files.lookup(id), Lookup::Fresh(_)));
        assert!(files.recheck(path.clone(), file.clone()).await.is_ok());
        std::fs::remove_file(&path).expect("remove");
        let gone = files.recheck(path.clone(), file).await;
        assert!(matches!(gone, Err(e) if e.kind() == io::ErrorKind::NotFound));
        assert!(matches!(files.lookup(id), Lookup::Missing));
        let _ = std::fs::remove_dir_all(dir);
    }
}
