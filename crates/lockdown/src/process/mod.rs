//! The process guard: prohibited programs found when the exam is about to
//! start (so the candidate can close them), and reported within a fraction
//! of a second when one starts during the exam (and ended, if the policy
//! says so).

pub mod catalog;
mod content;
mod guard;
mod matcher;
mod watch;

pub use catalog::{Category, Program};
pub use content::{ContentScanner, MAX_SCAN_BYTES};
pub use guard::{EndOutcome, Finding, ProcessGuard};
pub use matcher::{Match, MatchedBy, Matcher};
pub use watch::{ProcessEvent, ProcessWatch, WatchOptions, WatchSource};

use std::path::PathBuf;

/// What the guard knows about a running process.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub parent: Option<u32>,
    /// The name the system gives it (on Linux the first 15 bytes of the
    /// executable's file name when it started).
    pub name: String,
    /// The executable file, when it can be read.
    pub exe: Option<PathBuf>,
    /// The command line.
    pub cmdline: Vec<String>,
    /// Owner's user id, when known.
    pub uid: Option<u32>,
    /// Start time, seconds since the epoch (with the pid, identifies it).
    pub start_time: u64,
}
