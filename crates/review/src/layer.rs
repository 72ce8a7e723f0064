//! Which of the policy's integrity layers an event kind belongs to, so a
//! reviewer can filter the timeline by layer. The kinds are the names the
//! engine writes (`paraakh_engine::session::kind::EventKind`; its tests
//! check that every kind has a layer here).

use serde::Serialize;

/// A layer of the policy, or the session's own course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Camera: faces, a blocked camera, looking away.
    Face,
    /// Microphone: speech.
    Voice,
    /// Screen captures.
    Screen,
    /// Developer tools.
    Devtools,
    /// The exam window's focus.
    Focus,
    /// Fullscreen.
    Fullscreen,
    /// Programs.
    Process,
    /// Displays.
    Display,
    /// Virtual machines.
    VirtualMachine,
    /// Remote sessions and screen sharing.
    RemoteSession,
    /// Keyboard shortcuts and the clipboard.
    Keyboard,
    /// Network and the pages the exam may open.
    Network,
    /// The session's course: set-up, breaks, resumes, uploads, the end.
    Session,
    /// A kind this version does not know.
    Other,
}

impl Layer {
    /// Every layer, in the order the report lists them.
    pub const ALL: [Layer; 14] = [
        Layer::Face,
        Layer::Voice,
        Layer::Screen,
        Layer::Devtools,
        Layer::Focus,
        Layer::Fullscreen,
        Layer::Process,
        Layer::Display,
        Layer::VirtualMachine,
        Layer::RemoteSession,
        Layer::Keyboard,
        Layer::Network,
        Layer::Session,
        Layer::Other,
    ];

    /// The name in JSON and in the page's filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Face => "face",
            Layer::Voice => "voice",
            Layer::Screen => "screen",
            Layer::Devtools => "devtools",
            Layer::Focus => "focus",
            Layer::Fullscreen => "fullscreen",
            Layer::Process => "process",
            Layer::Display => "display",
            Layer::VirtualMachine => "virtual_machine",
            Layer::RemoteSession => "remote_session",
            Layer::Keyboard => "keyboard",
            Layer::Network => "network",
            Layer::Session => "session",
            Layer::Other => "other",
        }
    }

    /// In words, for the page.
    pub fn label(self) -> &'static str {
        match self {
            Layer::Face => "Camera (face)",
            Layer::Voice => "Microphone (voice)",
            Layer::Screen => "Screen",
            Layer::Devtools => "Developer tools",
            Layer::Focus => "Window focus",
            Layer::Fullscreen => "Fullscreen",
            Layer::Process => "Programs",
            Layer::Display => "Displays",
            Layer::VirtualMachine => "Virtual machine",
            Layer::RemoteSession => "Remote access",
            Layer::Keyboard => "Keyboard and clipboard",
            Layer::Network => "Network and pages",
            Layer::Session => "Session",
            Layer::Other => "Other",
        }
    }
}

/// The layer of an event kind; `monitor` is the monitor a
/// `monitor_unavailable` or `monitor_trouble` record names.
pub fn of(kind: &str, monitor: Option<&str>) -> Layer {
    match kind {
        "no_face"
        | "multiple_faces"
        | "camera_blocked"
        | "looking_away"
        | "no_face_ended"
        | "multiple_faces_ended"
        | "camera_blocked_ended"
        | "looking_away_ended" => Layer::Face,
        "speech" => Layer::Voice,
        "devtools_attempt" => Layer::Devtools,
        "focus_lost" => Layer::Focus,
        "fullscreen_exit" => Layer::Fullscreen,
        "prohibited_program" => Layer::Process,
        "displays_changed" => Layer::Display,
        "virtual_machine" => Layer::VirtualMachine,
        "remote_session" | "screen_sharing" => Layer::RemoteSession,
        "print_screen" | "blocked_shortcut" | "copy_blocked" | "synthetic_input"
        | "input_device_added" | "machine_typing" | "typing_profile" => Layer::Keyboard,
        "page_blocked" => Layer::Network,
        "monitor_unavailable" | "monitor_trouble" => match monitor {
            Some("camera") => Layer::Face,
            Some("microphone") => Layer::Voice,
            Some("screen") => Layer::Screen,
            Some("processes") => Layer::Process,
            Some("displays") => Layer::Display,
            Some("input devices") => Layer::Keyboard,
            _ => Layer::Session,
        },
        "statement_unavailable"
        | "session_resumed"
        | "monitoring_gap"
        | "consent_given"
        | "environment"
        | "monitoring_started"
        | "guard_unavailable"
        | "break_started"
        | "break_ended"
        | "proctor_unlock"
        | "exam_held"
        | "exam_released"
        | "receipt_refused"
        | "upload_interrupted"
        | "upload_resumed"
        | "storage_low"
        | "storage_low_ended"
        | "auto_submitted"
        | "session_ended" => Layer::Session,
        _ => Layer::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_serde_agrees() {
        let mut seen = std::collections::BTreeSet::new();
        for layer in Layer::ALL {
            assert!(seen.insert(layer.as_str()));
            assert_eq!(serde_json::to_value(layer).unwrap(), layer.as_str());
        }
    }

    #[test]
    fn a_monitor_record_belongs_to_the_monitor_it_names() {
        assert_eq!(of("monitor_unavailable", Some("camera")), Layer::Face);
        assert_eq!(of("monitor_trouble", Some("microphone")), Layer::Voice);
        assert_eq!(of("monitor_unavailable", None), Layer::Session);
        assert_eq!(of("something_new", None), Layer::Other);
    }
}
