//! Every kind of event record the session writes, as one enum: the rules'
//! tables (the candidate's warning, a lasting condition's end) match it
//! exhaustively, so a new kind cannot go without its words. The names are
//! the `kind` strings in the evidence log (`Event::kind`) and in
//! `EngineEvent::Recorded` / `Warning`: reviewers' tools and tests read
//! them, so a name never changes.

use paraakh_evidence::verify::environment as setup;
use serde::{Deserialize, Serialize};

/// The kind of an event record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    // Violations, from the policy's rules.
    /// No face in the camera picture, for long enough.
    NoFace,
    /// More than one face in the camera picture, for long enough.
    MultipleFaces,
    /// The camera picture covered, dark or frozen, for long enough.
    CameraBlocked,
    /// The candidate's head turned away, for long enough.
    LookingAway,
    /// Speech, as long as the policy's threshold or longer.
    Speech,
    /// A prohibited program was running or started.
    ProhibitedProgram,
    /// The displays changed (hot plug, or more than allowed).
    DisplaysChanged,
    /// The exam window lost the focus.
    FocusLost,
    /// The exam window left fullscreen.
    FullscreenExit,
    /// Developer tools were asked for.
    DevtoolsAttempt,
    /// Print Screen was pressed.
    PrintScreen,
    /// A shortcut the keyboard grab kept from the desktop.
    BlockedShortcut,
    /// The screen was being shared.
    ScreenSharing,
    /// A remote session was found.
    RemoteSession,
    /// Keys, clicks or motion that no hand made (one episode).
    SyntheticInput,
    /// A keyboard or pointer connected during the exam.
    InputDeviceAdded,
    /// Typing no person types, in one answer (for the reviewer).
    MachineTyping,
    /// How one answer was typed (at the submission).
    TypingProfile,

    // The end of a lasting condition that was reported (info).
    /// [`EventKind::NoFace`] is over.
    NoFaceEnded,
    /// [`EventKind::MultipleFaces`] is over.
    MultipleFacesEnded,
    /// [`EventKind::CameraBlocked`] is over.
    CameraBlockedEnded,
    /// [`EventKind::LookingAway`] is over.
    LookingAwayEnded,

    // Context for the reviewer (info, never a warning).
    /// The exam page tried to open a site it may not; it stayed.
    PageBlocked,
    /// Text copied in the exam was kept off a desktop selection.
    CopyBlocked,

    // The session's own course.
    /// The backend could not confirm this computer at the start.
    StatementUnavailable,
    /// The session continued after the client stopped unexpectedly.
    SessionResumed,
    /// Nothing was watched for a while: the computer slept, or the
    /// program was stopped while the computer ran on.
    MonitoringGap,
    /// The candidate agreed to what is captured.
    ConsentGiven,
    /// How the machine was set up (start of every segment).
    Environment,
    /// What is watched from here on.
    MonitoringStarted,
    /// A monitor that did not start or stopped.
    MonitorUnavailable,
    /// A lockdown guard that did not start or stopped.
    GuardUnavailable,
    /// A monitor's passing trouble (at most one a minute per monitor).
    MonitorTrouble,
    /// An allowed break started.
    BreakStarted,
    /// An allowed break ended.
    BreakEnded,
    /// A proctor unlocked (ended) the exam with the proctor code.
    ProctorUnlock,
    /// The exam is held until a proctor confirms (a new input device).
    ExamHeld,
    /// A proctor confirmed; the exam goes on.
    ExamReleased,
    /// A receipt from the backend was not accepted.
    ReceiptRefused,
    /// Uploading stopped for now (the evidence is kept).
    UploadInterrupted,
    /// Uploading works again.
    UploadResumed,
    /// The disk is filling: some evidence is no longer stored.
    StorageLow,
    /// Disk space is back (or the session ended): what was not stored.
    StorageLowEnded,
    /// The policy submitted the exam.
    AutoSubmitted,
    /// The session ended.
    SessionEnded,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 45] = [
        Self::NoFace,
        Self::MultipleFaces,
        Self::CameraBlocked,
        Self::LookingAway,
        Self::Speech,
        Self::ProhibitedProgram,
        Self::DisplaysChanged,
        Self::FocusLost,
        Self::FullscreenExit,
        Self::DevtoolsAttempt,
        Self::PrintScreen,
        Self::BlockedShortcut,
        Self::ScreenSharing,
        Self::RemoteSession,
        Self::SyntheticInput,
        Self::InputDeviceAdded,
        Self::MachineTyping,
        Self::TypingProfile,
        Self::NoFaceEnded,
        Self::MultipleFacesEnded,
        Self::CameraBlockedEnded,
        Self::LookingAwayEnded,
        Self::PageBlocked,
        Self::CopyBlocked,
        Self::StatementUnavailable,
        Self::SessionResumed,
        Self::MonitoringGap,
        Self::ConsentGiven,
        Self::Environment,
        Self::MonitoringStarted,
        Self::MonitorUnavailable,
        Self::GuardUnavailable,
        Self::MonitorTrouble,
        Self::BreakStarted,
        Self::BreakEnded,
        Self::ProctorUnlock,
        Self::ExamHeld,
        Self::ExamReleased,
        Self::ReceiptRefused,
        Self::UploadInterrupted,
        Self::UploadResumed,
        Self::StorageLow,
        Self::StorageLowEnded,
        Self::AutoSubmitted,
        Self::SessionEnded,
    ];

    /// The name in the evidence log (`no_face`, `session_ended`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoFace => "no_face",
            Self::MultipleFaces => "multiple_faces",
            Self::CameraBlocked => "camera_blocked",
            Self::LookingAway => "looking_away",
            Self::Speech => "speech",
            Self::ProhibitedProgram => "prohibited_program",
            Self::DisplaysChanged => "displays_changed",
            Self::FocusLost => "focus_lost",
            Self::FullscreenExit => "fullscreen_exit",
            Self::DevtoolsAttempt => "devtools_attempt",
            Self::PrintScreen => "print_screen",
            Self::BlockedShortcut => "blocked_shortcut",
            Self::ScreenSharing => "screen_sharing",
            Self::RemoteSession => "remote_session",
            Self::SyntheticInput => "synthetic_input",
            Self::InputDeviceAdded => "input_device_added",
            Self::MachineTyping => "machine_typing",
            Self::TypingProfile => "typing_profile",
            Self::NoFaceEnded => "no_face_ended",
            Self::MultipleFacesEnded => "multiple_faces_ended",
            Self::CameraBlockedEnded => "camera_blocked_ended",
            Self::LookingAwayEnded => "looking_away_ended",
            Self::PageBlocked => "page_blocked",
            Self::CopyBlocked => "copy_blocked",
            Self::StatementUnavailable => "statement_unavailable",
            Self::SessionResumed => "session_resumed",
            Self::MonitoringGap => setup::MONITORING_GAP,
            Self::ConsentGiven => "consent_given",
            // The verifier reads these: their names live with it.
            Self::Environment => setup::ENVIRONMENT,
            Self::MonitoringStarted => setup::MONITORING_STARTED,
            Self::MonitorUnavailable => setup::MONITOR_UNAVAILABLE,
            Self::GuardUnavailable => setup::GUARD_UNAVAILABLE,
            Self::MonitorTrouble => "monitor_trouble",
            Self::BreakStarted => "break_started",
            Self::BreakEnded => "break_ended",
            Self::ProctorUnlock => "proctor_unlock",
            Self::ExamHeld => "exam_held",
            Self::ExamReleased => "exam_released",
            Self::ReceiptRefused => "receipt_refused",
            Self::UploadInterrupted => "upload_interrupted",
            Self::UploadResumed => "upload_resumed",
            Self::StorageLow => "storage_low",
            Self::StorageLowEnded => "storage_low_ended",
            Self::AutoSubmitted => "auto_submitted",
            Self::SessionEnded => "session_ended",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for EventKind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for EventKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names as the log has always had them: changing one would break
    /// every reviewer's tool and every recorded session's reading.
    const NAMES: [&str; 45] = [
        "no_face",
        "multiple_faces",
        "camera_blocked",
        "looking_away",
        "speech",
        "prohibited_program",
        "displays_changed",
        "focus_lost",
        "fullscreen_exit",
        "devtools_attempt",
        "print_screen",
        "blocked_shortcut",
        "screen_sharing",
        "remote_session",
        "synthetic_input",
        "input_device_added",
        "machine_typing",
        "typing_profile",
        "no_face_ended",
        "multiple_faces_ended",
        "camera_blocked_ended",
        "looking_away_ended",
        "page_blocked",
        "copy_blocked",
        "statement_unavailable",
        "session_resumed",
        "monitoring_gap",
        "consent_given",
        "environment",
        "monitoring_started",
        "monitor_unavailable",
        "guard_unavailable",
        "monitor_trouble",
        "break_started",
        "break_ended",
        "proctor_unlock",
        "exam_held",
        "exam_released",
        "receipt_refused",
        "upload_interrupted",
        "upload_resumed",
        "storage_low",
        "storage_low_ended",
        "auto_submitted",
        "session_ended",
    ];

    #[test]
    fn every_kind_keeps_its_log_name_and_serde_agrees() {
        for (kind, name) in EventKind::ALL.into_iter().zip(NAMES) {
            assert_eq!(kind.as_str(), name);
            assert_eq!(kind.to_string(), name);
            assert_eq!(serde_json::to_value(kind).unwrap(), name);
            let back: EventKind = serde_json::from_value(name.into()).unwrap();
            assert_eq!(back, kind);
        }
        let unique: std::collections::BTreeSet<_> = NAMES.into_iter().collect();
        assert_eq!(unique.len(), NAMES.len(), "names are unique");
    }

    /// The reviewer's report files every kind under a layer of the policy
    /// (or the session's course): none falls under "other".
    #[test]
    fn every_kind_has_a_layer_in_the_report() {
        use paraakh_review::layer::{Layer, of};
        for kind in EventKind::ALL {
            assert_ne!(of(kind.as_str(), None), Layer::Other, "{kind}");
        }
    }

    #[test]
    fn all_lists_every_kind_once() {
        // A new variant must be added to ALL (and NAMES) or this fails:
        // the match below is exhaustive and counts the declaration order.
        for (i, kind) in EventKind::ALL.into_iter().enumerate() {
            let position = match kind {
                EventKind::NoFace => 0,
                EventKind::MultipleFaces => 1,
                EventKind::CameraBlocked => 2,
                EventKind::LookingAway => 3,
                EventKind::Speech => 4,
                EventKind::ProhibitedProgram => 5,
                EventKind::DisplaysChanged => 6,
                EventKind::FocusLost => 7,
                EventKind::FullscreenExit => 8,
                EventKind::DevtoolsAttempt => 9,
                EventKind::PrintScreen => 10,
                EventKind::BlockedShortcut => 11,
                EventKind::ScreenSharing => 12,
                EventKind::RemoteSession => 13,
                EventKind::SyntheticInput => 14,
                EventKind::InputDeviceAdded => 15,
                EventKind::MachineTyping => 16,
                EventKind::TypingProfile => 17,
                EventKind::NoFaceEnded => 18,
                EventKind::MultipleFacesEnded => 19,
                EventKind::CameraBlockedEnded => 20,
                EventKind::LookingAwayEnded => 21,
                EventKind::PageBlocked => 22,
                EventKind::CopyBlocked => 23,
                EventKind::StatementUnavailable => 24,
                EventKind::SessionResumed => 25,
                EventKind::MonitoringGap => 26,
                EventKind::ConsentGiven => 27,
                EventKind::Environment => 28,
                EventKind::MonitoringStarted => 29,
                EventKind::MonitorUnavailable => 30,
                EventKind::GuardUnavailable => 31,
                EventKind::MonitorTrouble => 32,
                EventKind::BreakStarted => 33,
                EventKind::BreakEnded => 34,
                EventKind::ProctorUnlock => 35,
                EventKind::ExamHeld => 36,
                EventKind::ExamReleased => 37,
                EventKind::ReceiptRefused => 38,
                EventKind::UploadInterrupted => 39,
                EventKind::UploadResumed => 40,
                EventKind::StorageLow => 41,
                EventKind::StorageLowEnded => 42,
                EventKind::AutoSubmitted => 43,
                EventKind::SessionEnded => 44,
            };
            assert_eq!(position, i, "{kind}");
        }
    }
}
