//! The media directory: one file per track, named by the track's id (never by anything a client
//! sent), attachments likewise in `attachments/`, plus two working folders on the same file
//! system so that moves are atomic renames:
//!
//! - `.incoming/`: uploads being received and probed; leftovers swept at start-up.
//! - `.trash/`: files of tracks being deleted, until the deleting transaction commits; leftovers
//!   swept at start-up (their rows are gone by then, or the rename back restored them).

use std::{
    io,
    path::{Path, PathBuf},
    sync::Arc,
};

use tokio::fs;
use uuid::Uuid;

use super::blocks::Blocks;
use super::open_files::{Lookup, OpenFile, OpenFiles};
use super::serve::Source;

#[derive(Clone)]
pub struct MediaStore {
    root: PathBuf,
    attachments: PathBuf,
    incoming: PathBuf,
    trash: PathBuf,
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
            .finish_non_exhaustive()
    }
}

impl MediaStore {
    /// Creates the folders when missing and clears what an interrupted run left in them (files
    /// older than an hour, so that another instance sharing the folder keeps its uploads).
    /// `cache_bytes` bounds the memory of served blocks (0: none kept).
    pub fn open(root: &Path, cache_bytes: usize) -> io::Result<Self> {
        let store = Self {
            root: root.to_path_buf(),
            attachments: root.join("attachments"),
            incoming: root.join(".incoming"),
            trash: root.join(".trash"),
            open_tracks: Default::default(),
            blocks: Blocks::new(cache_bytes).map(Arc::new),
        };
        for dir in [
            &store.root,
            &store.attachments,
            &store.incoming,
            &store.trash,
        ] {
            std::fs::create_dir_all(dir)?;
        }
        for dir in [&store.incoming, &store.trash] {
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
        Ok(store)
    }

    /// A track's audio, ready to serve, when it was served recently (no database read needed):
    /// `Ok(None)` when it was not. `NotFound` when its file is gone.
    pub async fn cached_track(&self, track_id: Uuid) -> io::Result<Option<Source>> {
        let file = match self.open_tracks.lookup(track_id) {
            Lookup::Fresh(file) => file,
            Lookup::Stale(file) => {
                let rechecked = self.open_tracks.recheck(self.path_of(track_id), file).await;
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
            .open(self.path_of(track_id), track_id, mime_type.into())
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
            self.attachment_path(attachment_id),
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

    /// Where a track's audio lives.
    pub fn path_of(&self, track_id: Uuid) -> PathBuf {
        self.root.join(track_id.simple().to_string())
    }

    /// A fresh file in `.incoming/` to receive an upload into.
    pub async fn stage(&self) -> io::Result<(PathBuf, fs::File)> {
        let path = self
            .incoming
            .join(format!("{}.part", Uuid::new_v4().simple()));
        let file = fs::File::create(&path).await?;
        Ok((path, file))
    }

    /// Moves a staged, probed file to its place as `track_id`'s audio.
    pub async fn install(&self, staged: &Path, track_id: Uuid) -> io::Result<()> {
        let renamed = fs::rename(staged, self.path_of(track_id)).await;
        self.forget(track_id);
        renamed
    }

    /// Takes a track's audio out of service before its row is deleted; returns where it went,
    /// or `None` when there was no file.
    pub async fn retire(&self, track_id: Uuid) -> io::Result<Option<PathBuf>> {
        let to = self.trash.join(track_id.simple().to_string());
        let renamed = fs::rename(self.path_of(track_id), &to).await;
        // After the rename, so that a request opening the file meanwhile is forgotten too.
        self.forget(track_id);
        match renamed {
            Ok(()) => Ok(Some(to)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Puts a retired file back (the delete did not commit).
    pub async fn restore(&self, retired: &Path, track_id: Uuid) -> io::Result<()> {
        let renamed = fs::rename(retired, self.path_of(track_id)).await;
        self.forget(track_id);
        renamed
    }

    /// Where an attachment's bytes live.
    pub fn attachment_path(&self, attachment_id: Uuid) -> PathBuf {
        self.attachments.join(attachment_id.simple().to_string())
    }

    /// Moves a staged, sniffed file to its place as an attachment's bytes.
    pub async fn install_attachment(&self, staged: &Path, attachment_id: Uuid) -> io::Result<()> {
        fs::rename(staged, self.attachment_path(attachment_id)).await
    }

    /// Removes the files of attachments whose rows are gone, logging (not failing on) errors.
    pub async fn remove_attachments(&self, attachment_ids: &[Uuid]) {
        for id in attachment_ids {
            if let Err(e) = Self::remove(&self.attachment_path(*id)).await {
                tracing::warn!(attachment_id = %id, "removing an attachment's file: {e}");
            }
        }
    }

    /// Removes a file, ignoring one that is already gone.
    pub async fn remove(path: &Path) -> io::Result<()> {
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
