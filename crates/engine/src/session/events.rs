//! What goes into a session (commands, the ones a caller waits on with a
//! reply of their own) and what comes out (events for the candidate's
//! screen: a drop-oldest stream, never how a caller learns its result).

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::time::Duration;

use paraakh_evidence::Severity;
use serde::Serialize;

use super::rules::Observation;
use super::typing::TypingSample;

/// Where a command's outcome goes.
pub type Reply<T> = SyncSender<Result<T, CommandError>>;

/// Why a command was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", content = "message", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CommandError {
    /// The request itself is wrong (an answer too large, a question id
    /// that is not one): refused, and the exam goes on.
    #[error("{0}")]
    Refused(String),
    /// The session has ended (submitted, unlocked, closed, or stopped by an error).
    #[error("the exam session has ended")]
    Ended,
    /// The session did not answer within its patience (a disk that hangs).
    #[error("the exam session did not answer in time; try again")]
    Timeout,
}

/// What a submission made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Submitted {
    /// The submission record.
    pub seq: u64,
    /// The answers it names.
    pub answers: usize,
}

/// How long a caller waits for a command's answer.
pub const COMMAND_PATIENCE: Duration = Duration::from_secs(10);

/// Sends a command made with its reply channel and waits for the answer.
fn ask<T>(
    commands: &Sender<Command>,
    make: impl FnOnce(Reply<T>) -> Command,
) -> Result<T, CommandError> {
    let (tx, rx): (Reply<T>, Receiver<_>) = std::sync::mpsc::sync_channel(1);
    commands.send(make(tx)).map_err(|_| CommandError::Ended)?;
    match rx.recv_timeout(COMMAND_PATIENCE) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(CommandError::Timeout),
        // The session ended with the command still queued.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(CommandError::Ended),
    }
}

/// Saves an answer; returns its record once it is durable in the log.
pub fn save_answer(
    commands: &Sender<Command>,
    question: &str,
    answer: Vec<u8>,
) -> Result<u64, CommandError> {
    save_typed_answer(commands, question, answer, None)
}

/// Saves an answer with how it was typed since its last save (see
/// [`TypingSample`]); returns its record once it is durable in the log.
pub fn save_typed_answer(
    commands: &Sender<Command>,
    question: &str,
    answer: Vec<u8>,
    typing: Option<TypingSample>,
) -> Result<u64, CommandError> {
    ask(commands, |reply| Command::SaveAnswer {
        question: question.to_owned(),
        answer,
        typing,
        reply: Some(reply),
    })
}

/// Submits; returns the submission record and how many answers it names.
pub fn submit(commands: &Sender<Command>) -> Result<Submitted, CommandError> {
    ask(commands, |reply| Command::Submit { reply: Some(reply) })
}

/// Records a proctor's unlock (the caller checked the code); the session
/// ends after it.
pub fn proctor_unlock(
    commands: &Sender<Command>,
    by: &str,
    reason: &str,
) -> Result<(), CommandError> {
    ask(commands, |reply| Command::ProctorUnlock {
        by: by.to_owned(),
        reason: reason.to_owned(),
        reply: Some(reply),
    })
}

/// Records that a proctor confirmed what held the exam (a new input
/// device; the caller checked the proctor's code); the exam goes on. Asked
/// when nothing holds it, it does nothing.
pub fn confirm_held(commands: &Sender<Command>, by: &str) -> Result<(), CommandError> {
    ask(commands, |reply| Command::ConfirmHeld {
        by: by.to_owned(),
        reply: Some(reply),
    })
}

/// Something the app or a script asks of the session.
#[derive(Debug, Clone)]
pub enum Command {
    /// Autosave of one answer (encrypted to the tenant, durable on return).
    SaveAnswer {
        /// The question's id.
        question: String,
        /// The answer as the exam UI encodes it.
        answer: Vec<u8>,
        /// How it was typed since its last save, when the page measured it.
        typing: Option<TypingSample>,
        /// Its record, or why it was refused.
        reply: Option<Reply<u64>>,
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
    /// A lockdown guard of the app's (keyboard grab, focus guard, copy-out
    /// guard, clipboard clearing) did not start or stopped.
    GuardUnavailable {
        /// Which guard.
        guard: String,
        /// Why.
        reason: String,
    },
    /// The candidate submits: the submission names the last autosave of each question.
    Submit {
        /// The submission.
        reply: Option<Reply<Submitted>>,
    },
    /// A proctor ends the lockdown early with a code the app checked; the
    /// session ends after it.
    ProctorUnlock {
        /// Whose authority (the tenant's code, the centre's), never the code.
        by: String,
        /// Why.
        reason: String,
        /// Once recorded.
        reply: Option<Reply<()>>,
    },
    /// A proctor confirmed what held the exam: it goes on.
    ConfirmHeld {
        /// Whose authority (the tenant's code, the centre's), never the code.
        by: String,
        /// Once recorded.
        reply: Option<Reply<()>>,
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
    /// The exam is held until a proctor confirms: answers are not saved
    /// and the exam cannot be submitted meanwhile (the UI covers it).
    Held {
        /// The input devices that appeared, by name.
        devices: Vec<String>,
    },
    /// A proctor confirmed; the exam goes on.
    Released,
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

#[cfg(test)]
mod tests {
    //! The exam UI (TypeScript) keeps its own copy of the event shapes in
    //! `ui/src/api.ts`. This test writes one example of every event form into
    //! `ui/src/test/engine-events.json` and fails when that file differs from
    //! what the engine serialises; the UI's tests check the same file against
    //! its types and its validator. A change here shows up on both sides.

    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// The fixture the UI's tests read.
    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../ui/src/test/engine-events.json"
    );

    /// Regenerates the fixture; then make ui/src/api.ts (EngineEvent and
    /// ENGINE_EVENT_SCHEMA) match it: `cd ui && npx vitest run
    /// src/events.test.ts && npx tsc --noEmit` says where.
    const REGENERATE: &str = "cargo test -p paraakh-engine --lib session::events";

    /// The form an example shows: its variant and, where a field is optional,
    /// whether it is there. The patterns name every field (no `..`), so a new
    /// variant or field does not compile until it is placed here; give it a
    /// form, list that in `FORMS` and add an example to `examples`.
    fn form(e: &EngineEvent) -> &'static str {
        match e {
            EngineEvent::Started {
                session_id: _,
                resumed: _,
                gap_seconds: None,
                monitors: _,
            } => "started",
            EngineEvent::Started {
                session_id: _,
                resumed: _,
                gap_seconds: Some(_),
                monitors: _,
            } => "started with gap_seconds",
            EngineEvent::Recorded {
                seq: _,
                kind: _,
                severity: _,
                message: _,
            } => "recorded",
            EngineEvent::Warning {
                kind: _,
                text: _,
                severity: _,
            } => "warning",
            EngineEvent::AnswerSaved {
                question: _,
                seq: _,
            } => "answer_saved",
            EngineEvent::Submitted {
                seq: _,
                answers: _,
                how: _,
            } => "submitted",
            EngineEvent::Held { devices: _ } => "held",
            EngineEvent::Released => "released",
            EngineEvent::Uploaded { cosigned_size: _ } => "uploaded",
            EngineEvent::Trouble {
                monitor: _,
                message: _,
            } => "trouble",
            EngineEvent::Ended {
                reason: _,
                records: _,
            } => "ended",
        }
    }

    /// Every form `form` knows; each needs an example.
    const FORMS: &[&str] = &[
        "started",
        "started with gap_seconds",
        "recorded",
        "warning",
        "answer_saved",
        "submitted",
        "held",
        "released",
        "uploaded",
        "trouble",
        "ended",
    ];

    /// One example of every form, with values as a real session sends them.
    fn examples() -> Vec<EngineEvent> {
        vec![
            EngineEvent::Started {
                session_id: "01JZ6Q4M8P2V9R3T5W7X1Y0K4N".into(),
                resumed: false,
                gap_seconds: None,
                monitors: vec![
                    "camera".into(),
                    "microphone".into(),
                    "screen".into(),
                    "processes".into(),
                    "displays".into(),
                ],
            },
            EngineEvent::Started {
                session_id: "01JZ6Q4M8P2V9R3T5W7X1Y0K4N".into(),
                resumed: true,
                gap_seconds: Some(252.5),
                monitors: vec!["camera".into(), "screen".into()],
            },
            EngineEvent::Recorded {
                seq: 17,
                kind: "face_missing".into(),
                severity: Severity::Medium,
                message: "no face in view for 12 s".into(),
            },
            EngineEvent::Warning {
                kind: "face_missing".into(),
                text: "We can't see your face right now.".into(),
                severity: Severity::Low,
            },
            EngineEvent::AnswerSaved {
                question: "q1".into(),
                seq: 18,
            },
            EngineEvent::Submitted {
                seq: 40,
                answers: 4,
                how: "submitted by the candidate".into(),
            },
            EngineEvent::Held {
                devices: vec!["Logitech K380 Keyboard".into()],
            },
            EngineEvent::Released,
            EngineEvent::Uploaded {
                cosigned_size: 4096,
            },
            EngineEvent::Trouble {
                monitor: "camera".into(),
                message: "the camera stopped delivering frames".into(),
            },
            EngineEvent::Ended {
                reason: "submitted".into(),
                records: 43,
            },
        ]
    }

    /// What the fixture holds.
    #[derive(Serialize)]
    struct Fixture {
        about: &'static str,
        severities: [Severity; 5],
        events: Vec<EngineEvent>,
    }

    fn fixture() -> Fixture {
        Fixture {
            about: "Written by crates/engine/src/session/events.rs (tests): every EngineEvent \
                    form as the engine serialises it. Do not edit; regenerate with \
                    PARAAKH_UPDATE_FIXTURES=1 cargo test -p paraakh-engine --lib session::events",
            severities: Severity::ALL,
            events: examples(),
        }
    }

    #[test]
    fn every_form_has_an_example() {
        let shown: Vec<&str> = examples().iter().map(form).collect();
        let unique: BTreeSet<&str> = shown.iter().copied().collect();
        assert_eq!(unique.len(), shown.len(), "one example per form: {shown:?}");
        let known: BTreeSet<&str> = FORMS.iter().copied().collect();
        assert_eq!(unique, known, "FORMS and the examples differ");
    }

    #[test]
    fn the_ui_fixture_is_what_the_engine_sends() {
        paraakh_test_rig::fixture::check_json(
            Path::new(FIXTURE),
            &serde_json::to_value(fixture()).unwrap(),
            REGENERATE,
        );
    }
}
