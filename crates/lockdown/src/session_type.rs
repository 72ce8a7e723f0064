//! What kind of desktop session the exam runs in, decided without trusting
//! the environment alone.
//!
//! A candidate controls the environment: with `WAYLAND_DISPLAY` and
//! `XDG_SESSION_TYPE` removed, a Wayland desktop still offers an X display
//! (Xwayland) whose keyboard grab does not reach the compositor's
//! shortcuts. So several witnesses are asked, most trusted first:
//!
//! 1. logind's `Type` for this process's session (the cgroup names the
//!    session; `/run/systemd/sessions/ID` holds its type) — set by the
//!    login manager, out of the candidate's reach;
//! 2. the X server behind the display: an Xwayland server (RandR outputs
//!    named `XWAYLAND…`, or the process owning the X socket is Xwayland or a
//!    Wayland compositor) means Wayland;
//! 3. a live `wayland-N` socket in the user's runtime directory (the
//!    environment's and `/run/user/UID`) means a compositor runs;
//! 4. the environment.
//!
//! Every witness's answer is kept; when they disagree, that is recorded too.

use std::os::unix::fs::FileTypeExt as _;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The kinds of session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// An X11 (Xorg) desktop.
    X11,
    /// A Wayland compositor (an X display there is Xwayland).
    Wayland,
    /// A text console, no graphical session.
    Tty,
    /// Nothing could tell.
    Unknown,
}

impl SessionKind {
    /// For people.
    pub fn name(self) -> &'static str {
        match self {
            Self::X11 => "X11",
            Self::Wayland => "Wayland",
            Self::Tty => "text console",
            Self::Unknown => "unknown",
        }
    }
}

/// How firmly the exam can be kept on screen in this session, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lockdown {
    /// The exam session chosen at the login screen: the app alone in the
    /// kiosk compositor cage, sealed ([`crate::exam_session`]).
    ExamSession,
    /// An X11 desktop: the window kept full screen and on top, the
    /// keyboard grabbed so the desktop's shortcuts do not fire.
    DesktopKiosk,
    /// A Wayland desktop, a nested display or a weakened exam session:
    /// leaving the exam window is seen, not prevented.
    WindowOnly,
    /// No graphical session.
    None,
}

impl Lockdown {
    /// For people.
    pub fn words(self) -> &'static str {
        match self {
            Self::ExamSession => "exam session (cage)",
            Self::DesktopKiosk => "kiosk on the desktop (X11)",
            Self::WindowOnly => "exam window only (leaving it is recorded, not prevented)",
            Self::None => "none (no graphical session)",
        }
    }
}

/// Who said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Witness {
    /// systemd-logind's record of this process's session.
    Logind,
    /// The X server behind the display.
    XServer,
    /// A Wayland compositor's socket in the runtime directory.
    CompositorSocket,
    /// `XDG_SESSION_TYPE`, `WAYLAND_DISPLAY`, `DISPLAY`.
    Environment,
}

/// One witness's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// Who.
    pub witness: Witness,
    /// What it says the session is.
    pub says: SessionKind,
    /// What it saw.
    pub detail: String,
}

/// The session, as decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionType {
    /// The kind.
    pub kind: SessionKind,
    /// The most trusted witness that answered.
    pub decided_by: Option<Witness>,
    /// Every answer.
    pub observations: Vec<Observation>,
    /// Witnesses that contradict the decision, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disagreement: Option<String>,
    /// The X display the app would use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_display: Option<String>,
    /// The process serving that display (`Xorg`, `Xwayland`, `Xvfb`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_server: Option<String>,
    /// The display is nested in another desktop or virtual (Xephyr, Xnest,
    /// Xvfb, a VNC server): what the exam watches there may not be what the
    /// candidate sees. In words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nested: Option<String>,
    /// The window manager (X11) or compositor (Wayland), when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_manager: Option<String>,
    /// The exam session this app sealed, as checked when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exam_session: Option<crate::exam_session::ExamSession>,
    /// How firmly the exam is kept on screen here.
    pub lockdown: Lockdown,
}

impl SessionType {
    /// The same session with the exam session this app sealed (if any),
    /// and the lockdown that makes.
    pub fn with_exam_session(mut self, exam: Option<crate::exam_session::ExamSession>) -> Self {
        self.exam_session = exam;
        self.lockdown = match (&self.exam_session, self.kind) {
            (Some(e), _) if e.holds() => Lockdown::ExamSession,
            (Some(_), _) | (None, SessionKind::Wayland) => Lockdown::WindowOnly,
            (None, SessionKind::X11) if self.nested.is_some() => Lockdown::WindowOnly,
            (None, SessionKind::X11) => Lockdown::DesktopKiosk,
            (None, SessionKind::Tty | SessionKind::Unknown) => Lockdown::None,
        };
        self
    }

    /// One line: "Wayland (logind; the environment says X11)".
    pub fn summary(&self) -> String {
        if let Some(e) = &self.exam_session {
            return format!("{}; {}", e.summary(), self.desktop_summary());
        }
        self.desktop_summary()
    }

    fn desktop_summary(&self) -> String {
        let mut s = self.kind.name().to_owned();
        let mut about = Vec::new();
        if let Some(w) = self.decided_by {
            about.push(format!("by {}", witness_name(w)));
        }
        if let Some(d) = &self.x_display {
            about.push(format!("display {d}"));
        }
        if let Some(wm) = &self.window_manager {
            about.push(format!("window manager {wm}"));
        }
        if !about.is_empty() {
            s.push_str(&format!(" ({})", about.join(", ")));
        }
        if let Some(n) = &self.nested {
            s.push_str(&format!("; {n}"));
        }
        if let Some(d) = &self.disagreement {
            s.push_str(&format!("; {d}"));
        }
        s
    }
}

fn witness_name(w: Witness) -> &'static str {
    match w {
        Witness::Logind => "logind",
        Witness::XServer => "the X server",
        Witness::CompositorSocket => "the compositor's socket",
        Witness::Environment => "the environment",
    }
}

/// Decides from the answers. A Wayland compositor seen by any witness
/// decides (the most restrictive answer: a keyboard grab cannot hold
/// there, whatever else answers too); otherwise the most trusted witness
/// that answers, where logind's `tty` (a desktop started from a console
/// with `startx`) gives way to a display that answers.
pub fn decide(mut observations: Vec<Observation>) -> SessionType {
    observations.sort_by_key(|o| o.witness as u8);
    let graphical = |k: SessionKind| matches!(k, SessionKind::X11 | SessionKind::Wayland);
    let display_answers = observations
        .iter()
        .any(|o| o.witness != Witness::Logind && graphical(o.says));
    let chosen = observations
        .iter()
        .find(|o| o.says == SessionKind::Wayland)
        .or_else(|| {
            observations.iter().find(|o| {
                o.says != SessionKind::Unknown
                    && !(o.witness == Witness::Logind
                        && o.says == SessionKind::Tty
                        && display_answers)
            })
        })
        .map(|o| (o.says, o.witness));
    let (kind, decided_by) = match chosen {
        Some((k, w)) => (k, Some(w)),
        None => (SessionKind::Unknown, None),
    };
    let against: Vec<String> = observations
        .iter()
        .filter(|o| o.says != kind && o.says != SessionKind::Unknown)
        .map(|o| {
            format!(
                "{} says {} ({})",
                witness_name(o.witness),
                o.says.name(),
                o.detail
            )
        })
        .collect();
    SessionType {
        kind,
        decided_by,
        disagreement: (!against.is_empty()).then(|| against.join("; ")),
        observations,
        x_display: None,
        x_server: None,
        nested: None,
        window_manager: None,
        exam_session: None,
        lockdown: Lockdown::None,
    }
    .with_exam_session(None)
}

/// Where the witnesses are found (the real system, or a test's copies).
#[derive(Debug, Clone)]
pub struct Probe {
    /// `/proc/self/cgroup`.
    pub cgroup: PathBuf,
    /// `/run/systemd`.
    pub systemd_run: PathBuf,
    /// The runtime directories to look for compositor sockets in.
    pub runtime_dirs: Vec<PathBuf>,
    /// The user's id.
    pub uid: u32,
    /// `XDG_SESSION_TYPE`, `WAYLAND_DISPLAY` and `DISPLAY`, as set.
    pub env: Vec<(String, String)>,
}

impl Probe {
    /// This process on this machine.
    pub fn system() -> Self {
        let uid = rustix::process::geteuid().as_raw();
        let mut runtime_dirs = Vec::new();
        if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
            runtime_dirs.push(PathBuf::from(d));
        }
        let standard = PathBuf::from(format!("/run/user/{uid}"));
        if !runtime_dirs.contains(&standard) {
            runtime_dirs.push(standard);
        }
        let env = ["XDG_SESSION_TYPE", "WAYLAND_DISPLAY", "DISPLAY"]
            .iter()
            .filter_map(|k| Some(((*k).to_owned(), std::env::var(k).ok()?)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        Self {
            cgroup: PathBuf::from("/proc/self/cgroup"),
            systemd_run: PathBuf::from("/run/systemd"),
            runtime_dirs,
            uid,
            env,
        }
    }

    fn env(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Asks every witness on this machine, and the exam session this app
/// sealed, checked again now.
pub fn detect() -> SessionType {
    detect_with(&Probe::system()).with_exam_session(crate::exam_session::current())
}

/// Asks every witness `probe` names.
pub fn detect_with(probe: &Probe) -> SessionType {
    let mut observations = Vec::new();
    if let Some(o) = logind(probe) {
        observations.push(o);
    }
    let x_display = probe.env("DISPLAY").map(str::to_owned);
    let mut window_manager = None;
    let mut x_server_name = None;
    if let Some(display) = &x_display {
        let seen = x_server(display);
        observations.push(seen.observation);
        window_manager = seen.window_manager;
        x_server_name = seen.owner;
    }
    let sockets = compositor_sockets(&probe.runtime_dirs);
    if let Some((socket, compositor)) = sockets.first() {
        observations.push(Observation {
            witness: Witness::CompositorSocket,
            says: SessionKind::Wayland,
            detail: match compositor {
                Some(c) => format!("{} answers ({c})", socket.display()),
                None => format!("{} answers", socket.display()),
            },
        });
        if window_manager.is_none() {
            window_manager.clone_from(compositor);
        }
    }
    observations.push(environment(probe));
    let mut decided = decide(observations);
    decided.x_display = x_display;
    decided.window_manager = window_manager;
    decided.nested = x_server_name
        .as_deref()
        .filter(|name| NESTED_X_SERVERS.contains(name))
        .map(|name| {
            format!("the display is served by {name}, a nested or virtual X server: what the exam watches there may not be what the candidate sees")
        });
    decided.x_server = x_server_name;
    decided.with_exam_session(None)
}

fn environment(probe: &Probe) -> Observation {
    let (says, detail) = match (
        probe.env("XDG_SESSION_TYPE"),
        probe.env("WAYLAND_DISPLAY"),
        probe.env("DISPLAY"),
    ) {
        (Some("wayland"), ..) => (SessionKind::Wayland, "XDG_SESSION_TYPE=wayland".to_owned()),
        (_, Some(w), _) => (SessionKind::Wayland, format!("WAYLAND_DISPLAY={w}")),
        (Some("x11"), ..) => (SessionKind::X11, "XDG_SESSION_TYPE=x11".to_owned()),
        (_, None, Some(d)) => (SessionKind::X11, format!("DISPLAY={d}")),
        (Some("tty"), ..) => (SessionKind::Tty, "XDG_SESSION_TYPE=tty".to_owned()),
        _ => (
            SessionKind::Unknown,
            "neither DISPLAY nor WAYLAND_DISPLAY is set".to_owned(),
        ),
    };
    Observation {
        witness: Witness::Environment,
        says,
        detail,
    }
}

/// logind's type for this process's session; else for the user's display
/// session (a process started by the user's service manager has none of
/// its own).
fn logind(probe: &Probe) -> Option<Observation> {
    let cgroup = std::fs::read_to_string(&probe.cgroup).ok()?;
    let (session, how) = match session_of_cgroup(&cgroup) {
        Some(id) => (id, "this process's session"),
        None => {
            let user = std::fs::read_to_string(
                probe.systemd_run.join("users").join(probe.uid.to_string()),
            )
            .ok()?;
            (key_value(&user, "DISPLAY")?, "the user's display session")
        }
    };
    if !session.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let record = std::fs::read_to_string(probe.systemd_run.join("sessions").join(&session)).ok()?;
    let kind = key_value(&record, "TYPE")?;
    let says = match kind.as_str() {
        "x11" => SessionKind::X11,
        "wayland" => SessionKind::Wayland,
        "tty" => SessionKind::Tty,
        _ => SessionKind::Unknown,
    };
    Some(Observation {
        witness: Witness::Logind,
        says,
        detail: format!("{how} {session} has Type={kind}"),
    })
}

/// `session-3.scope` in a cgroup path names logind session 3.
fn session_of_cgroup(cgroup: &str) -> Option<String> {
    cgroup.lines().find_map(|line| {
        let path = line.splitn(3, ':').nth(2)?;
        path.split('/').find_map(|part| {
            part.strip_prefix("session-")
                .and_then(|s| s.strip_suffix(".scope"))
                .map(str::to_owned)
        })
    })
}

/// `KEY=value` in a systemd runtime record.
fn key_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Beginnings of the names of processes that serve an X display on behalf
/// of a Wayland compositor (`/proc/PID/comm` is cut at 15 bytes:
/// `kwin_wayland_wr` is KDE's wrapper).
const WAYLAND_X_SERVERS: &[&str] = &[
    "Xwayland",
    "weston",
    "gnome-shell",
    "mutter",
    "kwin_wayland",
    "sway",
    "cage",
    "labwc",
    "wayfire",
    "Hyprland",
    "river",
];

/// X servers that run inside another desktop or without a screen.
const NESTED_X_SERVERS: &[&str] = &["Xephyr", "Xnest", "Xvfb", "Xvnc", "Xtigervnc", "Xdummy"];

/// What the X server behind a display says.
struct XServerSeen {
    observation: Observation,
    window_manager: Option<String>,
    owner: Option<String>,
}

fn x_server(display: &str) -> XServerSeen {
    let owner = x_socket_owner(display);
    let conn = crate::displays::X11Displays::connect(Some(display));
    let (outputs, extensions, wm) = match &conn {
        Ok(d) => (
            d.read()
                .map(|r| r.displays.into_iter().map(|d| d.output).collect::<Vec<_>>())
                .unwrap_or_default(),
            d.server().map(|(_, ext)| ext).unwrap_or_default(),
            d.window_manager(),
        ),
        Err(_) => (Vec::new(), Vec::new(), None),
    };
    let xwayland_outputs = outputs.iter().any(|o| o.starts_with("XWAYLAND"));
    // Newer Xwayland says so itself; 22.1 (Debian 12) does not yet.
    let xwayland_extension = extensions.iter().any(|e| e == "XWAYLAND");
    let wayland_owner = owner
        .as_deref()
        .is_some_and(|o| WAYLAND_X_SERVERS.iter().any(|w| o.starts_with(w)));
    let (says, detail) = if xwayland_outputs || xwayland_extension || wayland_owner {
        let mut why = Vec::new();
        if let Some(o) = &owner {
            why.push(format!("served by {o}"));
        }
        if xwayland_extension {
            why.push("the XWAYLAND extension".into());
        }
        if xwayland_outputs {
            why.push(format!("outputs {}", outputs.join(", ")));
        }
        (
            SessionKind::Wayland,
            format!("{display} is Xwayland ({})", why.join(", ")),
        )
    } else if conn.is_ok() {
        (
            SessionKind::X11,
            match &owner {
                Some(o) => format!("{display} served by {o}"),
                None => format!("{display} answers"),
            },
        )
    } else {
        (SessionKind::Unknown, format!("{display} does not answer"))
    };
    XServerSeen {
        observation: Observation {
            witness: Witness::XServer,
            says,
            detail,
        },
        window_manager: wm,
        owner,
    }
}

/// The name of the process that owns a local X display's socket.
fn x_socket_owner(display: &str) -> Option<String> {
    let number = display
        .strip_prefix(':')?
        .split('.')
        .next()
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))?;
    socket_owner(Path::new(&format!("/tmp/.X11-unix/X{number}")))
}

/// The name of the process at the other end of a Unix socket.
fn socket_owner(path: &Path) -> Option<String> {
    let stream = UnixStream::connect(path).ok()?;
    let cred = rustix::net::sockopt::socket_peercred(&stream).ok()?;
    let pid = cred.pid.as_raw_nonzero().get();
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
}

/// Live `wayland-N` sockets in the runtime directories, with the compositor
/// behind each when it can be named.
fn compositor_sockets(dirs: &[PathBuf]) -> Vec<(PathBuf, Option<String>)> {
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("wayland-")
                    && !name.ends_with(".lock")
                    && e.file_type().is_ok_and(|t| t.is_socket())
            })
            .map(|e| e.path())
            .collect();
        names.sort();
        for path in names {
            // A socket left behind by a compositor that is gone does not answer.
            if UnixStream::connect(&path).is_ok() {
                let owner = socket_owner(&path);
                found.push((path, owner));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn obs(witness: Witness, says: SessionKind) -> Observation {
        Observation {
            witness,
            says,
            detail: "seen".into(),
        }
    }

    #[test]
    fn the_most_trusted_witness_decides_and_the_others_are_kept() {
        let t = decide(vec![
            obs(Witness::Environment, SessionKind::X11),
            obs(Witness::Logind, SessionKind::Wayland),
        ]);
        assert_eq!(t.kind, SessionKind::Wayland);
        assert_eq!(t.decided_by, Some(Witness::Logind));
        let d = t.disagreement.unwrap();
        assert!(d.contains("the environment says X11"), "{d}");
    }

    /// `startx` from a console: logind says tty, the display answers.
    #[test]
    fn a_desktop_started_from_a_console_is_graphical() {
        let t = decide(vec![
            obs(Witness::Logind, SessionKind::Tty),
            obs(Witness::XServer, SessionKind::X11),
        ]);
        assert_eq!(t.kind, SessionKind::X11);
        assert_eq!(t.decided_by, Some(Witness::XServer));
        // Nothing graphical answers: a console it is.
        let t = decide(vec![
            obs(Witness::Logind, SessionKind::Tty),
            obs(Witness::Environment, SessionKind::Unknown),
        ]);
        assert_eq!(t.kind, SessionKind::Tty);
    }

    /// A Wayland compositor nested in an X11 desktop (or the reverse) is
    /// judged as Wayland: the most restrictive answer.
    #[test]
    fn any_witness_of_a_wayland_compositor_decides() {
        let t = decide(vec![
            obs(Witness::Logind, SessionKind::X11),
            obs(Witness::XServer, SessionKind::Wayland),
        ]);
        assert_eq!(t.kind, SessionKind::Wayland);
        assert_eq!(t.decided_by, Some(Witness::XServer));
        assert!(t.disagreement.unwrap().contains("logind says X11"));
    }

    #[test]
    fn a_stripped_environment_is_outvoted_by_the_compositor_socket() {
        let t = decide(vec![
            obs(Witness::Environment, SessionKind::X11),
            obs(Witness::CompositorSocket, SessionKind::Wayland),
        ]);
        assert_eq!(t.kind, SessionKind::Wayland);
        assert!(t.disagreement.is_some());
    }

    #[test]
    fn witnesses_that_agree_record_no_disagreement() {
        let t = decide(vec![
            obs(Witness::XServer, SessionKind::X11),
            obs(Witness::Environment, SessionKind::X11),
            obs(Witness::Logind, SessionKind::Unknown),
        ]);
        assert_eq!(t.kind, SessionKind::X11);
        assert_eq!(t.decided_by, Some(Witness::XServer));
        assert_eq!(t.disagreement, None);
        assert_eq!(decide(Vec::new()).kind, SessionKind::Unknown);
    }

    #[test]
    fn logind_sessions_are_read_from_the_cgroup_and_the_runtime_records() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("systemd");
        std::fs::create_dir_all(run.join("sessions")).unwrap();
        std::fs::create_dir_all(run.join("users")).unwrap();
        std::fs::write(
            run.join("sessions/7"),
            "# comment\nUID=1000\nTYPE=wayland\nCLASS=user\n",
        )
        .unwrap();
        std::fs::write(run.join("sessions/9"), "TYPE=x11\n").unwrap();
        std::fs::write(run.join("users/1000"), "NAME=ada\nDISPLAY=9\n").unwrap();
        let cgroup = dir.path().join("cgroup");
        std::fs::write(&cgroup, "0::/user.slice/user-1000.slice/session-7.scope\n").unwrap();
        let probe = Probe {
            cgroup: cgroup.clone(),
            systemd_run: run,
            runtime_dirs: Vec::new(),
            uid: 1000,
            env: vec![("DISPLAY".into(), ":99999".into())],
        };
        let t = detect_with(&probe);
        assert_eq!(t.kind, SessionKind::Wayland, "{t:?}");
        assert_eq!(t.decided_by, Some(Witness::Logind));
        assert!(t.disagreement.unwrap().contains("DISPLAY=:99999"));

        // Started by the user's service manager: the user's display session.
        std::fs::write(
            &cgroup,
            "0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope\n",
        )
        .unwrap();
        let o = logind(&probe).unwrap();
        assert_eq!(o.says, SessionKind::X11);
        assert!(o.detail.contains("display session 9"), "{}", o.detail);

        // A session id that is not one is never used as a path.
        std::fs::write(run_path(&probe, "users/1000"), "DISPLAY=../7\n").unwrap();
        assert_eq!(logind(&probe), None);
    }

    fn run_path(p: &Probe, rel: &str) -> PathBuf {
        p.systemd_run.join(rel)
    }

    #[test]
    fn cgroup_lines_name_their_session() {
        assert_eq!(
            session_of_cgroup("12:pids:/user.slice/user-0.slice/session-c2.scope\n"),
            Some("c2".into())
        );
        assert_eq!(session_of_cgroup("0::/system.slice/ssh.service\n"), None);
        assert_eq!(session_of_cgroup("garbage"), None);
    }

    #[test]
    fn only_live_sockets_count_as_a_compositor() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("wayland-3");
        let _listener = std::os::unix::net::UnixListener::bind(&live).unwrap();
        // A stale socket: bound, then its listener dropped.
        drop(std::os::unix::net::UnixListener::bind(dir.path().join("wayland-1")).unwrap());
        std::fs::write(dir.path().join("wayland-0"), b"").unwrap();
        std::fs::write(dir.path().join("wayland-3.lock"), b"").unwrap();
        let found = compositor_sockets(&[dir.path().to_owned()]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, live);
        // This test process holds the listener.
        assert!(found[0].1.is_some());
    }

    #[test]
    fn the_environment_is_the_last_word() {
        let env = |pairs: &[(&str, &str)]| Probe {
            cgroup: PathBuf::from("/nonexistent"),
            systemd_run: PathBuf::from("/nonexistent"),
            runtime_dirs: Vec::new(),
            uid: 0,
            env: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        assert_eq!(
            environment(&env(&[("XDG_SESSION_TYPE", "wayland"), ("DISPLAY", ":0")])).says,
            SessionKind::Wayland
        );
        assert_eq!(
            environment(&env(&[("DISPLAY", ":0")])).says,
            SessionKind::X11
        );
        assert_eq!(
            environment(&env(&[("XDG_SESSION_TYPE", "tty")])).says,
            SessionKind::Tty
        );
        let t = detect_with(&env(&[]));
        assert_eq!(t.kind, SessionKind::Unknown);
    }
}
