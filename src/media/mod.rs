//! Audio and attachments: where files live (the media directory or an S3-compatible bucket),
//! what they are, and how their bytes are served (ranges, validators, the open files and
//! cached blocks they are served from).

pub mod blocks;
pub mod bucket;
mod mp4_edit;
pub mod open_files;
pub mod probe;
pub mod prober;
pub mod range;
pub mod serve;
pub mod sniff;
pub mod storage;

pub use prober::Prober;
pub use storage::{MediaStore, StagedUpload, StagedUploads};
