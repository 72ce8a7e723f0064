//! Why a sync stopped.

use std::path::PathBuf;

/// Why a sync could not finish.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The session directory cannot be read as a session.
    #[error("{path}: {message}")]
    Session {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The server refused the request; repeating it will not help.
    #[error("the server refused {what} ({status}): {message}")]
    Refused {
        /// What was asked.
        what: String,
        /// HTTP status.
        status: u16,
        /// The server's explanation.
        message: String,
    },
    /// The token was refused and could not be renewed.
    #[error("the server does not accept the upload token: {0}")]
    Unauthorized(String),
    /// The server could not be reached (or kept failing) within the time allowed.
    #[error(
        "the server could not be reached: {message}; the evidence stays here and the next sync continues where this one stopped"
    )]
    Unreachable {
        /// The last failure.
        message: String,
    },
    /// The server answered something this client cannot use.
    #[error("the server's answer to {what} is not understood: {message}")]
    Protocol {
        /// What was asked.
        what: String,
        /// What is wrong with the answer.
        message: String,
    },
    /// A receipt could not be checked or stored.
    #[error("the receipt could not be stored: {0}")]
    Receipt(String),
    /// A local file could not be read or written.
    #[error("{what} {path}: {error}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause (in the message; not a separate source, so it is said once).
        error: std::io::Error,
    },
}
