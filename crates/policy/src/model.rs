//! The effective exam policy: every integrity layer, its thresholds, and the
//! severity and action of each violation it raises.

use serde::Serialize;

/// How serious a violation is: the evidence's own severities (a rule
/// names the severity its records are written with).
pub use paraakh_evidence::record::Severity;

/// What the client does when a violation happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Record it only.
    Log,
    /// Record it and tell the candidate.
    Warn,
    /// Record it, warn, and attach evidence (webcam image, audio clip or screen capture).
    Snapshot,
    /// Refuse to start the exam until it is fixed (checks made before the start only).
    BlockStart,
    /// Warn, and submit the exam after `occurrences` times.
    AutoSubmit,
}

impl Action {
    /// Every action with its name.
    pub const NAMES: [(Action, &'static str); 5] = [
        (Action::Log, "log"),
        (Action::Warn, "warn"),
        (Action::Snapshot, "snapshot"),
        (Action::BlockStart, "block_start"),
        (Action::AutoSubmit, "auto_submit"),
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("log", |(_, n)| n)
    }
}

/// How sure a virtual-machine detection must be before it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// One weak signal.
    Low,
    /// Several signals, or one strong one.
    Medium,
    /// Signals that real hardware does not show.
    High,
}

/// One violation: whether it is checked, after how long, how serious, what to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Whether this violation is checked (the layer must be on too).
    pub enabled: bool,
    /// How long the condition must last before it counts (for conditions that last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_seconds: Option<f64>,
    /// Severity recorded.
    pub severity: Severity,
    /// Action taken.
    pub action: Action,
    /// For `auto_submit`: how many occurrences submit the exam.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrences: Option<u32>,
}

/// Evidence retention on the machine (per tenant).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retention {
    /// Days local evidence is kept after a receipt covers all of it.
    pub keep_after_receipt_days: u32,
    /// Days after which un-synced evidence is reported to the proctor (it is never purged silently).
    pub alert_unsynced_after_days: u32,
}

/// 1. Webcam and face.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaceLayer {
    /// Layer on.
    pub enabled: bool,
    /// No face in view.
    pub no_face: Rule,
    /// More than one face in view.
    pub multiple_faces: Rule,
    /// The camera is covered, black or frozen.
    pub camera_blocked: Rule,
    /// The camera is a virtual one (checked before the start).
    pub virtual_camera: Rule,
    /// The head is turned away.
    pub looking_away: Rule,
}

/// 2. Voice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoiceLayer {
    /// Layer on.
    pub enabled: bool,
    /// Speech heard.
    pub speech: Rule,
    /// Longest audio clip kept as evidence, in seconds.
    pub clip_seconds: f64,
    /// Audio kept from before the speech was detected, in seconds.
    pub pre_roll_seconds: f64,
}

/// 3. Screen recording (opt-in).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreenLayer {
    /// Layer on.
    pub enabled: bool,
    /// Periodic capture interval.
    pub interval_seconds: f64,
    /// An unchanged screen is still captured this often.
    pub keyframe_seconds: f64,
    /// Fraction of the downscaled image that must change for a new capture.
    pub change_threshold: f64,
    /// Captures are downscaled to this width.
    pub max_width: u32,
}

/// 4. Developer tools and debugging.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DevtoolsLayer {
    /// Layer on.
    pub enabled: bool,
    /// Developer tools opened, or another debugging attempt (F12, view-source, ...).
    pub attempt: Rule,
}

/// 5. Focus loss, window and tab switching.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FocusLayer {
    /// Layer on.
    pub enabled: bool,
    /// The exam window lost focus.
    pub lost: Rule,
}

/// 6. Leaving fullscreen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FullscreenLayer {
    /// Layer on.
    pub enabled: bool,
    /// The exam window left fullscreen.
    pub exit: Rule,
}

/// 7. Prohibited processes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessLayer {
    /// Layer on.
    pub enabled: bool,
    /// Whether the built-in blocklist applies.
    pub use_default_blocklist: bool,
    /// More programs to treat as prohibited.
    pub block: Vec<String>,
    /// Programs to leave alone.
    pub allow: Vec<String>,
    /// Treat terminals as prohibited.
    pub block_terminals: bool,
    /// A prohibited program runs when the exam is about to start.
    pub running_at_start: Rule,
    /// A prohibited program starts during the exam.
    pub started_during_exam: Rule,
    /// Kill a prohibited program started during the exam.
    pub kill: bool,
}

/// 8. Displays.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisplayLayer {
    /// Layer on.
    pub enabled: bool,
    /// Most displays allowed.
    pub max: u32,
    /// More displays than allowed (checked before the start and during the exam).
    pub too_many: Rule,
    /// A display connected or removed during the exam.
    pub hot_plug: Rule,
}

/// 9. Virtual machines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VirtualMachineLayer {
    /// Layer on.
    pub enabled: bool,
    /// Detections below this confidence are ignored.
    pub min_confidence: Confidence,
    /// Running in a virtual machine (checked before the start).
    pub detected: Rule,
}

/// 10. Remote sessions and screen sharing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteSessionLayer {
    /// Layer on.
    pub enabled: bool,
    /// A remote session (SSH/X forwarding, RDP, VNC) is active.
    pub detected: Rule,
    /// The screen is being shared or streamed.
    pub screen_sharing: Rule,
}

/// What an exam does on a Wayland desktop, where no program can keep the
/// window manager's shortcuts (Alt+Tab, Super) from working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaylandMode {
    /// Refuse to start: the candidate logs in to an X11 session (or a kiosk
    /// session set up by the installer).
    Refuse,
    /// Start, with focus-loss tracking only: leaving the exam is recorded,
    /// not prevented.
    FocusOnly,
}

/// 11. Clipboard, print screen and keyboard shortcuts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyboardLayer {
    /// Layer on.
    pub enabled: bool,
    /// Clear the clipboard at the start and the end.
    pub clear_clipboard: bool,
    /// Stop copying out of the exam.
    pub block_copy_out: bool,
    /// Print Screen pressed.
    pub print_screen: Rule,
    /// A blocked shortcut pressed (Alt+Tab, Super, ...).
    pub blocked_shortcut: Rule,
    /// Keys, clicks or pointer motion that no hand made (XTEST, a virtual
    /// input device): one record per episode.
    pub synthetic_input: Rule,
    /// A keyboard or pointer that appeared during the exam.
    pub input_device_added: Rule,
    /// Such a device holds the exam until a proctor confirms it with the
    /// proctor code (optional, off: policies from before keep their hash).
    #[serde(skip_serializing_if = "is_false")]
    pub hold_on_new_device: bool,
    /// Typing no person types (too fast, too regular, a long text at
    /// once): information for the reviewer, never a warning or a penalty.
    pub machine_typing: Rule,
    /// Typing faster than this over 20 keys is not a person's.
    pub typing_max_chars_per_second: f64,
    /// Gaps between keys that vary less than this (standard deviation
    /// over mean) over 20 keys are not a person's.
    pub typing_min_interval_spread: f64,
    /// On a Wayland desktop.
    pub wayland: WaylandMode,
}

/// 12. Network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkLayer {
    /// Layer on.
    pub enabled: bool,
    /// The exam may run offline and sync later.
    pub offline_allowed: bool,
    /// For an online exam: the origins its page may load.
    pub allowed_origins: Vec<String>,
}

/// The proctor's access to a running exam.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProctorSettings {
    /// The tenant's proctor code as an Argon2id PHC hash (emergency unlock,
    /// resuming); a proctoring centre's own code is accepted as well.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unlock_code: Option<String>,
    /// An interrupted exam goes on only after a proctor types the code.
    pub resume_needs_code: bool,
    /// With `resume_needs_code`: an interruption shorter than this many
    /// minutes (a power blip, a restart) resumes without the code; 0: the
    /// code is always asked for.
    #[serde(skip_serializing_if = "is_zero")]
    pub resume_free_minutes: u32,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl ProctorSettings {
    /// Nothing set: the policy's canonical form (and hash) leaves it out,
    /// so policies from before this section keep their hash.
    pub fn is_unset(&self) -> bool {
        *self == Self::default()
    }
}

/// A complete, validated exam policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    /// A name for people.
    pub name: String,
    /// The preset it was built on, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Evidence retention.
    pub retention: Retention,
    /// 1. Webcam and face.
    pub face: FaceLayer,
    /// 2. Voice.
    pub voice: VoiceLayer,
    /// 3. Screen recording.
    pub screen: ScreenLayer,
    /// 4. Developer tools and debugging attempts.
    pub devtools: DevtoolsLayer,
    /// 5. Focus loss, window and tab switching.
    pub focus: FocusLayer,
    /// 6. Leaving fullscreen.
    pub fullscreen: FullscreenLayer,
    /// 7. Prohibited processes.
    pub processes: ProcessLayer,
    /// 8. Displays.
    pub displays: DisplayLayer,
    /// 9. Virtual machines.
    pub virtual_machine: VirtualMachineLayer,
    /// 10. Remote sessions and screen sharing.
    pub remote_session: RemoteSessionLayer,
    /// 11. Clipboard, print screen and shortcuts.
    pub keyboard: KeyboardLayer,
    /// 12. Network.
    pub network: NetworkLayer,
    /// The proctor's access (optional section).
    #[serde(skip_serializing_if = "ProctorSettings::is_unset")]
    pub proctor: ProctorSettings,
    /// The oldest client the tenant lets take this exam (optional: policies
    /// written before it existed keep their hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_client_version: Option<crate::version::ClientVersion>,
}

impl Policy {
    /// The canonical JSON form: what the policy hash is computed over.
    pub fn canonical_json(&self) -> Vec<u8> {
        // Serialising plain structs of strings and numbers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The largest evidence file (webcam snapshot, voice clip, screen
    /// capture) a client may record under this policy, encrypted: an upper
    /// bound from the policy's settings (uncompressed pixels and samples,
    /// so any encoding fits), which a backend holds uploads to.
    pub fn max_blob_bytes(&self) -> u64 {
        const ENCRYPTION_AND_SLACK: u64 = 1 << 20;
        // A camera frame up to 1920×1080, 3 bytes a pixel.
        let snapshot = 1920 * 1080 * 3;
        // A screen capture scaled to max_width, up to twice as tall (portrait), 3 bytes a pixel.
        let width = u64::from(self.screen.max_width.max(1));
        let screen = if self.screen.enabled {
            width * width * 2 * 3
        } else {
            0
        };
        // A voice clip with its pre-roll, as 16 kHz 16-bit samples.
        let seconds = (self.voice.clip_seconds + self.voice.pre_roll_seconds).max(0.0);
        let voice = if self.voice.enabled {
            (seconds.min(3600.0) * 16_000.0 * 2.0) as u64
        } else {
            0
        };
        snapshot.max(screen).max(voice) + ENCRYPTION_AND_SLACK
    }

    /// SHA-256 of [`Policy::canonical_json`]: the one policy hash, the same
    /// in the exam package's manifest and in every session header, however
    /// the policy was written or distributed (TOML text, signed envelope).
    pub fn sha256(&self) -> [u8; 32] {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.canonical_json());
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        out
    }
}
