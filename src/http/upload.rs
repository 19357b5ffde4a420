//! The GraphQL multipart request spec (what apollo-upload-client sends): an `operations` field
//! (the JSON request), a `map` field (`{"0": ["variables.file"]}`), then the files.
//!
//! Each file goes to exactly one variable (`map` entries of one path), at most [`MAX_FILES`]
//! files per request.
//!
//! Files are streamed to `MEDIA_DIR/.incoming/` chunk by chunk, counting bytes as they come, so
//! an upload is never held in memory and one past its limit is stopped there with
//! `BAD_USER_INPUT` on `file` (HTTP 413). The limit of a file is that of the mutation field its
//! variable is passed to (`MAX_ATTACHMENT_BYTES` for `uploadAttachment`), else
//! `MAX_UPLOAD_BYTES`. Staged files that no resolver installs are removed when the request
//! ends.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Request as GqlRequest, UploadValue,
    parser::{
        parse_query,
        types::{DocumentOperations, Selection},
    },
};
use axum::{body::Body, http::StatusCode};
use multer::{Constraints, Multipart, SizeLimit};
use tokio::io::AsyncWriteExt;

use crate::error::AppError;
use crate::media::{MediaStore, StagedUpload, StagedUploads};

/// Files one request may carry.
pub const MAX_FILES: usize = 4;

/// Why a multipart request was refused.
pub enum Refusal {
    /// Not a well-formed multipart GraphQL request (400).
    Malformed(String),
    /// A coded error about the content, with the HTTP status to send it under.
    App(StatusCode, AppError),
}

impl From<multer::Error> for Refusal {
    fn from(err: multer::Error) -> Self {
        Refusal::Malformed(format!("Malformed multipart request: {err}"))
    }
}

pub struct Limits {
    pub operations_bytes: u64,
    /// Files passed to any field not listed in `file_bytes_by_field`.
    pub file_bytes: u64,
    /// Root fields whose files have a limit of their own.
    pub file_bytes_by_field: Vec<(&'static str, u64)>,
}

impl Limits {
    fn largest(&self) -> u64 {
        self.file_bytes_by_field
            .iter()
            .map(|(_, limit)| *limit)
            .fold(self.file_bytes, u64::max)
    }

    /// The limit of each variable that a field of `file_bytes_by_field` takes as an argument in
    /// the request's operation (the smallest, when several do).
    fn by_variable(&self, request: &GqlRequest) -> HashMap<String, u64> {
        let mut found = HashMap::new();
        let Ok(document) = parse_query(&request.query) else {
            return found;
        };
        let operation = match (&document.operations, request.operation_name.as_deref()) {
            (DocumentOperations::Single(op), _) => Some(op),
            (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
            (DocumentOperations::Multiple(_), None) => None,
        };
        let Some(operation) = operation else {
            return found;
        };
        for item in &operation.node.selection_set.node.items {
            let Selection::Field(field) = &item.node else {
                continue;
            };
            let name = field.node.name.node.as_str();
            let Some((_, limit)) = self.file_bytes_by_field.iter().find(|(f, _)| *f == name) else {
                continue;
            };
            let mut variables = Vec::new();
            for (_, value) in &field.node.arguments {
                // Substituting each variable visits them all, however deeply nested.
                let _ = value.node.clone().into_const_with(|name| {
                    variables.push(name.to_string());
                    Ok::<_, std::convert::Infallible>(async_graphql::Value::Null)
                });
            }
            for variable in variables {
                let entry = found.entry(variable).or_insert(*limit);
                *entry = (*entry).min(*limit);
            }
        }
        found
    }
}

/// The variable a `map` path names: `variables.file.0` → `file`.
fn variable_of(path: &str) -> Option<&str> {
    path.strip_prefix("variables.")?.split('.').next()
}

/// Reads a multipart request, staging its files; `parse` turns the `operations` JSON into a
/// request (the same rules as a JSON body).
pub async fn receive(
    body: Body,
    boundary: String,
    store: &MediaStore,
    limits: Limits,
    parse: impl Fn(serde_json::Value) -> Result<GqlRequest, String>,
) -> Result<(GqlRequest, StagedUploads), Refusal> {
    let constraints = Constraints::new().size_limit(
        SizeLimit::new()
            .for_field("operations", limits.operations_bytes)
            .for_field("map", 64 * 1024)
            .whole_stream(
                limits.operations_bytes
                    + 64 * 1024
                    + limits.largest() * MAX_FILES as u64
                    + 64 * 1024,
            ),
    );
    let mut multipart = Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut request: Option<GqlRequest> = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    // Each file key's byte limit, known once `map` has arrived.
    let mut file_limits: HashMap<String, u64> = HashMap::new();
    let mut files: HashMap<String, Arc<StagedUpload>> = HashMap::new();
    // Anything staged so far is removed if we bail out early.
    let mut cleanup = StagedUploads::default();

    while let Some(mut field) = multipart.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "operations" => {
                let text = field.text().await?;
                let value = serde_json::from_str(&text).map_err(|e| {
                    Refusal::Malformed(format!("`operations` is not valid JSON: {e}"))
                })?;
                request = Some(parse(value).map_err(Refusal::Malformed)?);
            }
            "map" => {
                if request.is_none() {
                    return Err(Refusal::Malformed(
                        "`operations` must come before `map`".into(),
                    ));
                }
                let text = field.text().await?;
                let parsed: HashMap<String, Vec<String>> =
                    serde_json::from_str(&text).map_err(|_| {
                        Refusal::Malformed("`map` must be a JSON object of string arrays".into())
                    })?;
                if parsed.len() > MAX_FILES {
                    return Err(Refusal::App(
                        StatusCode::BAD_REQUEST,
                        AppError::bad_input(
                            "file",
                            format!("At most {MAX_FILES} files per request"),
                        ),
                    ));
                }
                // One variable per file: each path opens the staged file again, and a file
                // given to several arguments would be probed and stored once for each.
                if let Some((key, paths)) = parsed.iter().find(|(_, paths)| paths.len() != 1) {
                    return Err(Refusal::App(
                        StatusCode::BAD_REQUEST,
                        AppError::bad_input(
                            "file",
                            format!(
                                "`map` entry {key:?} names {} variables; each file goes to exactly one",
                                paths.len()
                            ),
                        ),
                    ));
                }
                let by_variable = request
                    .as_ref()
                    .map(|r| limits.by_variable(r))
                    .unwrap_or_default();
                for (key, paths) in &parsed {
                    let limit = paths
                        .iter()
                        .filter_map(|p| variable_of(p).and_then(|v| by_variable.get(v)))
                        .copied()
                        .min()
                        .unwrap_or(limits.file_bytes);
                    file_limits.insert(key.clone(), limit);
                }
                map = Some(parsed);
            }
            _ => {
                let Some(map) = map.as_ref() else {
                    return Err(Refusal::Malformed(
                        "`map` must come before the files".into(),
                    ));
                };
                if !map.contains_key(&name) || files.contains_key(&name) {
                    return Err(Refusal::Malformed(format!(
                        "File field {name:?} is not in `map` (or is repeated)"
                    )));
                }
                let filename = field.file_name().unwrap_or("upload").to_owned();
                let content_type = field.content_type().map(ToString::to_string);
                let (path, mut file) = store
                    .stage()
                    .await
                    .map_err(|e| internal(anyhow::anyhow!("staging an upload: {e}")))?;
                let staged = Arc::new(StagedUpload {
                    path,
                    size: 0,
                    filename,
                    content_type,
                });
                cleanup.push(staged.clone());
                let limit = file_limits.get(&name).copied().unwrap_or(limits.file_bytes);
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await? {
                    size += chunk.len() as u64;
                    if size > limit {
                        return Err(Refusal::App(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            too_large(limit),
                        ));
                    }
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| internal(anyhow::anyhow!("writing an upload: {e}")))?;
                }
                file.flush()
                    .await
                    .map_err(|e| internal(anyhow::anyhow!("writing an upload: {e}")))?;
                let staged = Arc::new(StagedUpload {
                    path: staged.path.clone(),
                    size,
                    filename: staged.filename.clone(),
                    content_type: staged.content_type.clone(),
                });
                files.insert(name, staged);
            }
        }
    }

    let mut request =
        request.ok_or_else(|| Refusal::Malformed("The `operations` field is required".into()))?;
    let map = map.ok_or_else(|| Refusal::Malformed("The `map` field is required".into()))?;
    let mut staged = StagedUploads::default();
    for (key, paths) in map {
        let file = files
            .get(&key)
            .ok_or_else(|| Refusal::Malformed(format!("No file was sent for `map` key {key:?}")))?;
        for path in paths {
            let content = tokio::fs::File::open(&file.path)
                .await
                .map_err(|e| internal(anyhow::anyhow!("reopening an upload: {e}")))?
                .into_std()
                .await;
            let before = request.uploads.len();
            request.set_upload(
                &path,
                UploadValue {
                    filename: file.filename.clone(),
                    content_type: file.content_type.clone(),
                    content,
                },
            );
            if request.uploads.len() == before {
                return Err(Refusal::Malformed(format!(
                    "`map` path {path:?} does not name a variable"
                )));
            }
            staged.push(file.clone());
        }
    }
    // Every staged file is now owned by `staged`, which cleans up after execution.
    cleanup.disarm();
    Ok((request, staged))
}

fn internal(err: anyhow::Error) -> Refusal {
    Refusal::App(StatusCode::INTERNAL_SERVER_ERROR, AppError::Internal(err))
}

fn too_large(limit: u64) -> AppError {
    AppError::bad_input(
        "file",
        format!(
            "The file is larger than the upload limit ({})",
            human_size(limit)
        ),
    )
}

fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_takes_the_limit_of_the_field_its_variable_goes_to() {
        let limits = Limits {
            operations_bytes: 1000,
            file_bytes: 50,
            file_bytes_by_field: vec![("uploadAttachment", 25)],
        };
        assert_eq!(limits.largest(), 50);
        let request = GqlRequest::new(
            "mutation($a: Upload!, $t: Upload!, $i: UploadTrackInput!) {
               uploadAttachment(file: $a) { id } uploadTrack(input: $i, file: $t) { id } }",
        );
        let found = limits.by_variable(&request);
        assert_eq!(found.get("a"), Some(&25));
        assert_eq!(found.get("t"), None, "the default applies");
        assert_eq!(variable_of("variables.a"), Some("a"));
        assert_eq!(variable_of("variables.files.0"), Some("files"));
        assert_eq!(variable_of("query"), None);
        let unparsable = limits.by_variable(&GqlRequest::new("mutation {"));
        assert!(unparsable.is_empty());
    }
}
