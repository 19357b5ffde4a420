//! Where audio and attachments live (`MEDIA_DIR`, or an S3-compatible bucket named by
//! `MEDIA_STORE`) and how much of it one upload may bring.

use std::{path::PathBuf, time::Duration};

use anyhow::bail;

use super::{Source, parse, parse_bool};

#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// The local media directory: every stored file when there is no bucket; with one, only the
    /// staging folder uploads are received and probed in.
    pub dir: PathBuf,
    /// `Some` when `MEDIA_STORE` names a bucket.
    pub bucket: Option<BucketSettings>,
    pub max_upload_bytes: u64,
    /// How long a `Track.streamUrl` token stays valid.
    pub stream_token_ttl: Duration,
    /// Files probed at once; the others wait their turn.
    pub probe_concurrency: usize,
    /// Longest a probe may take before the file is refused.
    pub probe_timeout: Duration,
    /// Audio decoded in full at the start of a file; past it, packets are only demuxed.
    pub probe_decode: Duration,
    /// Memory for recently served blocks of audio files (0 turns that cache off).
    pub stream_cache_bytes: usize,
}

/// An S3-compatible bucket (AWS S3, Supabase Storage's S3 endpoint, Garage, MinIO, R2).
#[derive(Clone)]
pub struct BucketSettings {
    pub bucket: String,
    /// Prepended to every object's key (`s3://BUCKET/PREFIX`), without slashes at its ends.
    pub prefix: String,
    /// `S3_ENDPOINT`; `None` is AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    /// `S3_FORCE_PATH_STYLE`: `https://endpoint/BUCKET/key` rather than `https://BUCKET.endpoint/key`.
    pub path_style: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// `MEDIA_REDIRECT=presigned`: `/stream` answers with a redirect to a presigned URL instead
    /// of relaying the bytes.
    pub redirect: bool,
    /// How long a presigned URL works (`MEDIA_PRESIGN_TTL_SECS`).
    pub presign_ttl: Duration,
}

impl std::fmt::Debug for BucketSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketSettings")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("redirect", &self.redirect)
            .finish_non_exhaustive()
    }
}

impl MediaConfig {
    pub fn load(src: &impl Source, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let mut dir = src
            .get("MEDIA_DIR")
            .map_or_else(|| data_dir.join("media"), PathBuf::from);
        let bucket = match src.get("MEDIA_STORE").map(|v| v.trim().to_owned()) {
            None => None,
            Some(v) if v.is_empty() => None,
            Some(v) => match store_location(&v)? {
                StoreLocation::Directory(path) => {
                    dir = path;
                    None
                }
                StoreLocation::Bucket { bucket, prefix } => {
                    Some(BucketSettings::load(src, bucket, prefix)?)
                }
            },
        };
        let redirect = src
            .get("MEDIA_REDIRECT")
            .map(|v| v.trim().to_ascii_lowercase());
        match (redirect.as_deref(), &bucket) {
            (None | Some("" | "proxy"), _) | (Some("presigned"), Some(_)) => {}
            (Some("presigned"), None) => {
                bail!(
                    "MEDIA_REDIRECT=presigned needs MEDIA_STORE=s3://BUCKET (a local directory has no presigned URLs)"
                )
            }
            (Some(other), _) => bail!("MEDIA_REDIRECT: expected proxy or presigned, got {other:?}"),
        }
        let config = Self {
            dir,
            bucket,
            max_upload_bytes: parse(src, "MAX_UPLOAD_BYTES", 50 * 1024 * 1024)?,
            stream_token_ttl: Duration::from_secs(parse(src, "STREAM_TOKEN_TTL_SECS", 6 * 3600)?),
            probe_concurrency: parse(src, "PROBE_CONCURRENCY", default_probe_concurrency())?,
            probe_timeout: Duration::from_millis(parse(src, "PROBE_TIMEOUT_MS", 20_000)?),
            probe_decode: Duration::from_secs(parse(src, "PROBE_DECODE_SECS", 1800)?),
            stream_cache_bytes: parse(src, "STREAM_CACHE_BYTES", 16 * 1024 * 1024)?,
        };
        if config.max_upload_bytes == 0 || config.stream_token_ttl.is_zero() {
            bail!("MAX_UPLOAD_BYTES / STREAM_TOKEN_TTL_SECS: must be at least 1");
        }
        if config.probe_concurrency == 0 || config.probe_timeout.is_zero() {
            bail!("PROBE_CONCURRENCY / PROBE_TIMEOUT_MS: must be at least 1");
        }
        Ok(config)
    }
}

impl BucketSettings {
    fn load(src: &impl Source, bucket: String, prefix: String) -> anyhow::Result<Self> {
        let endpoint = src
            .get("S3_ENDPOINT")
            .map(|v| v.trim().trim_end_matches('/').to_owned())
            .filter(|v| !v.is_empty());
        if let Some(endpoint) = &endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            bail!("S3_ENDPOINT: expected an http:// or https:// URL, got {endpoint:?}");
        }
        // Self-hosted stores (Garage, MinIO) usually answer on one host name only.
        let path_style = parse_bool(src, "S3_FORCE_PATH_STYLE", endpoint.is_some())?;
        let secret = |key: &str| src.get(key).filter(|v| !v.is_empty());
        let access_key_id = secret("AWS_ACCESS_KEY_ID");
        let secret_access_key = secret("AWS_SECRET_ACCESS_KEY");
        if access_key_id.is_some() != secret_access_key.is_some() {
            bail!("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: set both or neither");
        }
        let presign_ttl = Duration::from_secs(parse(src, "MEDIA_PRESIGN_TTL_SECS", 300)?);
        if presign_ttl.is_zero() || presign_ttl > Duration::from_secs(7 * 24 * 3600) {
            bail!("MEDIA_PRESIGN_TTL_SECS: between 1 and 604800 (S3's longest)");
        }
        Ok(Self {
            bucket,
            prefix,
            region: src
                .get("S3_REGION")
                .or_else(|| src.get("AWS_REGION"))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "us-east-1".to_owned()),
            endpoint,
            path_style,
            access_key_id,
            secret_access_key,
            session_token: secret("AWS_SESSION_TOKEN"),
            redirect: src
                .get("MEDIA_REDIRECT")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("presigned")),
            presign_ttl,
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
enum StoreLocation {
    Directory(PathBuf),
    Bucket { bucket: String, prefix: String },
}

/// `s3://BUCKET[/PREFIX]`, or a local directory (a path, or `file://` and a path).
fn store_location(value: &str) -> anyhow::Result<StoreLocation> {
    if let Some(rest) = value.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid_bucket {
            bail!("MEDIA_STORE: {bucket:?} is not a bucket name (3 to 63 of a-z, 0-9, '-', '.')");
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|part| part == "." || part == "..")
            || prefix.contains("//")
            || prefix.chars().any(char::is_control)
        {
            bail!("MEDIA_STORE: the prefix {prefix:?} must be plain path segments");
        }
        return Ok(StoreLocation::Bucket {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        });
    }
    if let Some(path) = value.strip_prefix("file://") {
        return Ok(StoreLocation::Directory(PathBuf::from(path)));
    }
    if value.contains("://") {
        bail!("MEDIA_STORE: expected s3://BUCKET[/PREFIX] or a directory, got {value:?}");
    }
    Ok(StoreLocation::Directory(PathBuf::from(value)))
}

/// One probe per CPU but one, so that a burst of uploads leaves a core to everything else.
fn default_probe_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_locations() {
        assert_eq!(
            store_location("s3://media-bucket").expect("bucket"),
            StoreLocation::Bucket {
                bucket: "media-bucket".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            store_location("s3://media/prod/audio/").expect("prefix"),
            StoreLocation::Bucket {
                bucket: "media".into(),
                prefix: "prod/audio".into()
            }
        );
        assert_eq!(
            store_location("/srv/media").expect("dir"),
            StoreLocation::Directory("/srv/media".into())
        );
        assert_eq!(
            store_location("file:///srv/media").expect("file url"),
            StoreLocation::Directory("/srv/media".into())
        );
        assert!(store_location("s3://UPPER").is_err());
        assert!(store_location("s3://ab").is_err());
        assert!(store_location("s3://media/../etc").is_err());
        assert!(store_location("gs://media").is_err());
    }
}
