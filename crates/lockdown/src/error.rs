//! Errors of the lockdown crate.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockdownError {
    /// The process list cannot be read.
    #[error("cannot read the list of running programs: {reason}")]
    Processes {
        /// What the system said.
        reason: String,
    },
    /// The display server cannot be read.
    #[error("cannot read the displays: {reason}")]
    Displays {
        /// What the system said.
        reason: String,
    },
    /// The exam session's compositor cannot be checked or sealed.
    #[error("exam session: {reason}")]
    ExamSession {
        /// What failed and what the system said.
        reason: String,
    },
    /// The X display cannot be used for focus or the clipboard.
    #[error("cannot use the X display: {reason}")]
    Desktop {
        /// What failed and what the system said.
        reason: String,
    },
}
