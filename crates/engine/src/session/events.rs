//! What goes into a session (commands) and what comes out (events for the UI).

use std::path::PathBuf;

use paraakh_evidence::Severity;
use serde::Serialize;

use super::rules::Observation;

/// Something the app or a script asks of the session.
#[derive(Debug, Clone)]
pub enum Command {
    /// Autosave of one answer (encrypted to the tenant, durable on return).
    SaveAnswer {
        /// The question's id.
        question: String,
        /// The answer as the exam UI encodes it.
        answer: Vec<u8>,
    },
    /// Something the exam window saw (focus lost, fullscreen left, devtools asked for).
    Report(Observation),
    /// An allowed break starts: violations do not count until `Resume`.
    Pause {
        /// Why (for the reviewer).
        reason: String,
    },
    /// The break is over.
    Resume,
    /// The candidate submits: the submission names the last autosave of each question.
    Submit,
    /// A proctor ends the lockdown early with the tenant's code (checked by the app).
    ProctorUnlock {
        /// Who.
        by: String,
        /// Why.
        reason: String,
    },
    /// End the session without a submission (time up in the app, closing).
    End {
        /// Why.
        reason: String,
    },
    /// From the uploader: the backend's receipt, to record in the log.
    Receipt {
        /// The cosigned checkpoint.
        note: paraakh_evidence::note::SignedNote,
        /// The key it was checked with.
        backend: paraakh_evidence::keys::NoteVerifier,
    },
    /// From the uploader: how an attempt went.
    UploadResult {
        /// Why it failed, if it did.
        error: Option<String>,
    },
}

/// What the UI hears.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EngineEvent {
    /// The session runs.
    Started {
        /// Session id.
        session_id: String,
        /// It continues after a crash or reboot.
        resumed: bool,
        /// Seconds between the last record before the stop and the resume.
        #[serde(skip_serializing_if = "Option::is_none")]
        gap_seconds: Option<f64>,
        /// Monitors running.
        monitors: Vec<String>,
    },
    /// A record went into the evidence log.
    Recorded {
        /// Its position.
        seq: u64,
        /// Event kind.
        kind: String,
        /// Severity.
        severity: Severity,
        /// For the reviewer.
        message: String,
    },
    /// Something the candidate should see, in calm words.
    Warning {
        /// Event kind.
        kind: String,
        /// What to show.
        text: String,
        /// Severity.
        severity: Severity,
    },
    /// An answer was saved.
    AnswerSaved {
        /// Question.
        question: String,
        /// Its record.
        seq: u64,
    },
    /// The exam was submitted.
    Submitted {
        /// The submission record.
        seq: u64,
        /// Questions answered.
        answers: usize,
        /// By whom or what.
        how: String,
    },
    /// The backend cosigned the log up to `cosigned_size` records.
    Uploaded {
        /// Records under the newest receipt.
        cosigned_size: u64,
    },
    /// A device or detector problem.
    Trouble {
        /// Which monitor.
        monitor: String,
        /// What happened.
        message: String,
    },
    /// The session ended and is sealed by a final checkpoint.
    Ended {
        /// Why.
        reason: String,
        /// Records in the log.
        records: u64,
    },
}

/// Counts of a finished session.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SessionSummary {
    /// The directory.
    pub dir: PathBuf,
    /// Session id.
    pub session_id: String,
    /// Why it ended.
    pub reason: String,
    /// Records in the log.
    pub records: u64,
    /// Event records written by this run.
    pub events: u64,
    /// Blobs written by this run.
    pub blobs: u64,
    /// Their bytes (encrypted).
    pub blob_bytes: u64,
    /// Screen captures stored.
    pub screens: u64,
    /// Webcam frames analysed.
    pub camera_frames: u64,
    /// Speech segments heard.
    pub speech_segments: u64,
    /// Answers saved.
    pub answers: u64,
    /// Checkpoints signed on the way (the final one not counted).
    pub checkpoints: u64,
    /// Submitted.
    pub submitted: bool,
    /// Records the backend's newest receipt covers (online sessions).
    pub cosigned_size: u64,
    /// Why the last upload did not finish, if it did not (the session is synced later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_error: Option<String>,
}
