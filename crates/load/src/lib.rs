//! A load generator for the Paraakh backend: `paraakh ingest load`.
//!
//! N simulated candidates, each with a real session (recorded beforehand by
//! the evidence crate's simulator, encrypted to the tenant's key) and a
//! real upload token, start spread over a ramp and upload the way the
//! client does during an exam: every few seconds what was recorded since
//! (records under their checkpoints, the blobs they name), then the rest
//! at the end. Uploads go to the given servers in turn (a load balancer's
//! round robin), through the real uploader (`paraakh-sync`), from a pool
//! of worker threads sharing one HTTP client. Afterwards every session is
//! read back from the backend's store and verified: every record under a
//! receipt, every blob there, the record batches one chain (nothing held
//! twice).

#![forbid(unsafe_code)]

mod candidate;
mod run;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub use candidate::Recording;
pub use run::{Expected, check, run};
use serde::Serialize;

/// Why a load could not run (a failed upload is a figure, not an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A file of the work directory.
    #[error("{what} {path}: {error}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        #[source]
        error: std::io::Error,
    },
    /// A session could not be recorded.
    #[error("cannot record a session: {0}")]
    Simulate(String),
    /// The backend's side (tokens, its store).
    #[error(transparent)]
    Backend(#[from] paraakh_ingest::IngestError),
    /// The uploader could not be set up.
    #[error(transparent)]
    Sync(#[from] paraakh_sync::SyncError),
    /// Bad options.
    #[error("{0}")]
    Options(String),
}

/// A temporary directory for the recorded sessions and their copies,
/// removed when dropped.
pub fn work_dir() -> Result<tempfile::TempDir, LoadError> {
    tempfile::tempdir().map_err(|error| LoadError::Io {
        what: "cannot make a work directory in",
        path: std::env::temp_dir(),
        error,
    })
}

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Backend URLs. Candidate i uploads to server i mod n (a load
    /// balancer routing by the session id in the path) and moves to the
    /// next when a round fails; with `rotate`, every round goes to the next
    /// (plain round robin: each replica reads the session back from the
    /// store when another served it last).
    pub servers: Vec<String>,
    /// See `servers`.
    pub rotate: bool,
    /// Tenant and exam of every session.
    pub tenant: String,
    /// See `tenant`.
    pub exam: String,
    /// Candidates.
    pub candidates: usize,
    /// How long each candidate's exam lasts (its session is revealed over it).
    pub duration: Duration,
    /// Candidates start spread over this long.
    pub ramp: Duration,
    /// A candidate uploads every this often.
    pub every: Duration,
    /// Uploads in flight at once (worker threads).
    pub workers: usize,
    /// What each candidate records.
    pub recording: Recording,
    /// Session ids are this prefix and the candidate's number.
    pub prefix: String,
    /// Give up on a candidate not complete this long after its exam ended.
    pub grace: Duration,
}

/// Latency percentiles, milliseconds.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th.
    pub p90: f64,
    /// 99th.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Percentiles {
    /// Of `samples` (any order).
    pub fn of(samples: &mut [Duration]) -> Self {
        samples.sort();
        let at = |p: f64| {
            samples
                .get(((samples.len().saturating_sub(1)) as f64 * p).round() as usize)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        Self {
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

/// What a load did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    /// Candidates started.
    pub candidates: usize,
    /// Of those, whose whole session the backend holds and cosigned.
    pub complete: usize,
    /// Wall-clock seconds from the first start to the last upload.
    pub seconds: f64,
    /// Upload rounds (one sync of what was recorded since the last).
    pub rounds: u64,
    /// Rounds that failed (and were tried again later).
    pub failed_rounds: u64,
    /// Why rounds failed, by message.
    pub errors: BTreeMap<String, u64>,
    /// How long a round took (its requests, retries included).
    pub round_ms: Percentiles,
    /// Records the backend took.
    pub records_sent: u64,
    /// Blobs completed.
    pub blobs_sent: u64,
    /// Bytes sent (records before base64, blob chunks), retries included.
    pub bytes_sent: u64,
    /// Requests repeated after a transient failure.
    pub retries: u64,
    /// Rounds, records and bytes per second.
    pub rounds_per_second: f64,
    /// See `rounds_per_second`.
    pub records_per_second: f64,
    /// See `rounds_per_second`.
    pub bytes_per_second: f64,
    /// Sessions not complete when the load ended.
    pub incomplete: Vec<String>,
}

/// What the check of the backend's copies found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Sessions read back and verified.
    pub verified: usize,
    /// Bytes the tenant holds in the store.
    pub stored_bytes: u64,
    /// Each session that failed the check, and why.
    pub failures: Vec<String>,
}
