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
}
