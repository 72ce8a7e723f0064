//! The machine: session type, displays, virtual machine, remote sessions,
//! prohibited programs, free space, clock, detection, backend.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use paraakh_lockdown::displays::X11Displays;
use paraakh_lockdown::process::{Matcher, ProcessGuard, ProcessInfo};
use paraakh_lockdown::session_type::{SessionKind, SessionType};
use paraakh_policy::{Policy, WaylandMode};

use super::{CheckItem, Status, by_rule};

const SESSION: &str = "Desktop session";

/// The fix for a desktop that cannot be locked: the exam session the
/// package installs at the login screen (the app alone in cage).
pub(crate) const CHOOSE_EXAM_SESSION: &str = "log out and choose Paraakh exam at the login screen (the gear or session menu), then log in again";

pub(super) fn session_type(p: &Policy, session: &SessionType) -> CheckItem {
    let seen = session.summary();
    if let Some(exam) = &session.exam_session {
        if exam.holds() {
            return CheckItem::ok("session_type", SESSION, seen);
        }
        return CheckItem::with(
            "session_type",
            SESSION,
            wayland_status(p),
            seen,
            "restart the computer and choose Paraakh exam at the login screen; if this stays, ask your proctor",
        );
    }
    match session.kind {
        SessionKind::Wayland => {
            let detail = if wayland_status(p) == Status::Blocking {
                "keyboard shortcuts (Alt+Tab, Super) cannot be blocked there, and this exam needs them blocked"
            } else {
                "keyboard shortcuts (Alt+Tab, Super) cannot be blocked, only leaving the exam window is recorded"
            };
            CheckItem::with(
                "session_type",
                SESSION,
                wayland_status(p),
                format!("{seen}: {detail}"),
                CHOOSE_EXAM_SESSION,
            )
        }
        SessionKind::X11 if session.nested.is_some() => CheckItem::with(
            "session_type",
            SESSION,
            Status::Warning,
            seen,
            "take the exam on the computer's own desktop, not in a nested or virtual display",
        ),
        SessionKind::X11 => CheckItem::ok("session_type", SESSION, seen),
        SessionKind::Tty | SessionKind::Unknown => CheckItem::with(
            "session_type",
            SESSION,
            Status::Blocking,
            format!("no graphical session: {seen}"),
            "run the exam from the desktop, not from a text console or a remote shell",
        ),
    }
}

/// A desktop whose shortcuts cannot be blocked: refused when the policy
/// needs them blocked, else a warning.
fn wayland_status(p: &Policy) -> Status {
    if p.keyboard.enabled && p.keyboard.wayland == WaylandMode::Refuse {
        Status::Blocking
    } else {
        Status::Warning
    }
}

const DISPLAYS: &str = "Displays";

pub(super) fn displays(p: &Policy, session: &SessionType) -> CheckItem {
    if !p.displays.enabled {
        return CheckItem::ok("displays", DISPLAYS, "not checked by this exam");
    }
    if session.exam_session.is_some() {
        return exam_session_displays(p);
    }
    let report = match X11Displays::connect(None).and_then(|d| d.read()) {
        Ok(r) => r,
        Err(e) => {
            return CheckItem::with(
                "displays",
                DISPLAYS,
                Status::Warning,
                e.to_string(),
                "the number of displays could not be checked; it is recorded",
            );
        }
    };
    let too_many = report.count > p.displays.max as usize;
    if too_many || !report.mirrored.is_empty() {
        CheckItem::with(
            "displays",
            DISPLAYS,
            by_rule(true, &p.displays.too_many),
            format!("{} (this exam allows {})", report.summary(), p.displays.max),
            "disconnect or switch off the extra displays and stop mirroring, then run the check again",
        )
    } else {
        CheckItem::ok("displays", DISPLAYS, report.summary())
    }
}

/// In the exam session there is no X server to ask: the compositor's own
/// outputs, as its screen capture sees them, are the displays.
fn exam_session_displays(p: &Policy) -> CheckItem {
    let outputs = crate::sources::open_screen(&crate::sources::ScreenSpec::Desktop)
        .and_then(|mut screen| screen.monitors());
    match outputs {
        Ok(outputs) if outputs.len() > p.displays.max as usize => CheckItem::with(
            "displays",
            DISPLAYS,
            by_rule(true, &p.displays.too_many),
            format!(
                "the exam session shows {} displays (this exam allows {})",
                outputs.len(),
                p.displays.max
            ),
            "disconnect or switch off the extra displays, then restart the computer and choose Paraakh exam again",
        ),
        Ok(outputs) => CheckItem::ok(
            "displays",
            DISPLAYS,
            format!(
                "the exam session shows {} display{}",
                outputs.len(),
                if outputs.len() == 1 { "" } else { "s" }
            ),
        ),
        Err(e) => CheckItem::with(
            "displays",
            DISPLAYS,
            Status::Warning,
            e.to_string(),
            "the number of displays could not be checked; it is recorded",
        ),
    }
}

const VM: &str = "Virtual machine";

pub(super) fn virtual_machine(p: &Policy) -> CheckItem {
    let report = paraakh_lockdown::vm::detect_this_machine();
    let layer = &p.virtual_machine;
    if layer.enabled && report.counts(layer.min_confidence) {
        let status = by_rule(true, &layer.detected);
        return CheckItem::with(
            "virtual_machine",
            VM,
            status,
            report.summary,
            "run the exam on the computer itself, not inside a virtual machine",
        );
    }
    CheckItem::ok("virtual_machine", VM, report.summary)
}

const PROCESSES: &str = "Programs that must be closed";

pub(super) fn processes(p: &Policy) -> (CheckItem, Vec<ProcessInfo>) {
    let matcher = Matcher::from_policy(&p.processes);
    let mut guard = match ProcessGuard::new(matcher) {
        Ok(g) => g,
        Err(e) => {
            let item = CheckItem::with(
                "processes",
                PROCESSES,
                Status::Blocking,
                e.to_string(),
                "run the check again; if it keeps failing, restart the computer",
            );
            return (item, Vec::new());
        }
    };
    let all = guard.processes();
    if !p.processes.enabled {
        return (
            CheckItem::ok("processes", PROCESSES, "not checked by this exam"),
            all,
        );
    }
    let found = guard.running();
    if found.is_empty() {
        return (CheckItem::ok("processes", PROCESSES, "none running"), all);
    }
    let mut names: Vec<String> = found
        .iter()
        .map(|f| {
            format!(
                "{} ({}, pid {})",
                f.found.program, f.process.name, f.process.pid
            )
        })
        .collect();
    names.dedup();
    let programs: Vec<&str> = found.iter().map(|f| f.found.program.as_str()).collect();
    let item = CheckItem::with(
        "processes",
        PROCESSES,
        by_rule(true, &p.processes.running_at_start),
        format!("running: {}", names.join(", ")),
        format!(
            "close {} (quit it from its window or tray icon), then run the check again",
            join_unique(&programs)
        ),
    );
    (item, all)
}

fn join_unique(items: &[&str]) -> String {
    let mut v: Vec<&str> = Vec::new();
    for i in items {
        if !v.contains(i) {
            v.push(i);
        }
    }
    match v.len() {
        0 => String::new(),
        1 => v[0].to_owned(),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

const REMOTE: &str = "Remote access and screen sharing";

pub(super) fn remote_session(p: &Policy, processes: Vec<ProcessInfo>) -> CheckItem {
    let layer = &p.remote_session;
    if !layer.enabled {
        return CheckItem::ok("remote_session", REMOTE, "not checked by this exam");
    }
    let x_server = X11Displays::connect(None).and_then(|d| d.server()).ok();
    let inputs = paraakh_lockdown::remote::gather(processes, x_server, Path::new("/"));
    let report = paraakh_lockdown::remote::assess(&inputs, &Matcher::from_policy(&p.processes));
    if !report.remote_session.is_empty() {
        return CheckItem::with(
            "remote_session",
            REMOTE,
            by_rule(true, &layer.detected),
            report.remote_session.join("; "),
            "sit at the computer itself: end the remote session and start the exam from its own screen and keyboard",
        );
    }
    if !report.screen_sharing.is_empty() {
        return CheckItem::with(
            "remote_session",
            REMOTE,
            by_rule(true, &layer.screen_sharing),
            report.screen_sharing.join("; "),
            "stop sharing the screen and quit the sharing program",
        );
    }
    CheckItem::ok("remote_session", REMOTE, "none found")
}

const DISK: &str = "Free disk space";
/// Evidence per minute at most (screen, snapshots, clips, log; measured
/// 0.52 MB at the `standard` preset), with room to spare.
const BYTES_PER_MINUTE: u64 = 2_000_000;

pub(super) fn disk_space(data_dir: &Path, exam_minutes: u32) -> CheckItem {
    // The directory may not exist yet: ask about the nearest that does.
    let existing = data_dir
        .ancestors()
        .find(|d| d.exists())
        .unwrap_or(Path::new("/"));
    let free = match rustix::fs::statvfs(existing) {
        Ok(s) => s.f_bavail.saturating_mul(s.f_frsize),
        Err(e) => {
            return CheckItem::with(
                "disk_space",
                DISK,
                Status::Warning,
                format!("{}: {e}", existing.display()),
                "make sure a few gigabytes are free",
            );
        }
    };
    let need = BYTES_PER_MINUTE * u64::from(exam_minutes);
    let mb = |b: u64| b / 1_000_000;
    let detail = format!(
        "{} MB free in {} ({} MB needed for a {exam_minutes}-minute exam)",
        mb(free),
        existing.display(),
        mb(need)
    );
    if free < need {
        CheckItem::with(
            "disk_space",
            DISK,
            Status::Blocking,
            detail,
            "free some disk space (empty the trash, remove large downloads), then run the check again",
        )
    } else if free < need.saturating_mul(4) {
        CheckItem::with(
            "disk_space",
            DISK,
            Status::Warning,
            detail,
            "free some disk space before long exams",
        )
    } else {
        CheckItem::ok("disk_space", DISK, detail)
    }
}

const CLOCK: &str = "Clock";

pub(super) fn clock() -> CheckItem {
    let now = time::OffsetDateTime::now_utc();
    let shown = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.to_string());
    // Evidence times must be believable: a clock set years off is a
    // mistake (or an attempt) that a reviewer would have to explain.
    if !(2025..2100).contains(&now.year()) {
        CheckItem::with(
            "clock",
            CLOCK,
            Status::Blocking,
            format!("the clock says {shown}"),
            "set the date and time automatically (from the network) in the system settings",
        )
    } else {
        CheckItem::ok("clock", CLOCK, shown)
    }
}

const DETECTION: &str = "Face and voice detection";

pub(super) fn detection(p: &Policy, config: &paraakh_detect::RuntimeConfig) -> CheckItem {
    use paraakh_detect::{Model, Runtime};
    let mut models = Vec::new();
    if p.face.enabled {
        models.extend([Model::FaceFront, Model::FaceBack]);
    }
    if p.voice.enabled {
        models.push(Model::Voice);
    }
    if models.is_empty() {
        return CheckItem::ok("detection", DETECTION, "not used by this exam");
    }
    let checked = Runtime::load(config).and_then(|rt| {
        for m in &models {
            rt.session(*m)?;
        }
        Ok(rt.models_dir().display().to_string())
    });
    match checked {
        Ok(dir) => CheckItem::ok(
            "detection",
            DETECTION,
            format!(
                "ONNX Runtime and {} models present and intact ({dir})",
                models.len()
            ),
        ),
        Err(e) => CheckItem::with(
            "detection",
            DETECTION,
            Status::Blocking,
            e.to_string(),
            "reinstall Paraakh Secure Exam: its detection files are missing or altered",
        ),
    }
}

const BACKEND: &str = "Exam server";

pub(super) fn backend(p: &Policy, server: Option<&str>) -> CheckItem {
    let offline_ok = p.network.offline_allowed;
    let unreachable = if offline_ok {
        Status::Warning
    } else {
        Status::Blocking
    };
    let offline_fix = if offline_ok {
        "the exam can be taken offline: its evidence is uploaded when the computer is back online"
    } else {
        "this exam needs the network: connect to the internet (or the exam centre's network) and run the check again"
    };
    let Some(url) = server else {
        return CheckItem::with(
            "backend",
            BACKEND,
            unreachable,
            "not checked: no server address given",
            offline_fix,
        );
    };
    let Some((host, port)) = paraakh_policy::net::url_host_port(url) else {
        return CheckItem::with(
            "backend",
            BACKEND,
            Status::Blocking,
            format!("\"{url}\" is not an http(s) address"),
            "use the address from the exam's join link, such as https://exams.example.org",
        );
    };
    let reached = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))
        .and_then(|mut addrs| {
            let addr = addrs
                .next()
                .ok_or_else(|| format!("{host} has no address"))?;
            TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                .map(|_| addr)
                .map_err(|e| format!("cannot connect to {addr}: {e}"))
        });
    match reached {
        Ok(addr) => CheckItem::ok(
            "backend",
            BACKEND,
            format!("{host}:{port} reachable ({addr})"),
        ),
        Err(e) => CheckItem::with("backend", BACKEND, unreachable, e, offline_fix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use paraakh_lockdown::exam_session::{Compositor, DrawsOn, ExamSession, InputInjection};
    use paraakh_lockdown::session_type::{Lockdown, Observation, Witness, decide};

    fn wayland() -> SessionType {
        decide(vec![Observation {
            witness: Witness::Logind,
            says: SessionKind::Wayland,
            detail: "Type=wayland".into(),
        }])
    }

    fn policy(preset: &str) -> Policy {
        paraakh_policy::parse(paraakh_policy::presets::text(preset).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{preset}: {e}"))
    }

    fn exam_session(draws_on: DrawsOn) -> ExamSession {
        ExamSession {
            compositor: Compositor {
                pid: 7,
                name: "cage".into(),
                program: Some("/usr/bin/cage".into()),
                draws_on,
                preload: None,
            },
            socket: "/run/user/1000/wayland-0".into(),
            sealed: true,
            seal_error: None,
            x11_refused: Some(true),
            other_clients: Vec::new(),
            ended_at_seal: Vec::new(),
            input_injection: InputInjection {
                checked: true,
                offered: Vec::new(),
                error: None,
            },
        }
    }

    /// The strict preset on a GNOME or KDE Wayland desktop sends the
    /// candidate to the exam session, in those words.
    #[test]
    fn a_wayland_desktop_under_strict_points_to_the_exam_session() {
        let item = session_type(&policy("strict"), &wayland());
        assert_eq!(item.status, Status::Blocking);
        assert_eq!(
            item.fix.as_deref(),
            Some(
                "log out and choose Paraakh exam at the login screen (the gear or session menu), then log in again"
            )
        );
        let item = session_type(&policy("standard"), &wayland());
        assert_eq!(item.status, Status::Warning);
    }

    #[test]
    fn the_sealed_exam_session_passes_and_a_nested_one_does_not() {
        let held = wayland().with_exam_session(Some(exam_session(DrawsOn::Screen)));
        assert_eq!(held.lockdown, Lockdown::ExamSession);
        let item = session_type(&policy("strict"), &held);
        assert_eq!(item.status, Status::Ok, "{item:?}");
        assert!(
            item.detail.contains("exam session (cage)"),
            "{}",
            item.detail
        );
        // cage started inside the candidate's own desktop is no lockdown.
        let nested = wayland().with_exam_session(Some(exam_session(DrawsOn::Nested)));
        assert_eq!(nested.lockdown, Lockdown::WindowOnly);
        let item = session_type(&policy("strict"), &nested);
        assert_eq!(item.status, Status::Blocking);
        assert!(
            item.detail.contains("a window inside another desktop"),
            "{}",
            item.detail
        );
        assert_eq!(
            session_type(&policy("standard"), &nested).status,
            Status::Warning
        );
    }

    #[test]
    fn lists_read_naturally() {
        assert_eq!(join_unique(&["A"]), "A");
        assert_eq!(join_unique(&["A", "B", "A", "C"]), "A, B and C");
    }
}
