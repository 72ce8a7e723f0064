//! The proctoring engine of Paraakh Secure Exam: the system check a
//! candidate sees before an exam ([`preflight`]) and the proctoring session
//! itself ([`session`]: monitors → policy → events → evidence, with crash
//! recovery).

#![forbid(unsafe_code)]

pub mod exam;
pub mod preflight;
pub mod preview;
pub mod proctor;
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
    /// A thread the session needs could not be started (the system is out
    /// of threads or memory).
    #[error("cannot start {what}: {source}")]
    Start {
        /// What could not start (`the session thread`, `the uploader`).
        what: &'static str,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The session's own thread panicked (a bug): it stopped without its
    /// end record, and the evidence written so far is kept.
    #[error(
        "the session thread panicked; the evidence recorded so far is kept, and starting the session again with the same directory resumes it"
    )]
    Panicked,
    /// The session has ended; no more commands are taken.
    #[error("the session has ended")]
    Ended,
}

impl EngineError {
    /// A thread (`what`) could not be spawned.
    pub(crate) fn start(what: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        move |source| Self::Start { what, source }
    }
}
