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
};

use tokio::fs;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct MediaStore {
    root: PathBuf,
    attachments: PathBuf,
    incoming: PathBuf,
    trash: PathBuf,
    /// Content types of stored files, so a ranged request (an `<audio>` element makes many)
    /// needs no database read. A stored file never changes type; deleted ones are forgotten.
    mime_types: std::sync::Arc<dashmap::DashMap<Uuid, std::sync::Arc<str>>>,
}

/// Entries the content-type cache holds before it starts over.
const MIME_CACHE_MAX: usize = 100_000;

impl MediaStore {
    /// Creates the folders when missing and clears what an interrupted run left in them (files
    /// older than an hour, so that another instance sharing the folder keeps its uploads).
    pub fn open(root: &Path) -> io::Result<Self> {
        let store = Self {
            root: root.to_path_buf(),
            attachments: root.join("attachments"),
            incoming: root.join(".incoming"),
            trash: root.join(".trash"),
            mime_types: Default::default(),
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

    pub fn cached_mime(&self, track_id: Uuid) -> Option<std::sync::Arc<str>> {
        self.mime_types.get(&track_id).map(|m| m.clone())
    }

    pub fn remember_mime(&self, track_id: Uuid, mime: &str) -> std::sync::Arc<str> {
        if self.mime_types.len() >= MIME_CACHE_MAX {
            self.mime_types.clear();
        }
        let mime: std::sync::Arc<str> = mime.into();
        self.mime_types.insert(track_id, mime.clone());
        mime
    }

    pub fn forget(&self, track_id: Uuid) {
        self.mime_types.remove(&track_id);
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
        fs::rename(staged, self.path_of(track_id)).await
    }

    /// Takes a track's audio out of service before its row is deleted; returns where it went,
    /// or `None` when there was no file.
    pub async fn retire(&self, track_id: Uuid) -> io::Result<Option<PathBuf>> {
        self.forget(track_id);
        let to = self.trash.join(track_id.simple().to_string());
        match fs::rename(self.path_of(track_id), &to).await {
            Ok(()) => Ok(Some(to)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Puts a retired file back (the delete did not commit).
    pub async fn restore(&self, retired: &Path, track_id: Uuid) -> io::Result<()> {
        fs::rename(retired, self.path_of(track_id)).await
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
