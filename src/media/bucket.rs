//! Stored files in an S3-compatible bucket (`MEDIA_STORE=s3://BUCKET[/PREFIX]`): tracks under
//! `PREFIX/tracks/{id}`, attachments under `PREFIX/attachments/{id}`. Uploads are received and
//! probed in the local staging folder first, then sent in one PUT, or as a multipart upload from
//! [`MULTIPART_FROM`] bytes on; ranges are read with ranged GETs.
//!
//! The client is `object_store`'s (SigV4 signing, retries, multipart, presigned URLs). Its
//! retries are kept short: a listener waiting for audio is better told the store is down than
//! kept waiting for minutes.

use std::{io, path::Path, sync::Arc, time::Duration};

use axum::body::Bytes;
use object_store::{
    Attribute, Attributes, ClientOptions, ObjectMeta, ObjectStore, RetryConfig,
    aws::{AmazonS3, AmazonS3Builder},
    buffered::BufWriter,
    path::Path as ObjectPath,
    signer::Signer,
};
use tokio::io::{AsyncWriteExt, BufReader};
use uuid::Uuid;

use crate::config::BucketSettings;

/// Uploads of this size and more go in parts of this size (S3 asks at least 5 MiB of each part
/// but the last).
pub const MULTIPART_FROM: usize = 8 * 1024 * 1024;

/// What kind of stored file a key names.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Track,
    Attachment,
}

pub struct Bucket {
    store: Arc<AmazonS3>,
    prefix: String,
    /// Where to say the files are, for messages (never with credentials).
    name: String,
    redirect: bool,
    presign_ttl: Duration,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Bucket {
    /// A client for the bucket `settings` name (nothing is sent yet; see [`Bucket::check`]).
    pub fn new(settings: &BucketSettings) -> anyhow::Result<Self> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(10),
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(60)),
            );
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_allow_http(endpoint.starts_with("http://"))
                .with_endpoint(if settings.path_style {
                    endpoint.clone()
                } else {
                    virtual_hosted(endpoint, &settings.bucket)
                });
        }
        builder = builder.with_virtual_hosted_style_request(!settings.path_style);
        if let (Some(id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key) {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        if let Some(token) = &settings.session_token {
            builder = builder.with_token(token);
        }
        let store = builder.build()?;
        Ok(Self {
            store: Arc::new(store),
            prefix: settings.prefix.clone(),
            name: format!(
                "s3://{}/{} at {}",
                settings.bucket,
                settings.prefix,
                settings.endpoint.as_deref().unwrap_or("AWS")
            ),
            redirect: settings.redirect,
            presign_ttl: settings.presign_ttl,
        })
    }

    /// Asks for an object that does not exist: "not found" proves the bucket is there and the
    /// credentials are accepted; anything else is why it cannot be used.
    pub async fn check(&self) -> anyhow::Result<()> {
        let probe = self.key_of(Kind::Track, Uuid::nil());
        match self.store.head(&probe).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => anyhow::bail!("MEDIA_STORE: cannot use {}: {e}", self.name),
        }
    }

    /// Whether `/stream` redirects to presigned URLs (`MEDIA_REDIRECT=presigned`).
    pub fn redirects(&self) -> bool {
        self.redirect
    }

    pub fn key_of(&self, kind: Kind, id: Uuid) -> ObjectPath {
        let folder = match kind {
            Kind::Track => "tracks",
            Kind::Attachment => "attachments",
        };
        let id = id.simple();
        if self.prefix.is_empty() {
            ObjectPath::from(format!("{folder}/{id}"))
        } else {
            ObjectPath::from(format!("{}/{folder}/{id}", self.prefix))
        }
    }

    /// Sends the file at `staged` as `key`, with `content_type` for whoever fetches it directly.
    pub async fn upload(
        &self,
        staged: &Path,
        key: &ObjectPath,
        content_type: &str,
    ) -> io::Result<()> {
        let file = tokio::fs::File::open(staged).await?;
        let mut reader = BufReader::with_capacity(1024 * 1024, file);
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, content_type.to_owned().into());
        let store: Arc<dyn ObjectStore> = self.store.clone();
        let mut writer = BufWriter::with_capacity(store, key.clone(), MULTIPART_FROM)
            .with_max_concurrency(2)
            .with_attributes(attributes);
        let sent = async {
            tokio::io::copy_buf(&mut reader, &mut writer).await?;
            writer.shutdown().await
        }
        .await;
        if let Err(e) = sent {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(key = %key, "aborting a failed upload: {abort}");
            }
            return Err(e);
        }
        Ok(())
    }

    /// The object's size and version; `NotFound` when there is none.
    pub async fn head(&self, key: &ObjectPath) -> io::Result<ObjectMeta> {
        self.store.head(key).await.map_err(to_io)
    }

    /// Exactly `len` bytes from `offset`.
    pub async fn read_at(&self, key: &ObjectPath, offset: u64, len: usize) -> io::Result<Bytes> {
        let bytes = self
            .store
            .get_range(key, offset..offset + len as u64)
            .await
            .map_err(to_io)?;
        if bytes.len() != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the object is shorter than it was",
            ));
        }
        Ok(bytes)
    }

    /// Deletes `key`; one already gone is fine.
    pub async fn delete(&self, key: &ObjectPath) -> io::Result<()> {
        match self.store.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(to_io(e)),
        }
    }

    /// A URL that fetches `key` without credentials until the presign TTL passes.
    pub async fn presigned_get(&self, key: &ObjectPath) -> io::Result<String> {
        let url = self
            .store
            .signed_url(axum::http::Method::GET, key, self.presign_ttl)
            .await
            .map_err(to_io)?;
        Ok(url.to_string())
    }
}

/// `https://host` with the bucket as the host's first label.
fn virtual_hosted(endpoint: &str, bucket: &str) -> String {
    match endpoint.split_once("://") {
        Some((scheme, host)) => format!("{scheme}://{bucket}.{host}"),
        None => endpoint.to_owned(),
    }
}

fn to_io(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e),
        other => io::Error::other(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_hosted_endpoints_lead_with_the_bucket() {
        assert_eq!(
            virtual_hosted("https://s3.example.com", "media"),
            "https://media.s3.example.com"
        );
    }
}
