//! From policy text to a validated [`Policy`]: TOML syntax, preset and
//! overrides merged, every setting read and range-checked, then the rules
//! that relate settings to each other. Every problem is reported at once.

use std::collections::BTreeSet;

use toml::{Table, Value};

use crate::fields::{Ctx, Problem, join};
use crate::model::{
    Action, Confidence, DevtoolsLayer, DisplayLayer, FaceLayer, FocusLayer, FullscreenLayer,
    KeyboardLayer, NetworkLayer, Policy, ProcessLayer, ProctorSettings, RemoteSessionLayer,
    Retention, Rule, ScreenLayer, Severity, VirtualMachineLayer, VoiceLayer, WaylandMode,
};
use crate::presets;
use crate::version::ClientVersion;

/// The `format` value of this version of the policy format.
pub const FORMAT_V1: &str = "paraakh-policy/1";
/// Largest policy file accepted.
pub const MAX_POLICY_BYTES: usize = 256 << 10;

/// Why a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file is larger than any policy needs to be.
    #[error("the policy is {0} bytes; policies are limited to 256 KiB")]
    TooLarge(usize),
    /// The text is not valid TOML.
    #[error("the policy is not valid TOML: {0}")]
    Syntax(String),
    /// The policy is valid TOML but not a valid policy; every problem is listed.
    #[error("the policy has {} problem{}:\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, list(.0))]
    Invalid(Vec<Problem>),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A validated policy and the settings its file set itself (not from the preset).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The effective policy.
    pub policy: Policy,
    /// Dotted paths of the settings the file gave (all of them without a preset).
    pub set_by_file: BTreeSet<String>,
}

/// Parses and validates a policy.
pub fn parse(text: &str) -> Result<Policy, PolicyError> {
    load(text).map(|l| l.policy)
}

/// Parses and validates a policy, remembering which settings the file set.
pub fn load(text: &str) -> Result<Loaded, PolicyError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::TooLarge(text.len()));
    }
    let mut file: Table = text
        .parse()
        .map_err(|e: toml::de::Error| PolicyError::Syntax(e.to_string()))?;
    let mut ctx = Ctx::default();
    let preset = match file.remove("preset") {
        None => None,
        Some(Value::String(name)) => {
            if presets::text(&name).is_none() {
                ctx.problem(
                    "preset",
                    format!(
                        "{name:?} is not a preset; the presets are {}",
                        presets::NAMES.join(", ")
                    ),
                );
            }
            Some(name)
        }
        Some(_) => {
            ctx.problem("preset", "must be the name of a preset, as a string");
            None
        }
    };
    let mut set_by_file = BTreeSet::new();
    collect_paths(&file, "", &mut set_by_file);
    let merged = match preset.as_deref().and_then(presets::text) {
        Some(base_text) => {
            let mut base: Table = base_text
                .parse()
                .map_err(|e: toml::de::Error| PolicyError::Syntax(format!("preset: {e}")))?;
            merge(&mut base, file);
            base
        }
        None => file,
    };
    let policy = read_policy(&mut ctx, &merged, preset);
    if ctx.problems.is_empty() {
        Ok(Loaded {
            policy,
            set_by_file,
        })
    } else {
        Err(PolicyError::Invalid(ctx.problems))
    }
}

fn collect_paths(t: &Table, path: &str, out: &mut BTreeSet<String>) {
    for (k, v) in t {
        let p = join(path, k);
        match v {
            Value::Table(inner) => collect_paths(inner, &p, out),
            _ => {
                out.insert(p);
            }
        }
    }
}

/// Overrides replace preset values key by key; tables merge recursively.
fn merge(base: &mut Table, over: Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// When a violation can be checked, which decides the actions that make sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    /// Only before the exam starts.
    BeforeStart,
    /// Before the start and during the exam.
    Both,
    /// Only during the exam.
    During,
}

struct RuleSpec {
    /// Range of `after_seconds`, for conditions that last.
    lasting: Option<RangeSecs>,
    when: When,
}

type RangeSecs = std::ops::RangeInclusive<f64>;

const fn lasting(lo: f64, hi: f64, when: When) -> RuleSpec {
    RuleSpec {
        lasting: Some(lo..=hi),
        when,
    }
}

const fn instant(when: When) -> RuleSpec {
    RuleSpec {
        lasting: None,
        when,
    }
}

fn rule(ctx: &mut Ctx, t: &Table, parent: &str, key: &str, spec: RuleSpec, extra: &[&str]) -> Rule {
    let path = join(parent, key);
    let Some(r) = ctx.table(t, parent, key) else {
        return placeholder();
    };
    let mut known = vec!["enabled", "severity", "action", "occurrences"];
    if spec.lasting.is_some() {
        known.push("after_seconds");
    }
    known.extend_from_slice(extra);
    ctx.unknown(r, &path, &known);
    let enabled = if r.contains_key("enabled") {
        ctx.bool(r, &path, "enabled")
    } else {
        true
    };
    let after_seconds = spec
        .lasting
        .map(|range| ctx.number(r, &path, "after_seconds", range));
    let severity = ctx
        .choice(
            r,
            &path,
            "severity",
            &Severity::ALL.map(|s| (s, s.as_str())),
        )
        .unwrap_or(Severity::Info);
    let action = ctx
        .choice(r, &path, "action", &Action::NAMES)
        .unwrap_or(Action::Log);
    let occurrences = if action == Action::AutoSubmit {
        Some(ctx.uint(r, &path, "occurrences", 1..=100))
    } else {
        if r.contains_key("occurrences") {
            ctx.problem(
                join(&path, "occurrences"),
                "applies only to action = \"auto_submit\"",
            );
        }
        None
    };
    match (action, spec.when) {
        (Action::BlockStart, When::During) => ctx.problem(
            join(&path, "action"),
            "block_start applies only to checks made before the exam starts; use warn, snapshot or auto_submit",
        ),
        (Action::AutoSubmit, When::BeforeStart) => ctx.problem(
            join(&path, "action"),
            "auto_submit needs an exam in progress, but this is checked only before the start; use block_start or warn",
        ),
        _ => {}
    }
    if action == Action::AutoSubmit && severity < Severity::High {
        ctx.problem(
            join(&path, "severity"),
            format!(
                "auto_submit needs severity high or critical: submitting an exam over a {} event contradicts its severity",
                severity.as_str()
            ),
        );
    }
    Rule {
        enabled,
        after_seconds,
        severity,
        action,
        occurrences,
    }
}

/// A rule added to format 1 after policies were written without it: when
/// missing it is on, medium, logged (the record is there for the reviewer;
/// no warning or capture the candidate was not told of), so an older
/// policy stays valid and keeps its hash.
fn optional_rule(ctx: &mut Ctx, t: &Table, parent: &str, key: &str, when: When) -> Rule {
    if t.contains_key(key) {
        return rule(ctx, t, parent, key, instant(when), &[]);
    }
    Rule {
        enabled: true,
        after_seconds: None,
        severity: Severity::Medium,
        action: Action::Log,
        occurrences: None,
    }
}

fn placeholder() -> Rule {
    Rule {
        enabled: false,
        after_seconds: None,
        severity: Severity::Info,
        action: Action::Log,
        occurrences: None,
    }
}

fn section<'a>(ctx: &mut Ctx, t: &'a Table, key: &str, known: &[&str]) -> Option<&'a Table> {
    let s = ctx.table(t, "", key)?;
    ctx.unknown(s, key, known);
    Some(s)
}

const TOP: &[&str] = &[
    "format",
    "name",
    "retention",
    "face",
    "voice",
    "screen",
    "devtools",
    "focus",
    "fullscreen",
    "processes",
    "displays",
    "virtual_machine",
    "remote_session",
    "keyboard",
    "network",
    "proctor",
    "min_client_version",
];

fn read_policy(ctx: &mut Ctx, t: &Table, preset: Option<String>) -> Policy {
    ctx.unknown(t, "", TOP);
    if let Some(format) = t.get("format") {
        if format.as_str() != Some(FORMAT_V1) {
            ctx.problem(
                "format",
                format!("must be \"{FORMAT_V1}\" (this client reads that version)"),
            );
        }
    } else {
        ctx.problem(
            "format",
            format!("missing: the first line of a policy is format = \"{FORMAT_V1}\""),
        );
    }
    let empty = Table::new();
    let name = ctx.text(t, "", "name", 120);

    let s = section(
        ctx,
        t,
        "retention",
        &["keep_after_receipt_days", "alert_unsynced_after_days"],
    )
    .unwrap_or(&empty);
    let retention = Retention {
        keep_after_receipt_days: ctx.uint(s, "retention", "keep_after_receipt_days", 0..=3650),
        alert_unsynced_after_days: ctx.uint(s, "retention", "alert_unsynced_after_days", 1..=365),
    };

    let p = "face";
    let s = section(
        ctx,
        t,
        p,
        &[
            "enabled",
            "no_face",
            "multiple_faces",
            "camera_blocked",
            "virtual_camera",
            "looking_away",
        ],
    )
    .unwrap_or(&empty);
    let face = FaceLayer {
        enabled: ctx.bool(s, p, "enabled"),
        no_face: rule(ctx, s, p, "no_face", lasting(1.0, 600.0, When::During), &[]),
        multiple_faces: rule(
            ctx,
            s,
            p,
            "multiple_faces",
            lasting(0.5, 600.0, When::During),
            &[],
        ),
        camera_blocked: rule(
            ctx,
            s,
            p,
            "camera_blocked",
            lasting(1.0, 600.0, When::Both),
            &[],
        ),
        virtual_camera: rule(ctx, s, p, "virtual_camera", instant(When::Both), &[]),
        looking_away: rule(
            ctx,
            s,
            p,
            "looking_away",
            lasting(1.0, 120.0, When::During),
            &[],
        ),
    };

    let p = "voice";
    let s = section(
        ctx,
        t,
        p,
        &["enabled", "speech", "clip_seconds", "pre_roll_seconds"],
    )
    .unwrap_or(&empty);
    let voice = VoiceLayer {
        enabled: ctx.bool(s, p, "enabled"),
        speech: rule(ctx, s, p, "speech", lasting(0.5, 60.0, When::During), &[]),
        clip_seconds: ctx.number(s, p, "clip_seconds", 1.0..=120.0),
        pre_roll_seconds: ctx.number(s, p, "pre_roll_seconds", 0.0..=10.0),
    };

    let p = "screen";
    let s = section(
        ctx,
        t,
        p,
        &[
            "enabled",
            "interval_seconds",
            "keyframe_seconds",
            "change_threshold",
            "max_width",
        ],
    )
    .unwrap_or(&empty);
    let screen = ScreenLayer {
        enabled: ctx.bool(s, p, "enabled"),
        interval_seconds: ctx.number(s, p, "interval_seconds", 5.0..=3600.0),
        keyframe_seconds: ctx.number(s, p, "keyframe_seconds", 5.0..=86_400.0),
        change_threshold: ctx.number(s, p, "change_threshold", 0.0..=1.0),
        max_width: ctx.uint(s, p, "max_width", 320..=3840),
    };

    let p = "devtools";
    let s = section(ctx, t, p, &["enabled", "attempt"]).unwrap_or(&empty);
    let devtools = DevtoolsLayer {
        enabled: ctx.bool(s, p, "enabled"),
        attempt: rule(ctx, s, p, "attempt", instant(When::During), &[]),
    };
    let p = "focus";
    let s = section(ctx, t, p, &["enabled", "lost"]).unwrap_or(&empty);
    let focus = FocusLayer {
        enabled: ctx.bool(s, p, "enabled"),
        lost: rule(ctx, s, p, "lost", lasting(0.0, 60.0, When::During), &[]),
    };
    let p = "fullscreen";
    let s = section(ctx, t, p, &["enabled", "exit"]).unwrap_or(&empty);
    let fullscreen = FullscreenLayer {
        enabled: ctx.bool(s, p, "enabled"),
        exit: rule(ctx, s, p, "exit", instant(When::During), &[]),
    };

    let p = "processes";
    let s = section(
        ctx,
        t,
        p,
        &[
            "enabled",
            "use_default_blocklist",
            "block",
            "allow",
            "block_terminals",
            "running_at_start",
            "started_during_exam",
        ],
    )
    .unwrap_or(&empty);
    let started = s.get("started_during_exam").and_then(Value::as_table);
    let kill = match started.and_then(|r| r.get("kill")) {
        Some(Value::Boolean(b)) => *b,
        Some(_) => {
            ctx.problem(
                "processes.started_during_exam.kill",
                "must be true or false",
            );
            false
        }
        None => {
            if started.is_some() {
                ctx.problem(
                    "processes.started_during_exam.kill",
                    "missing: say whether such a program is killed",
                );
            }
            false
        }
    };
    let processes = ProcessLayer {
        enabled: ctx.bool(s, p, "enabled"),
        use_default_blocklist: ctx.bool(s, p, "use_default_blocklist"),
        block: ctx.texts(s, p, "block", 500, 256),
        allow: ctx.texts(s, p, "allow", 500, 256),
        block_terminals: ctx.bool(s, p, "block_terminals"),
        running_at_start: rule(
            ctx,
            s,
            p,
            "running_at_start",
            instant(When::BeforeStart),
            &[],
        ),
        started_during_exam: rule(
            ctx,
            s,
            p,
            "started_during_exam",
            instant(When::During),
            &["kill"],
        ),
        kill,
    };

    let p = "displays";
    let s = section(ctx, t, p, &["enabled", "max", "too_many", "hot_plug"]).unwrap_or(&empty);
    let displays = DisplayLayer {
        enabled: ctx.bool(s, p, "enabled"),
        max: ctx.uint(s, p, "max", 1..=8),
        too_many: rule(ctx, s, p, "too_many", instant(When::Both), &[]),
        hot_plug: rule(ctx, s, p, "hot_plug", instant(When::During), &[]),
    };

    let p = "virtual_machine";
    let s = section(ctx, t, p, &["enabled", "min_confidence", "detected"]).unwrap_or(&empty);
    let confidences = [
        (Confidence::Low, "low"),
        (Confidence::Medium, "medium"),
        (Confidence::High, "high"),
    ];
    let virtual_machine = VirtualMachineLayer {
        enabled: ctx.bool(s, p, "enabled"),
        min_confidence: ctx
            .choice(s, p, "min_confidence", &confidences)
            .unwrap_or(Confidence::High),
        detected: rule(ctx, s, p, "detected", instant(When::BeforeStart), &[]),
    };

    let p = "remote_session";
    let s = section(ctx, t, p, &["enabled", "detected", "screen_sharing"]).unwrap_or(&empty);
    let remote_session = RemoteSessionLayer {
        enabled: ctx.bool(s, p, "enabled"),
        detected: rule(ctx, s, p, "detected", instant(When::Both), &[]),
        screen_sharing: rule(ctx, s, p, "screen_sharing", instant(When::Both), &[]),
    };

    let p = "keyboard";
    let s = section(
        ctx,
        t,
        p,
        &[
            "enabled",
            "clear_clipboard",
            "block_copy_out",
            "print_screen",
            "blocked_shortcut",
            "synthetic_input",
            "input_device_added",
            "hold_on_new_device",
            "machine_typing",
            "typing_max_chars_per_second",
            "typing_min_interval_spread",
            "wayland",
        ],
    )
    .unwrap_or(&empty);
    let wayland_modes = [
        (WaylandMode::Refuse, "refuse"),
        (WaylandMode::FocusOnly, "focus_only"),
    ];
    let keyboard = KeyboardLayer {
        enabled: ctx.bool(s, p, "enabled"),
        clear_clipboard: ctx.bool(s, p, "clear_clipboard"),
        block_copy_out: ctx.bool(s, p, "block_copy_out"),
        print_screen: rule(ctx, s, p, "print_screen", instant(When::During), &[]),
        blocked_shortcut: rule(ctx, s, p, "blocked_shortcut", instant(When::During), &[]),
        synthetic_input: optional_rule(ctx, s, p, "synthetic_input", When::During),
        input_device_added: optional_rule(ctx, s, p, "input_device_added", When::During),
        hold_on_new_device: s.contains_key("hold_on_new_device")
            && ctx.bool(s, p, "hold_on_new_device"),
        machine_typing: optional_rule(ctx, s, p, "machine_typing", When::During),
        typing_max_chars_per_second: if s.contains_key("typing_max_chars_per_second") {
            ctx.number(s, p, "typing_max_chars_per_second", 5.0..=1000.0)
        } else {
            25.0
        },
        typing_min_interval_spread: if s.contains_key("typing_min_interval_spread") {
            ctx.number(s, p, "typing_min_interval_spread", 0.0..=1.0)
        } else {
            0.1
        },
        wayland: ctx
            .choice(s, p, "wayland", &wayland_modes)
            .unwrap_or(WaylandMode::FocusOnly),
    };

    let p = "network";
    let s = section(
        ctx,
        t,
        p,
        &["enabled", "offline_allowed", "allowed_origins"],
    )
    .unwrap_or(&empty);
    let network = NetworkLayer {
        enabled: ctx.bool(s, p, "enabled"),
        offline_allowed: ctx.bool(s, p, "offline_allowed"),
        allowed_origins: ctx.texts(s, p, "allowed_origins", 100, 253),
    };

    let proctor = read_proctor(ctx, t);
    let min_client_version = read_min_client_version(ctx, t);

    let policy = Policy {
        name,
        preset,
        retention,
        face,
        voice,
        screen,
        devtools,
        focus,
        fullscreen,
        processes,
        displays,
        virtual_machine,
        remote_session,
        keyboard,
        network,
        proctor,
        min_client_version,
    };
    cross_checks(ctx, &policy);
    policy
}

/// The optional `min_client_version = "0.2.0"`.
fn read_min_client_version(ctx: &mut Ctx, t: &Table) -> Option<ClientVersion> {
    if !t.contains_key("min_client_version") {
        return None;
    }
    let text = ctx.text(t, "", "min_client_version", 32);
    match ClientVersion::parse(&text) {
        Ok(version) => Some(version),
        Err(e) => {
            // A value that is not a string was reported already.
            if !text.is_empty() {
                ctx.problem("min_client_version", e.to_string());
            }
            None
        }
    }
}

/// The optional `[proctor]` section: every key optional (policies written
/// before it existed stay valid and keep their hash).
fn read_proctor(ctx: &mut Ctx, t: &Table) -> ProctorSettings {
    let p = "proctor";
    if !t.contains_key(p) {
        return ProctorSettings::default();
    }
    let Some(s) = ctx.table(t, "", p) else {
        return ProctorSettings::default();
    };
    ctx.unknown(
        s,
        p,
        &["unlock_code", "resume_needs_code", "resume_free_minutes"],
    );
    let unlock_code = s.contains_key("unlock_code").then(|| {
        let text = ctx.text(s, p, "unlock_code", 200);
        if let Err(why) = crate::proctor::ProctorCodeHash::parse(&text) {
            ctx.problem("proctor.unlock_code", why.to_string());
        }
        text
    });
    let resume_needs_code =
        s.contains_key("resume_needs_code") && ctx.bool(s, p, "resume_needs_code");
    if resume_needs_code && unlock_code.is_none() {
        ctx.problem(
            "proctor.resume_needs_code",
            "is true, but the policy gives no unlock_code: a candidate at home could never resume; add one with `paraakh policy proctor-code`",
        );
    }
    let resume_free_minutes = if s.contains_key("resume_free_minutes") {
        ctx.uint(s, p, "resume_free_minutes", 0..=240)
    } else {
        0
    };
    if resume_free_minutes > 0 && !resume_needs_code {
        ctx.problem(
            "proctor.resume_free_minutes",
            "has no effect unless resume_needs_code = true (without it every interruption resumes without a code)",
        );
    }
    ProctorSettings {
        unlock_code,
        resume_needs_code,
        resume_free_minutes,
    }
}

/// Settings that are each valid but contradict each other.
fn cross_checks(ctx: &mut Ctx, p: &Policy) {
    // How someone types is a reviewer's clue, never grounds to end an exam.
    if p.keyboard.machine_typing.action == Action::AutoSubmit {
        ctx.problem(
            "keyboard.machine_typing.action",
            "auto_submit is not allowed here: unusual typing is information for a reviewer, never a penalty by itself; use log",
        );
    }
    if p.screen.keyframe_seconds < p.screen.interval_seconds {
        ctx.problem(
            "screen.keyframe_seconds",
            format!(
                "is {} s, shorter than interval_seconds ({} s): an unchanged screen is captured again after keyframe_seconds, which cannot come before the next periodic capture",
                p.screen.keyframe_seconds, p.screen.interval_seconds
            ),
        );
    }
    if p.voice.pre_roll_seconds >= p.voice.clip_seconds {
        ctx.problem(
            "voice.pre_roll_seconds",
            format!(
                "is {} s but clips are only {} s long: the pre-roll must be shorter than the clip",
                p.voice.pre_roll_seconds, p.voice.clip_seconds
            ),
        );
    }
    if let Some(after) = p.voice.speech.after_seconds
        && after + p.voice.pre_roll_seconds > p.voice.clip_seconds
    {
        ctx.problem(
                "voice.clip_seconds",
                format!(
                    "is {} s, too short to hold the {after} s of speech that raise the violation plus the {} s pre-roll",
                    p.voice.clip_seconds, p.voice.pre_roll_seconds
                ),
            );
    }
    if !p.screen.enabled {
        let screen_evidence = [
            ("devtools.attempt", &p.devtools.attempt),
            ("focus.lost", &p.focus.lost),
            ("fullscreen.exit", &p.fullscreen.exit),
            (
                "processes.started_during_exam",
                &p.processes.started_during_exam,
            ),
            ("displays.too_many", &p.displays.too_many),
            ("displays.hot_plug", &p.displays.hot_plug),
            (
                "remote_session.screen_sharing",
                &p.remote_session.screen_sharing,
            ),
            ("keyboard.print_screen", &p.keyboard.print_screen),
            ("keyboard.blocked_shortcut", &p.keyboard.blocked_shortcut),
            ("keyboard.synthetic_input", &p.keyboard.synthetic_input),
            (
                "keyboard.input_device_added",
                &p.keyboard.input_device_added,
            ),
        ];
        for (path, rule) in screen_evidence {
            if rule.enabled && rule.action == Action::Snapshot {
                ctx.problem(
                    format!("{path}.action"),
                    "snapshot keeps a screen capture, but screen recording (screen.enabled) is off and the candidate was not asked to allow it; turn it on or use warn",
                );
            }
        }
    }
    for name in &p.processes.block {
        if p.processes
            .allow
            .iter()
            .any(|a| a.eq_ignore_ascii_case(name))
        {
            ctx.problem(
                "processes.allow",
                format!("{name:?} is both blocked and allowed"),
            );
        }
    }
    let mut seen = BTreeSet::new();
    for (i, origin) in p.network.allowed_origins.iter().enumerate() {
        if let Err(why) = crate::net::check_origin(origin) {
            ctx.problem(
                format!("network.allowed_origins[{i}]"),
                format!("{origin:?} is not an origin: {why}"),
            );
        }
        if !seen.insert(origin.as_str()) {
            ctx.problem(
                format!("network.allowed_origins[{i}]"),
                format!("{origin:?} is listed twice"),
            );
        }
    }
    if !p.network.offline_allowed && !p.network.enabled {
        ctx.problem(
            "network.offline_allowed",
            "is false, so the exam needs the network, but the network layer is off and nothing would check it",
        );
    }
}
