//! The built-in presets. Each is a complete policy file users can read and
//! copy (`policies/presets/*.toml`); a policy file may name one and override
//! only what it changes.

/// Preset names, strictest first.
pub const NAMES: [&str; 4] = ["strict", "standard", "lenient", "practice"];

const TEXTS: [&str; 4] = [
    include_str!("../../../policies/presets/strict.toml"),
    include_str!("../../../policies/presets/standard.toml"),
    include_str!("../../../policies/presets/lenient.toml"),
    include_str!("../../../policies/presets/practice.toml"),
];

/// The text of a preset by name.
pub fn text(name: &str) -> Option<&'static str> {
    NAMES.iter().position(|n| *n == name).map(|i| TEXTS[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Severity};

    #[test]
    fn every_preset_is_a_complete_valid_policy() {
        for name in NAMES {
            let policy =
                crate::parse(text(name).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(policy.preset.is_none());
            assert!(policy.face.enabled && policy.voice.enabled, "{name}");
        }
    }

    #[test]
    fn every_preset_bounds_an_evidence_file_above_what_its_capture_makes() {
        for name in NAMES {
            let policy = crate::parse(text(name).unwrap()).unwrap();
            let bound = policy.max_blob_bytes();
            // A raw 1080p webcam frame fits; nothing near the backend's 64 MiB ceiling.
            assert!(bound > 1920 * 1080 * 3, "{name}: {bound}");
            assert!(bound < 32 << 20, "{name}: {bound}");
        }
    }

    #[test]
    fn presets_differ_in_the_expected_direction() {
        let strict = crate::parse(text("strict").unwrap()).unwrap();
        let standard = crate::parse(text("standard").unwrap()).unwrap();
        let practice = crate::parse(text("practice").unwrap()).unwrap();
        assert!(strict.face.no_face.after_seconds < standard.face.no_face.after_seconds);
        assert!(!strict.network.offline_allowed && standard.network.offline_allowed);
        assert!(strict.processes.block_terminals && !standard.processes.block_terminals);
        // Practice never blocks, submits or keeps media.
        let rules = [
            &practice.face.no_face,
            &practice.face.virtual_camera,
            &practice.voice.speech,
            &practice.processes.running_at_start,
            &practice.remote_session.detected,
            &practice.remote_session.screen_sharing,
            &practice.displays.too_many,
        ];
        for r in rules {
            assert!(matches!(r.action, Action::Log | Action::Warn), "{r:?}");
            assert!(r.severity <= Severity::Low);
        }
        assert!(!practice.screen.enabled);
    }
}
