//! The effective policy in plain words, the way a tenant admin checks it
//! before an exam (`paraakh policy show`).

use std::fmt::Write as _;

use crate::model::{Action, Confidence, Rule};
use crate::parse::Loaded;

fn seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

fn action_words(rule: &Rule, evidence: &str) -> String {
    match rule.action {
        Action::Log => "record it".to_owned(),
        Action::Warn => "record it and warn the candidate".to_owned(),
        Action::Snapshot => format!("record it, warn the candidate and keep {evidence}"),
        Action::BlockStart => "the exam cannot start until it is fixed".to_owned(),
        Action::AutoSubmit => format!(
            "warn the candidate; the {} time, submit the exam for review",
            ordinal(rule.occurrences.unwrap_or(1))
        ),
    }
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

struct Writer<'a> {
    out: String,
    loaded: &'a Loaded,
}

impl Writer<'_> {
    /// A line, marked when the file changed a setting it shows.
    fn line(&mut self, indent: &str, changed: impl Fn(&str) -> bool, text: &str) {
        let changed = self.loaded.policy.preset.is_some()
            && self.loaded.set_by_file.iter().any(|p| changed(p));
        let mark = if changed { "*" } else { " " };
        let _ = writeln!(self.out, "{mark}{indent}{text}");
    }

    /// A layer's line shows its own settings (`layer.key`), not its rules (`layer.rule.key`).
    fn layer(&mut self, number: u32, path: &str, title: &str, enabled: bool, detail: &str) {
        let state = if enabled { "on" } else { "off" };
        let text = if detail.is_empty() || !enabled {
            format!("{number:>2}. {title}: {state}")
        } else {
            format!("{number:>2}. {title}: {state}; {detail}")
        };
        let prefix = format!("{path}.");
        self.line(
            "",
            |p| {
                p.strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.contains('.'))
            },
            &text,
        );
    }

    fn rule(&mut self, path: &str, what: &str, rule: &Rule, evidence: &str, layer_on: bool) {
        if !layer_on {
            return;
        }
        let when = match rule.after_seconds {
            Some(s) if s > 0.0 => format!("{what} for {} or more", seconds(s)),
            _ => what.to_owned(),
        };
        let text = if rule.enabled {
            format!(
                "- {when}: {}; {}",
                rule.severity.as_str(),
                action_words(rule, evidence)
            )
        } else {
            format!("- {when}: not checked")
        };
        let prefix = format!("{path}.");
        self.line("      ", |p| p.starts_with(&prefix), &text);
    }
}

/// Describes the effective policy; settings the file changed from its preset
/// are marked with `*`.
pub fn describe(loaded: &Loaded) -> String {
    let p = &loaded.policy;
    let mut w = Writer {
        out: String::new(),
        loaded,
    };
    let changed = loaded
        .set_by_file
        .iter()
        .filter(|s| *s != "name" && *s != "format")
        .count();
    let origin = match &p.preset {
        Some(preset) => format!(
            "the {preset} preset with {changed} setting{} changed (marked *)",
            if changed == 1 { "" } else { "s" }
        ),
        None => "a complete policy (no preset)".to_owned(),
    };
    let _ = writeln!(w.out, "Policy {:?}: {origin}", p.name);
    let _ = writeln!(w.out);
    w.line(
        "",
        |p| p.starts_with("retention."),
        &format!(
            "Evidence on the machine: kept {} days after the backend confirms it has everything; \
             if it is still not uploaded after {} days the proctor is alerted (it is never deleted before upload).",
            p.retention.keep_after_receipt_days, p.retention.alert_unsynced_after_days
        ),
    );
    let _ = writeln!(w.out);

    let on = p.face.enabled;
    w.layer(1, "face", "Webcam and face", on, "");
    w.rule(
        "face.no_face",
        "No face in view",
        &p.face.no_face,
        "a webcam snapshot",
        on,
    );
    w.rule(
        "face.multiple_faces",
        "More than one face in view",
        &p.face.multiple_faces,
        "a webcam snapshot",
        on,
    );
    w.rule(
        "face.camera_blocked",
        "Camera covered, black or frozen",
        &p.face.camera_blocked,
        "a webcam snapshot",
        on,
    );
    w.rule(
        "face.virtual_camera",
        "A virtual camera instead of a real one",
        &p.face.virtual_camera,
        "a webcam snapshot",
        on,
    );
    w.rule(
        "face.looking_away",
        "Head turned away",
        &p.face.looking_away,
        "a webcam snapshot",
        on,
    );

    let v = &p.voice;
    w.layer(
        2,
        "voice",
        "Voice",
        v.enabled,
        &format!(
            "audio clips up to {} long, starting {} before the speech",
            seconds(v.clip_seconds),
            seconds(v.pre_roll_seconds)
        ),
    );
    w.rule(
        "voice.speech",
        "Speech",
        &v.speech,
        "the audio clip",
        v.enabled,
    );

    let s = &p.screen;
    w.layer(
        3,
        "screen",
        "Screen recording",
        s.enabled,
        &format!(
            "a capture every {} when {:.0} % of the screen changed, and at least every {}; {} px wide",
            seconds(s.interval_seconds),
            s.change_threshold * 100.0,
            seconds(s.keyframe_seconds),
            s.max_width
        ),
    );

    w.layer(
        4,
        "devtools",
        "Developer tools and debugging",
        p.devtools.enabled,
        "",
    );
    w.rule(
        "devtools.attempt",
        "Developer tools opened or another debugging attempt",
        &p.devtools.attempt,
        "a screen capture",
        p.devtools.enabled,
    );
    w.layer(
        5,
        "focus",
        "Focus loss, window and tab switching",
        p.focus.enabled,
        "",
    );
    w.rule(
        "focus.lost",
        "The exam window lost focus",
        &p.focus.lost,
        "a screen capture",
        p.focus.enabled,
    );
    w.layer(6, "fullscreen", "Fullscreen", p.fullscreen.enabled, "");
    w.rule(
        "fullscreen.exit",
        "The exam left fullscreen",
        &p.fullscreen.exit,
        "a screen capture",
        p.fullscreen.enabled,
    );

    let pr = &p.processes;
    let mut lists = vec![if pr.use_default_blocklist {
        "the built-in blocklist (remote access, recorders, meetings and chat, automation)"
            .to_owned()
    } else {
        "no built-in blocklist".to_owned()
    }];
    if !pr.block.is_empty() {
        lists.push(format!("also blocked: {}", pr.block.join(", ")));
    }
    if !pr.allow.is_empty() {
        lists.push(format!("allowed: {}", pr.allow.join(", ")));
    }
    if pr.block_terminals {
        lists.push("terminals blocked".to_owned());
    }
    w.layer(
        7,
        "processes",
        "Prohibited programs",
        pr.enabled,
        &lists.join("; "),
    );
    w.rule(
        "processes.running_at_start",
        "A prohibited program is running at the start",
        &pr.running_at_start,
        "the list of programs",
        pr.enabled,
    );
    w.rule(
        "processes.started_during_exam",
        if pr.kill {
            "A prohibited program starts during the exam (it is closed)"
        } else {
            "A prohibited program starts during the exam (it is left running)"
        },
        &pr.started_during_exam,
        "a screen capture",
        pr.enabled,
    );

    let d = &p.displays;
    w.layer(
        8,
        "displays",
        "Displays",
        d.enabled,
        &format!("at most {}", d.max),
    );
    w.rule(
        "displays.too_many",
        &format!(
            "More than {} display{}",
            d.max,
            if d.max == 1 { "" } else { "s" }
        ),
        &d.too_many,
        "a screen capture",
        d.enabled,
    );
    w.rule(
        "displays.hot_plug",
        "A display connected or removed during the exam",
        &d.hot_plug,
        "a screen capture",
        d.enabled,
    );

    let vm = &p.virtual_machine;
    let conf = match vm.min_confidence {
        Confidence::Low => "any sign",
        Confidence::Medium => "several signs",
        Confidence::High => "only signs real hardware does not show",
    };
    w.layer(
        9,
        "virtual_machine",
        "Virtual machines",
        vm.enabled,
        &format!("counts {conf}"),
    );
    w.rule(
        "virtual_machine.detected",
        "Running in a virtual machine",
        &vm.detected,
        "the detection details",
        vm.enabled,
    );

    let r = &p.remote_session;
    w.layer(
        10,
        "remote_session",
        "Remote sessions and screen sharing",
        r.enabled,
        "",
    );
    w.rule(
        "remote_session.detected",
        "A remote session (SSH, RDP, VNC)",
        &r.detected,
        "the session details",
        r.enabled,
    );
    w.rule(
        "remote_session.screen_sharing",
        "The screen is shared or streamed",
        &r.screen_sharing,
        "a screen capture",
        r.enabled,
    );

    let k = &p.keyboard;
    let mut kd = Vec::new();
    if k.clear_clipboard {
        kd.push("clipboard cleared at start and end");
    }
    if k.block_copy_out {
        kd.push("copying out of the exam blocked");
    }
    kd.push(match k.wayland {
        crate::model::WaylandMode::Refuse => {
            "on a Wayland desktop the exam does not start (shortcuts cannot be blocked there)"
        }
        crate::model::WaylandMode::FocusOnly => {
            "on a Wayland desktop the exam starts, and leaving its window is recorded"
        }
    });
    w.layer(
        11,
        "keyboard",
        "Clipboard, Print Screen and shortcuts",
        k.enabled,
        &kd.join("; "),
    );
    w.rule(
        "keyboard.print_screen",
        "Print Screen pressed",
        &k.print_screen,
        "a screen capture",
        k.enabled,
    );
    w.rule(
        "keyboard.blocked_shortcut",
        "A blocked shortcut pressed (Alt+Tab, Super, ...)",
        &k.blocked_shortcut,
        "a screen capture",
        k.enabled,
    );
    w.rule(
        "keyboard.synthetic_input",
        "Keys or clicks that no hand made (sent by a program, or by a virtual input device)",
        &k.synthetic_input,
        "a screen capture",
        k.enabled,
    );
    w.rule(
        "keyboard.machine_typing",
        &format!(
            "Typing no person types (faster than {} characters a second, gaps varying less than {:.0} %, or a long text at once): for the reviewer",
            k.typing_max_chars_per_second,
            k.typing_min_interval_spread * 100.0
        ),
        &k.machine_typing,
        "no evidence",
        k.enabled,
    );
    w.rule(
        "keyboard.input_device_added",
        if k.hold_on_new_device {
            "A keyboard or pointer connected during the exam (the exam is held until a proctor confirms it)"
        } else {
            "A keyboard or pointer connected during the exam"
        },
        &k.input_device_added,
        "a screen capture",
        k.enabled,
    );

    let n = &p.network;
    let mut nd = vec![if n.offline_allowed {
        "the exam may run offline and upload later".to_owned()
    } else {
        "the exam needs the network throughout".to_owned()
    }];
    if !n.allowed_origins.is_empty() {
        nd.push(format!(
            "the exam page may load only {}",
            n.allowed_origins.join(", ")
        ));
    }
    w.layer(12, "network", "Network", n.enabled, &nd.join("; "));

    let _ = writeln!(w.out);
    let pr = &p.proctor;
    let code = if pr.unlock_code.is_some() {
        "the tenant's proctor code (in this policy, hashed) unlocks the exam in an emergency"
    } else {
        "no proctor code in this policy (a proctoring centre may set its own)"
    };
    let resume = match (pr.resume_needs_code, pr.resume_free_minutes) {
        (false, _) => {
            "an interrupted exam goes on when the candidate opens the app again".to_owned()
        }
        (true, 0) => "an interrupted exam goes on only after a proctor types the code".to_owned(),
        (true, m) => format!(
            "an interrupted exam goes on by itself within {m} minutes, after that only when a proctor types the code"
        ),
    };
    w.line(
        "",
        |p| p.starts_with("proctor."),
        &format!("Proctor: {code}; {resume}."),
    );
    if let Some(min) = &p.min_client_version {
        w.line(
            "",
            |p| p == "min_client_version",
            &format!(
                "Client: {min} or newer (an older one refuses the exam and says how to update it)."
            ),
        );
    }
    w.out
}
