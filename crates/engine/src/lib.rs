//! The proctoring engine of Paraakh Secure Exam: the system check a
//! candidate sees before an exam ([`preflight`]) and the proctoring session
//! itself ([`session`]: monitors → policy → events → evidence, with crash
//! recovery).

#![forbid(unsafe_code)]

pub mod exam;
pub mod preflight;
pub mod preview;
pub mod session;
pub mod sources;

/// Why a session could not start or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The evidence could not be written: the session cannot go on.
    #[error("evidence: {0}")]
    Evidence(#[from] paraakh_evidence::WriterError),
    /// A capture source failed.
    #[error(transparent)]
    Capture(#[from] paraakh_capture::CaptureError),
    /// Detection failed.
    #[error(transparent)]
    Detect(#[from] paraakh_detect::DetectError),
    /// A lockdown watch failed.
    #[error(transparent)]
    Lockdown(#[from] paraakh_lockdown::LockdownError),
    /// A thread could not be started.
    #[error("{0}")]
    Start(String),
    /// The session has ended; no more commands are taken.
    #[error("the session has ended")]
    Ended,
}

impl From<std::io::Error> for EngineError {
    fn from(e: std::io::Error) -> Self {
        Self::Start(e.to_string())
    }
}
