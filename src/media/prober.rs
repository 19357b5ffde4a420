//! Probing uploads without letting them take the machine: at most `PROBE_CONCURRENCY` files are
//! probed at once (the others wait their turn), each on a blocking thread, within a deadline
//! (`PROBE_TIMEOUT_MS`) and a decoding budget (`PROBE_DECODE_SECS`; see [`super::probe`]).

use std::{path::Path, time::Instant};

use tokio::sync::Semaphore;

use super::probe::{self, AudioInfo, Budget, NotAudio};
use crate::config::MediaConfig;

pub struct Prober {
    turns: Semaphore,
    timeout: std::time::Duration,
    decode: std::time::Duration,
}

impl Prober {
    pub fn new(config: &MediaConfig) -> Self {
        Self {
            turns: Semaphore::new(config.probe_concurrency.max(1)),
            timeout: config.probe_timeout,
            decode: config.probe_decode,
        }
    }

    /// Probes the file at `path` once a turn is free; `extension` only hints at the format.
    /// The deadline counts from the start of the probe, not from the wait for a turn.
    pub async fn probe(
        &self,
        path: &Path,
        extension: Option<String>,
    ) -> Result<AudioInfo, NotAudio> {
        let busy = || NotAudio("The server is shutting down; try again".into());
        let _turn = self.turns.acquire().await.map_err(|_| busy())?;
        let path = path.to_path_buf();
        let (timeout, decode) = (self.timeout, self.decode);
        tokio::task::spawn_blocking(move || {
            let budget = Budget {
                deadline: Instant::now() + timeout,
                decode,
            };
            probe::probe(&path, extension.as_deref(), budget)
        })
        .await
        .map_err(|_| NotAudio("The file could not be read".into()))?
    }
}
