//! `soundroom import DIR [--artist NAME] [--genre GENRE] [--owner EMAIL]`: fills the catalog
//! from a folder of audio files in one step.
//!
//! Every file under DIR (recursively, in name order) is probed exactly as an upload is; what is
//! not audio is skipped and reported. The title comes from the file's tags, else its file name;
//! the artist is `--artist` when given, else the file's artist tag, else "Unknown artist"
//! (artists are matched by name, case-insensitively, and created when missing); the genre is
//! the file's tag, else `--genre`. The source files are copied, never moved.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use uuid::Uuid;

use crate::domain::accounts::Email;
use crate::domain::catalog::Name;
use crate::service::accounts;
use crate::service::catalog::{self, NewTrack};
use crate::state::AppState;

pub struct ImportOptions {
    pub dir: PathBuf,
    pub artist: Option<String>,
    pub genre: Option<String>,
    pub owner_email: Option<String>,
}

impl ImportOptions {
    /// From the arguments after `import`.
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut dir = None;
        let (mut artist, mut genre, mut owner_email) = (None, None, None);
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |flag: &str| {
                it.next()
                    .cloned()
                    .with_context(|| format!("{flag} needs a value"))
            };
            match arg.as_str() {
                "--artist" => artist = Some(value("--artist")?),
                "--genre" => genre = Some(value("--genre")?),
                "--owner" => owner_email = Some(value("--owner")?),
                flag if flag.starts_with("--") => bail!("unknown option {flag}"),
                path if dir.is_none() => dir = Some(PathBuf::from(path)),
                extra => bail!("unexpected argument {extra:?}"),
            }
        }
        Ok(Self {
            dir: dir.context("which folder? usage: soundroom import DIR [--artist NAME]")?,
            artist,
            genre,
            owner_email,
        })
    }
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: usize,
    pub skipped: Vec<(PathBuf, String)>,
}

pub async fn run(state: &AppState, options: ImportOptions) -> anyhow::Result<ImportReport> {
    if !options.dir.is_dir() {
        bail!("{} is not a folder", options.dir.display());
    }
    let owner = match &options.owner_email {
        Some(email) => Some(
            accounts::find_by_email(&state.db, &parse_email(email)?)
                .await
                .map_err(|e| anyhow::anyhow!("--owner: {}", e.public_message()))?
                .with_context(|| format!("--owner: no account with email {email}"))?
                .id,
        ),
        None => None,
    };
    let forced_artist = options
        .artist
        .as_deref()
        .map(|a| Name::parse("artist", a).map(Name::into_inner))
        .transpose()
        .map_err(|_| anyhow::anyhow!("--artist: 1–200 characters"))?;
    let files = {
        let dir = options.dir.clone();
        tokio::task::spawn_blocking(move || list_files(&dir)).await??
    };
    let progress = ProgressBar::new(files.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut report = ImportReport::default();
    for path in files {
        let label = path
            .strip_prefix(&options.dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        progress.set_message(label.clone());
        match import_one(state, &path, forced_artist.as_deref(), &options, owner).await {
            Ok(()) => report.imported += 1,
            Err(reason) => {
                progress.println(format!("skipped {label}: {reason}"));
                report.skipped.push((path.clone(), reason));
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(report)
}

async fn import_one(
    state: &AppState,
    path: &Path,
    forced_artist: Option<&str>,
    options: &ImportOptions,
    owner: Option<Uuid>,
) -> Result<(), String> {
    let filename = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("audio")
        .to_owned();
    let info = catalog::probe_file(state, path, &filename)
        .await
        .map_err(|e| e.public_message())?;
    let title = info.tags.title.clone().unwrap_or_else(|| {
        Path::new(&filename)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("Untitled")
            .to_owned()
    });
    let name = Name::parse("name", &title).map_err(|e| e.public_message())?;
    let artist_name = forced_artist
        .map(str::to_owned)
        .or_else(|| info.tags.artist.clone())
        .unwrap_or_else(|| "Unknown artist".to_owned());
    let artist_id = catalog::artist_named(&state.db, &artist_name)
        .await
        .map_err(|e| format!("artist: {}", e.public_message()))?
        .id;
    let size_bytes = tokio::fs::metadata(path)
        .await
        .map_err(|e| e.to_string())?
        .len();
    // Copy into the staging folder first: the source stays untouched and the final move is an
    // atomic rename within the media directory.
    let (staged, file) = state.media.stage().await.map_err(|e| e.to_string())?;
    drop(file);
    if let Err(e) = tokio::fs::copy(path, &staged).await {
        let _ = tokio::fs::remove_file(&staged).await;
        return Err(format!("copy: {e}"));
    }
    let genre = info.tags.genre.clone().or_else(|| options.genre.clone());
    let result = catalog::store_track(
        state,
        &staged,
        NewTrack {
            name,
            genre,
            artist_id,
            uploaded_by: owner,
            size_bytes,
            info,
        },
    )
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&staged).await;
    }
    result.map(|_| ()).map_err(|e| e.public_message())
}

fn parse_email(email: &str) -> anyhow::Result<Email> {
    Email::parse(email).map_err(|e| anyhow::anyhow!("--owner: {}", e.public_message()))
}

/// Regular files under `dir`, recursively, sorted; hidden files and folders are left out.
fn list_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
