//! Errors of the station crate: each says what is wrong and what to do.

use std::path::PathBuf;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StationError {
    /// A file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The centre file (or a file it names) is not valid.
    #[error("{path} is not a valid centre file:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// Something the station needs is missing from this computer.
    #[error("{what} is not installed: {fix}")]
    Missing {
        /// What.
        what: String,
        /// What to do.
        fix: String,
    },
    /// A system command failed.
    #[error("{command} failed: {reason}")]
    Command {
        /// The command line.
        command: String,
        /// What it said.
        reason: String,
    },
    /// The request would do harm (wipe the wrong home, run as the wrong user).
    #[error("{0}")]
    Refused(String),
}

pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> StationError + '_ {
    move |source| StationError::Io {
        path: path.to_owned(),
        source,
    }
}
