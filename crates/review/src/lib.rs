//! The reviewer's report of a Paraakh Secure Exam session.
//!
//! Built only from a verified session ([`build`] runs the complete
//! verification first and puts its result at the top): the trust statement
//! and findings, who and what, a timeline of segments, gaps, breaks and
//! every event, each flagged event with its evidence decrypted, what was
//! not watched and why, time from the autosaves, how each answer was
//! typed, and the reviewers'
//! signed decisions ([`paraakh_evidence::review`]). Rendered as one
//! self-contained HTML page ([`html`]) or as JSON ([`model`]).
//!
//! The client records and classifies; a person decides: the report's
//! outcome is "pending review" until every high or critical event has a
//! reviewer's decision, and never "failed".

#![forbid(unsafe_code)]

pub mod access_log;
mod build;
pub mod html;
pub mod layer;
pub mod model;
mod time;
mod typing;

use std::path::PathBuf;

pub use build::{MAX_EMBEDDED_BYTES, build};
pub use model::SessionReview;
pub use time::IDLE_THRESHOLD_S;

/// Why a report could not be made at all (problems in the evidence are
/// findings in the report, not errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewBuildError {
    /// The session cannot be verified (not a session directory).
    #[error(transparent)]
    Verify(#[from] paraakh_evidence::verify::VerifyError),
    /// A file cannot be read.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The tenant key cannot be used.
    #[error("the tenant key cannot be used: {0}")]
    Key(String),
}
