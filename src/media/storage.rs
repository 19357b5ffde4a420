//! Where stored files live: the media directory (`MEDIA_DIR`), one file per track named by the
//! track's id (never by anything a client sent), attachments likewise in `attachments/`; or,
//! with `MEDIA_STORE=s3://…`, objects in a bucket (see [`super::bucket`]). Either way the
//! directory holds two working folders, on the same file system so that moves are atomic
//! renames:
//!
//! - `.incoming/`: uploads being received and probed; leftovers swept at start-up.
//! - `.trash/`: files of tracks being deleted, until the deleting transaction commits; leftovers
//!   swept at start-up (their rows are gone by then, or the rename back restored them).
//!
//! A stored file exists before its row is committed and is removed only after its row is gone,
//! so no row ever names a missing file; what a crash can leave is a file without a row.

use std::{
    io,
    path::{Path, PathBuf},
    sync::Arc,
};

use tokio::fs;
use uuid::Uuid;

use super::blocks::Blocks;
use super::bucket::{Bucket, Kind};
use super::open_files::{Location, Lookup, OpenFile, OpenFiles};
use super::serve::Source;
use crate::config::MediaConfig;

#[derive(Clone)]
pub struct MediaStore {
    root: PathBuf,
    attachments: PathBuf,
    incoming: PathBuf,
    trash: PathBuf,
    /// `Some`: files live in this bucket, and the directory only stages uploads.
    bucket: Option<Arc<Bucket>>,
    /// Tracks' audio files kept open (with their content type, so a ranged request, of which
    /// an `<audio>` element makes many, needs no database read); deleted ones are forgotten.
    open_tracks: Arc<OpenFiles>,
    /// Recently served blocks of tracks' audio (`STREAM_CACHE_BYTES`); `None` when off.
    blocks: Option<Arc<Blocks>>,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore")
            .field("root", &self.root)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

/// A track's file taken out of service while its row is being deleted.
#[derive(Debug)]
pub enum Retired {
    /// Moved to `.trash/` (this path): removed once the delete commits, moved back if it does
    /// not.
    Moved(Uuid, PathBuf),
    /// In the bucket still: deleted once the row is gone.
    InBucket(Uuid),
    /// There was no file.
    Nothing,
}

impl MediaStore {
    /// Creates the folders when missing and clears what an interrupted run left in them (files
    /// older than an hour, so that another instance sharing the folder keeps its uploads).
    /// A bucket is only configured here; [`MediaStore::check`] reaches it.
    pub fn open(config: &MediaConfig) -> anyhow::Result<Self> {
        let root = config.dir.clone();
        let bucket = config
            .bucket
            .as_ref()
            .map(Bucket::new)
            .transpose()?
            .map(Arc::new);
        let store = Self {
            attachments: root.join("attachments"),
            incoming: root.join(".incoming"),
            trash: root.join(".trash"),
            root,
            bucket,
            open_tracks: Default::default(),
            blocks: Blocks::new(config.stream_cache_bytes).map(Arc::new),
        };
        store.prepare_dirs()?;
        Ok(store)
    }

    fn prepare_dirs(&self) -> io::Result<()> {
        for dir in [&self.root, &self.attachments, &self.incoming, &self.trash] {
            std::fs::create_dir_all(dir)?;
        }
        for dir in [&self.incoming, &self.trash] {
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let meta = entry.metadata()?;
                let stale = meta
                    .modified()
                    .ok()
                    .and_then(|m| m.elapsed().ok())
                    .is_some_and(|age| age > std::time::Duration::from_secs(3600));
                if meta.is_file() && stale {
                    std::fs::remove_file(entry.path())?;
                }
            }
        }
        Ok(())
    }

    /// Reaches the bucket, when there is one: the server refuses to start without its media.
    pub async fn check(&self) -> anyhow::Result<()> {
        match &self.bucket {
            Some(bucket) => bucket.check().await,
            None => Ok(()),
        }
    }

    /// Whether `/stream` redirects to presigned URLs rather than serving bytes.
    pub fn redirects(&self) -> bool {
        self.bucket.as_ref().is_some_and(|b| b.redirects())
    }

    /// What `/stream` should redirect to instead of serving the bytes itself: a presigned URL
    /// of the track's object, when `MEDIA_REDIRECT=presigned`.
    pub async fn presigned_track(&self, track_id: Uuid) -> Option<io::Result<String>> {
        let bucket = self.bucket.as_ref().filter(|b| b.redirects())?;
        Some(
            bucket
                .presigned_get(&bucket.key_of(Kind::Track, track_id))
                .await,
        )
    }

    /// A track's audio, ready to serve, when it was served recently (no database read needed):
    /// `Ok(None)` when it was not. `NotFound` when its file is gone.
    pub async fn cached_track(&self, track_id: Uuid) -> io::Result<Option<Source>> {
        let file = match self.open_tracks.lookup(track_id) {
            Lookup::Fresh(file) => file,
            Lookup::Stale(file) => {
                let rechecked = self
                    .open_tracks
                    .recheck(self.location(Kind::Track, track_id), file)
                    .await;
                self.forget_blocks_unless_ok(track_id, &rechecked);
                rechecked?
            }
            Lookup::Missing => return Ok(None),
        };
        Ok(Some(self.source(file)))
    }

    /// Opens a track's audio (of content type `mime_type`) and keeps it open.
    pub async fn open_track(&self, track_id: Uuid, mime_type: &str) -> io::Result<Source> {
        let opened = self
            .open_tracks
            .open(
                self.location(Kind::Track, track_id),
                track_id,
                mime_type.into(),
            )
            .await;
        self.forget_blocks_unless_ok(track_id, &opened);
        Ok(self.source(opened?))
    }

    /// Opens an attachment's bytes for one request (attachments are not kept open).
    pub async fn open_attachment(
        &self,
        attachment_id: Uuid,
        mime_type: &str,
    ) -> io::Result<Source> {
        let file = OpenFile::open(
            self.location(Kind::Attachment, attachment_id),
            attachment_id,
            mime_type.into(),
        )
        .await?;
        Ok(Source { file, blocks: None })
    }

    fn source(&self, file: Arc<OpenFile>) -> Source {
        Source {
            file,
            blocks: self.blocks.clone(),
        }
    }

    fn forget_blocks_unless_ok<T>(&self, track_id: Uuid, result: &io::Result<T>) {
        if result.is_err()
            && let Some(blocks) = &self.blocks
        {
            blocks.forget(track_id);
        }
    }

    /// Closes a track's file and drops what is cached of it.
    pub fn forget(&self, track_id: Uuid) {
        self.open_tracks.forget(track_id);
        if let Some(blocks) = &self.blocks {
            blocks.forget(track_id);
        }
    }

    fn location(&self, kind: Kind, id: Uuid) -> Location {
        match &self.bucket {
            Some(bucket) => Location::Bucket(bucket.clone(), bucket.key_of(kind, id)),
            None => Location::Disk(self.path(kind, id)),
        }
    }

    /// Where a file lives in the media directory (when there is no bucket).
    fn path(&self, kind: Kind, id: Uuid) -> PathBuf {
        let name = id.simple().to_string();
        match kind {
            Kind::Track => self.root.join(name),
            Kind::Attachment => self.attachments.join(name),
        }
    }

    /// A fresh file in `.incoming/` to receive an upload into.
    pub async fn stage(&self) -> io::Result<(PathBuf, fs::File)> {
        let path = self
            .incoming
            .join(format!("{}.part", Uuid::new_v4().simple()));
        let file = fs::File::create(&path).await?;
        Ok((path, file))
    }

    /// Stores a staged, probed file as `track_id`'s audio (moved, or uploaded and then removed).
    pub async fn install_track(
        &self,
        staged: &Path,
        track_id: Uuid,
        mime_type: &str,
    ) -> io::Result<()> {
        let installed = self.install(staged, Kind::Track, track_id, mime_type).await;
        self.forget(track_id);
        installed
    }

    /// Stores a staged, sniffed file as an attachment's bytes.
    pub async fn install_attachment(
        &self,
        staged: &Path,
        attachment_id: Uuid,
        mime_type: &str,
    ) -> io::Result<()> {
        self.install(staged, Kind::Attachment, attachment_id, mime_type)
            .await
    }

    async fn install(
        &self,
        staged: &Path,
        kind: Kind,
        id: Uuid,
        mime_type: &str,
    ) -> io::Result<()> {
        let Some(bucket) = &self.bucket else {
            return fs::rename(staged, self.path(kind, id)).await;
        };
        bucket
            .upload(staged, &bucket.key_of(kind, id), mime_type)
            .await?;
        if let Err(e) = Self::remove_file(staged).await {
            tracing::warn!("removing an uploaded file from the staging folder: {e}");
        }
        Ok(())
    }

    /// Removes a track's stored file whose row was never committed.
    pub async fn discard_track(&self, track_id: Uuid) {
        self.forget(track_id);
        self.remove(Kind::Track, track_id).await;
    }

    /// Removes an attachment's stored file whose row was never committed.
    pub async fn discard_attachment(&self, attachment_id: Uuid) {
        self.remove(Kind::Attachment, attachment_id).await;
    }

    /// Takes a track's audio out of service before its row is deleted: moved aside in the
    /// directory; in a bucket it stays until [`MediaStore::finish_retiring`].
    pub async fn retire(&self, track_id: Uuid) -> io::Result<Retired> {
        if self.bucket.is_some() {
            return Ok(Retired::InBucket(track_id));
        }
        let to = self.trash.join(track_id.simple().to_string());
        let renamed = fs::rename(self.path(Kind::Track, track_id), &to).await;
        // After the rename, so that a request opening the file meanwhile is forgotten too.
        self.forget(track_id);
        match renamed {
            Ok(()) => Ok(Retired::Moved(track_id, to)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Retired::Nothing),
            Err(e) => Err(e),
        }
    }

    /// The track's row is gone: removes its retired file.
    pub async fn finish_retiring(&self, retired: Retired) {
        match retired {
            Retired::Moved(_, path) => {
                if let Err(e) = Self::remove_file(&path).await {
                    tracing::warn!(path = %path.display(), "removing a deleted track's file: {e}");
                }
            }
            Retired::InBucket(track_id) => {
                self.forget(track_id);
                self.remove(Kind::Track, track_id).await;
            }
            Retired::Nothing => {}
        }
    }

    /// The delete did not commit: puts a retired file back.
    pub async fn restore(&self, retired: Retired) {
        if let Retired::Moved(track_id, path) = retired {
            let renamed = fs::rename(&path, self.path(Kind::Track, track_id)).await;
            self.forget(track_id);
            if let Err(e) = renamed {
                tracing::error!(%track_id, "restoring a track's file after a failed delete: {e}");
            }
        }
    }

    /// Removes the files of attachments whose rows are gone, logging (not failing on) errors.
    pub async fn remove_attachments(&self, attachment_ids: &[Uuid]) {
        for id in attachment_ids {
            self.remove(Kind::Attachment, *id).await;
        }
    }

    /// Removes a stored file (one already gone is fine), logging an error.
    async fn remove(&self, kind: Kind, id: Uuid) {
        let removed = match &self.bucket {
            Some(bucket) => bucket.delete(&bucket.key_of(kind, id)).await,
            None => Self::remove_file(&self.path(kind, id)).await,
        };
        if let Err(e) = removed {
            tracing::warn!(%id, ?kind, "removing a stored file: {e}");
        }
    }

    /// Removes a file, ignoring one that is already gone.
    async fn remove_file(path: &Path) -> io::Result<()> {
        match fs::remove_file(path).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// One file of a multipart request, received into `.incoming/` and not yet probed.
#[derive(Debug)]
pub struct StagedUpload {
    pub path: PathBuf,
    pub size: u64,
    /// The client's file name: shown back and used as a format hint, never as a path.
    pub filename: String,
    pub content_type: Option<String>,
}

/// The staged files of one request, indexed like the request's `Upload` values. Whatever a
/// resolver did not install is removed when the request is done.
#[derive(Debug, Default)]
pub struct StagedUploads(Vec<std::sync::Arc<StagedUpload>>);

impl StagedUploads {
    pub fn push(&mut self, upload: std::sync::Arc<StagedUpload>) {
        self.0.push(upload);
    }

    /// Forgets the files without removing them (another owner took them over).
    pub fn disarm(mut self) {
        self.0.clear();
    }

    pub fn paths(&self) -> Vec<PathBuf> {
        self.0.iter().map(|u| u.path.clone()).collect()
    }

    pub fn get(&self, index: usize) -> Option<&StagedUpload> {
        self.0.get(index).map(|u| u.as_ref())
    }
}

impl Drop for StagedUploads {
    fn drop(&mut self) {
        let paths: Vec<PathBuf> = self.0.iter().map(|u| u.path.clone()).collect();
        if paths.is_empty() {
            return;
        }
        let remove = move || {
            for path in paths {
                let _ = std::fs::remove_file(path);
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn_blocking(remove);
            }
            Err(_) => remove(),
        }
    }
}
