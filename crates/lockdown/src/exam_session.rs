//! The exam session: the exam app alone in the kiosk compositor cage,
//! chosen at the login screen ("Paraakh exam"). Nothing else exists there:
//! no panel, no other window, no shortcut to leave, no virtual terminal
//! switch — the strongest lockdown a Linux machine gives without the
//! desktop's cooperation.
//!
//! The candidate controls the environment and can start cage themselves,
//! so nothing here is taken on the launcher's word. What is checked:
//! - the compositor: the process at the other end of the app's own
//!   connection (the kernel's peer credentials), its program, and what it
//!   draws on — the computer's screen (it holds a DRM device), a headless
//!   output, or a window inside another desktop (nested: no lockdown);
//! - the seal: once the app's own connections are made its socket file is
//!   removed, so a program started later cannot connect, let alone put a
//!   window over the exam;
//! - every program connected to the compositor, from the kernel's socket
//!   diagnostics: anything but the app and its own processes connected
//!   before the seal, and is named (and can be ended);
//! - X11: the session's Xwayland must refuse, so no X program can open a
//!   window either;
//! - input: which protocols the compositor offers for typing or pointing
//!   as if by hand (a virtual keyboard, a virtual pointer, an input
//!   method), listed from its registry before the seal. After the seal no
//!   other program is connected to use them.

use std::collections::HashMap;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde::Serialize;

use crate::LockdownError;
use crate::linux::unix_diag;
use crate::linux::wayland::{self, INPUT_INJECTION};

/// The kiosk compositor the exam session runs in (`/proc/PID/comm`).
pub const KIOSK_COMPOSITOR: &str = "cage";
/// Where the package's cage is: a program merely named cage (a copy of
/// another compositor) is not the exam session's.
pub const KIOSK_PROGRAM: &str = "/usr/bin/cage";

/// What the compositor shows its output on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DrawsOn {
    /// The computer's own screen (it holds a DRM device).
    Screen,
    /// A headless output: nothing is shown anywhere (test rigs).
    Headless,
    /// A window inside another desktop, where everything else stays usable.
    Nested,
    /// Nothing tells.
    Unknown,
}

impl DrawsOn {
    /// For people.
    pub fn words(self) -> &'static str {
        match self {
            Self::Screen => "the computer's screen",
            Self::Headless => "a headless output",
            Self::Nested => "a window inside another desktop",
            Self::Unknown => "an output it does not name",
        }
    }
}

/// The Wayland compositor, as the kernel and `/proc` describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compositor {
    /// Its process.
    pub pid: u32,
    /// Its name (`/proc/PID/comm`).
    pub name: String,
    /// Its program (`/proc/PID/exe`), when readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// What it draws on.
    pub draws_on: DrawsOn,
    /// Libraries forced into it (`LD_PRELOAD` in its environment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preload: Option<String>,
}

impl Compositor {
    /// The exam session's kiosk compositor.
    pub fn is_kiosk(&self) -> bool {
        self.name == KIOSK_COMPOSITOR
    }
}

/// A program connected to the compositor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Client {
    /// Its process, when this user can see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Its name.
    pub program: String,
}

/// Whether another program could type or point into the exam through
/// the compositor, as checked before the seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputInjection {
    /// The compositor's protocols were listed.
    pub checked: bool,
    /// The input-injection protocols it offers any client (Wayland
    /// interface names).
    pub offered: Vec<String>,
    /// Why they could not be listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl InputInjection {
    /// From the compositor's registry (or why it could not be read).
    fn from_globals(globals: Result<Vec<String>, String>) -> Self {
        match globals {
            Ok(globals) => Self {
                checked: true,
                offered: globals
                    .into_iter()
                    .filter(|g| INPUT_INJECTION.iter().any(|(name, _)| name == g))
                    .collect(),
                error: None,
            },
            Err(e) => Self {
                checked: false,
                offered: Vec::new(),
                error: Some(e),
            },
        }
    }

    /// "a virtual keyboard, a virtual pointer".
    fn words(&self) -> String {
        let words: Vec<&str> = self
            .offered
            .iter()
            .map(|g| {
                INPUT_INJECTION
                    .iter()
                    .find(|(name, _)| name == g)
                    .map_or(g.as_str(), |(_, words)| words)
            })
            .collect();
        words.join(", ")
    }
}

/// The exam session as checked now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExamSession {
    /// The compositor.
    pub compositor: Compositor,
    /// Its socket.
    pub socket: String,
    /// The socket is gone: no program can connect any more.
    pub sealed: bool,
    /// Why it could not be sealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal_error: Option<String>,
    /// The X display refuses connections (`None`: the session names none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x11_refused: Option<bool>,
    /// Programs connected that are not the exam app or its own processes.
    pub other_clients: Vec<Client>,
    /// Programs that had connected before the seal, ended by it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ended_at_seal: Vec<Client>,
    /// How other programs could type or point into the exam.
    pub input_injection: InputInjection,
}

impl ExamSession {
    /// What weakens it, in words (empty: the strongest lockdown).
    pub fn weaknesses(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.compositor.program.as_deref() != Some(KIOSK_PROGRAM) {
            w.push(format!(
                "the compositor is not the installed {KIOSK_PROGRAM} but {}",
                self.compositor
                    .program
                    .as_deref()
                    .unwrap_or("a program that cannot be read")
            ));
        }
        match self.compositor.draws_on {
            DrawsOn::Screen | DrawsOn::Headless => {}
            other => w.push(format!("{} draws on {}", KIOSK_COMPOSITOR, other.words())),
        }
        if !self.sealed {
            w.push(match &self.seal_error {
                Some(e) => format!("not sealed ({e}): other programs can still connect"),
                None => "not sealed: other programs can still connect".into(),
            });
        }
        if self.x11_refused == Some(false) {
            w.push("X11 programs can still open windows (Xwayland answers)".into());
        }
        if let Some(p) = &self.compositor.preload {
            w.push(format!("the compositor runs with LD_PRELOAD={p}"));
        }
        if !self.other_clients.is_empty() {
            let mut weak = format!(
                "other programs are connected to it: {}",
                names(&self.other_clients)
            );
            if !self.input_injection.offered.is_empty() {
                weak.push_str(&format!(
                    " (they can type and point through {})",
                    self.input_injection.words()
                ));
            }
            w.push(weak);
        }
        w
    }

    /// Nothing weakens it.
    pub fn holds(&self) -> bool {
        self.weaknesses().is_empty()
    }

    /// One line: "exam session (cage) on the computer's screen, sealed".
    pub fn summary(&self) -> String {
        let mut s = format!(
            "exam session ({}) on {}",
            self.compositor.name,
            self.compositor.draws_on.words()
        );
        let weak = self.weaknesses();
        if weak.is_empty() {
            s.push_str(": sealed, the exam is the only program on screen");
        } else {
            s.push_str(&format!(", weakened: {}", weak.join("; ")));
        }
        if !self.ended_at_seal.is_empty() {
            s.push_str(&format!(
                "; ended at the seal, connected before it: {}",
                names(&self.ended_at_seal)
            ));
        }
        let input = &self.input_injection;
        s.push_str(&match &input.error {
            Some(e) => format!("; its input protocols were not checked ({e})"),
            None if input.offered.is_empty() => {
                "; it offers no protocol to type or point for another program".into()
            }
            None => format!(
                "; it offers {} to its clients, the exam app alone",
                input.words()
            ),
        });
        s
    }
}

/// "wayvnc (1234), a program of another user".
fn names(clients: &[Client]) -> String {
    let names: Vec<String> = clients
        .iter()
        .map(|c| match c.pid {
            Some(pid) => format!("{} ({pid})", c.program),
            None => c.program.clone(),
        })
        .collect();
    names.join(", ")
}

fn error(reason: String) -> LockdownError {
    LockdownError::ExamSession { reason }
}

/// The compositor's socket named by the environment (`WAYLAND_DISPLAY`,
/// relative to `XDG_RUNTIME_DIR` unless absolute).
pub fn socket_from_env() -> Option<PathBuf> {
    let name = PathBuf::from(std::env::var_os("WAYLAND_DISPLAY").filter(|v| !v.is_empty())?);
    if name.is_absolute() {
        return Some(name);
    }
    let dir = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty())?;
    Some(PathBuf::from(dir).join(name))
}

/// Connects to `socket` and asks the kernel who is at the other end. The
/// connection is returned: kept open, it names the compositor after the
/// socket file is gone.
pub fn identify(socket: &Path) -> Result<(UnixStream, Compositor), LockdownError> {
    let stream = UnixStream::connect(socket)
        .map_err(|e| error(format!("cannot connect to {}: {e}", socket.display())))?;
    let cred = rustix::net::sockopt::socket_peercred(&stream)
        .map_err(|e| error(format!("the kernel does not name the compositor: {e}")))?;
    let pid = cred.pid.as_raw_nonzero().get().unsigned_abs();
    Ok((stream, describe(pid)))
}

/// A process's `NAME=value` environment (its start-up environment).
fn environ(pid: u32) -> HashMap<String, String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    raw.split(|b| *b == 0)
        .filter_map(|kv| {
            let at = kv.iter().position(|b| *b == b'=')?;
            Some((
                String::from_utf8_lossy(&kv[..at]).into_owned(),
                String::from_utf8_lossy(&kv[at + 1..]).into_owned(),
            ))
        })
        .collect()
}

fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
}

/// The inodes of a process's sockets, and whether it holds a DRM device.
fn fds(pid: u32) -> (Vec<u32>, bool) {
    let mut sockets = Vec::new();
    let mut drm = false;
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return (sockets, drm);
    };
    for e in entries.flatten() {
        let Ok(target) = std::fs::read_link(e.path()) else {
            continue;
        };
        let target = target.to_string_lossy();
        if let Some(inode) = target
            .strip_prefix("socket:[")
            .and_then(|t| t.strip_suffix(']'))
            .and_then(|t| t.parse().ok())
        {
            sockets.push(inode);
        } else if target.starts_with("/dev/dri/card") {
            drm = true;
        }
    }
    (sockets, drm)
}

/// What wlroots draws on: the backends `WLR_BACKENDS` lists, or those it
/// picks itself (a parent display in its environment makes it nest).
fn draws_on(holds_drm: bool, backends: Option<&str>, parent_display: bool) -> DrawsOn {
    let listed: Vec<&str> = backends
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .collect();
    let nested = if listed.is_empty() {
        parent_display
    } else {
        listed.iter().any(|b| matches!(*b, "wayland" | "x11"))
    };
    if nested {
        DrawsOn::Nested
    } else if holds_drm {
        DrawsOn::Screen
    } else if listed.contains(&"headless") {
        DrawsOn::Headless
    } else {
        DrawsOn::Unknown
    }
}

fn describe(pid: u32) -> Compositor {
    let env = environ(pid);
    let (_, holds_drm) = fds(pid);
    let parent_display = ["WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DISPLAY"]
        .iter()
        .any(|k| env.get(*k).is_some_and(|v| !v.is_empty()));
    Compositor {
        pid,
        name: comm(pid).unwrap_or_else(|| "unknown".into()),
        program: std::fs::read_link(format!("/proc/{pid}/exe"))
            .ok()
            .map(|p| p.display().to_string()),
        draws_on: draws_on(
            holds_drm,
            env.get("WLR_BACKENDS").map(String::as_str),
            parent_display,
        ),
        preload: env.get("LD_PRELOAD").filter(|v| !v.is_empty()).cloned(),
    }
}

/// The parent of a process (`/proc/PID/stat`, after the name in parentheses).
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// `pid` is `ancestor` or runs under it.
fn descends_from(mut pid: u32, ancestor: u32) -> bool {
    for _ in 0..64 {
        if pid == ancestor {
            return true;
        }
        match parent(pid) {
            Some(p) if p != 0 && p != pid => pid = p,
            _ => return false,
        }
    }
    false
}

/// The process holding each socket inode (those this user can see).
fn socket_holders(wanted: &[u32]) -> HashMap<u32, u32> {
    let mut found = HashMap::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in procs.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        for inode in fds(pid).0 {
            if wanted.contains(&inode) {
                found.entry(inode).or_insert(pid);
            }
        }
    }
    found
}

/// Every program connected to the compositor `compositor_pid` through
/// `socket` (its accepted connections keep the socket's name after the
/// file is removed), except `app_pid` and the processes under it.
pub fn other_clients(
    compositor_pid: u32,
    socket: &Path,
    app_pid: u32,
) -> Result<Vec<Client>, LockdownError> {
    let all = unix_diag::unix_sockets()
        .map_err(|e| error(format!("the kernel's socket list cannot be read: {e}")))?;
    // A compositor whose connections cannot be seen (another user's, or
    // gone) is not taken as having none.
    std::fs::read_dir(format!("/proc/{compositor_pid}/fd")).map_err(|e| {
        error(format!(
            "the compositor's connections cannot be seen (process {compositor_pid}): {e}"
        ))
    })?;
    let (own, _) = fds(compositor_pid);
    let file = socket
        .file_name()
        .map(|f| f.as_encoded_bytes().to_vec())
        .unwrap_or_default();
    let peers: Vec<u32> = all
        .iter()
        .filter(|s| s.state == unix_diag::CONNECTED && own.contains(&s.inode))
        .filter(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| !file.is_empty() && n.ends_with(&file))
        })
        .filter_map(|s| s.peer)
        .collect();
    let holders = socket_holders(&peers);
    Ok(peers
        .iter()
        .filter_map(|inode| match holders.get(inode) {
            Some(&pid) if descends_from(pid, app_pid) => None,
            Some(&pid) => Some(Client {
                pid: Some(pid),
                program: comm(pid).unwrap_or_else(|| "unknown".into()),
            }),
            None => Some(Client {
                pid: None,
                program: "a program of another user".into(),
            }),
        })
        .collect())
}

/// Whether the X display `display` refuses a connection (a connection that
/// hangs counts as not refused: it may still answer).
fn x11_refuses(display: &str) -> bool {
    let (tx, rx) = std::sync::mpsc::channel();
    let display = display.to_owned();
    std::thread::spawn(move || {
        let answered = x11rb::rust_connection::RustConnection::connect(Some(&display)).is_ok();
        let _ = tx.send(answered);
    });
    matches!(rx.recv_timeout(Duration::from_secs(5)), Ok(false))
}

/// The session once sealed: the connection that still names the
/// compositor, and what sealing found.
#[derive(Debug)]
struct Sealed {
    _connection: UnixStream,
    compositor: Compositor,
    socket: PathBuf,
    seal_error: Option<String>,
    x11_refused: Option<bool>,
    ended: Vec<Client>,
    input_injection: InputInjection,
}

static SEALED: OnceLock<Sealed> = OnceLock::new();

/// Seals the exam session this process runs in (the compositor that
/// `WAYLAND_DISPLAY` names, the X display `DISPLAY` names): see [`seal_at`].
pub fn seal() -> Result<ExamSession, LockdownError> {
    let socket = socket_from_env()
        .ok_or_else(|| error("no Wayland compositor (WAYLAND_DISPLAY is not set)".into()))?;
    let display = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty());
    seal_at(&socket, display.as_deref())
}

/// Seals the exam session at `socket`: checks the compositor is cage,
/// removes its socket file, checks that no new connection and no X11
/// connection (`x_display`) gets through, and ends the programs already
/// connected that are not this process's (named in `ended_at_seal`). Call
/// once the app's own connections are made (its window, its web process,
/// its screen capture). A second seal returns the first.
pub fn seal_at(socket: &Path, x_display: Option<&str>) -> Result<ExamSession, LockdownError> {
    if SEALED.get().is_none_or(|s| s.socket != socket) {
        let (connection, compositor) = identify(socket)?;
        if !compositor.is_kiosk() {
            return Err(error(format!(
                "the compositor is {}, not {KIOSK_COMPOSITOR}: this is not the exam session",
                compositor.name
            )));
        }
        if let Some(first) = SEALED.get() {
            return Err(error(format!(
                "this app has sealed {} already",
                first.socket.display()
            )));
        }
        // Listed while a new client can still connect: this process's.
        let input_injection = InputInjection::from_globals(wayland::globals(socket));
        let seal_error = match std::fs::remove_file(socket) {
            Ok(()) => None,
            Err(e) => Some(format!("cannot remove {}: {e}", socket.display())),
        };
        let before = other_clients(compositor.pid, socket, std::process::id()).unwrap_or_default();
        let ended = end(&before);
        let _ = SEALED.set(Sealed {
            _connection: connection,
            compositor,
            socket: socket.to_owned(),
            seal_error,
            x11_refused: x_display.map(x11_refuses),
            ended,
            input_injection,
        });
    }
    current().ok_or_else(|| error("the exam session was not sealed".into()))
}

/// The sealed exam session checked now (`None`: this process has not
/// sealed one): whether its socket still refuses, and who is connected.
pub fn current() -> Option<ExamSession> {
    let s = SEALED.get()?;
    let sealed = s.seal_error.is_none() && UnixStream::connect(&s.socket).is_err();
    let other_clients = match other_clients(s.compositor.pid, &s.socket, std::process::id()) {
        Ok(c) => c,
        Err(e) => vec![Client {
            pid: None,
            program: format!("unknown ({e})"),
        }],
    };
    Some(ExamSession {
        compositor: s.compositor.clone(),
        socket: s.socket.display().to_string(),
        sealed,
        seal_error: s.seal_error.clone(),
        x11_refused: s.x11_refused,
        other_clients,
        ended_at_seal: s.ended.clone(),
        input_injection: s.input_injection.clone(),
    })
}

/// Ends `clients` (SIGKILL) and waits up to a second for them to go;
/// returns those ended.
fn end(clients: &[Client]) -> Vec<Client> {
    let ended: Vec<Client> = clients
        .iter()
        .filter(|c| {
            c.pid
                .and_then(|p| rustix::process::Pid::from_raw(p as i32))
                .is_some_and(|pid| {
                    rustix::process::kill_process(pid, rustix::process::Signal::KILL).is_ok()
                })
        })
        .cloned()
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    while std::time::Instant::now() < deadline
        && ended.iter().filter_map(|c| c.pid).any(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                s.rsplit_once(')')
                    .is_some_and(|(_, r)| !r.trim_start().starts_with('Z'))
            })
        })
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    ended
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn what_wlroots_draws_on_follows_its_backends_and_its_parent_display() {
        // Started from the login screen: DRM, no parent display.
        assert_eq!(draws_on(true, None, false), DrawsOn::Screen);
        // Started inside a desktop: it nests, whatever it holds.
        assert_eq!(draws_on(false, None, true), DrawsOn::Nested);
        assert_eq!(draws_on(true, Some("drm,wayland"), false), DrawsOn::Nested);
        assert_eq!(draws_on(false, Some("x11"), false), DrawsOn::Nested);
        // The test rig.
        assert_eq!(draws_on(false, Some("headless"), true), DrawsOn::Headless);
        assert_eq!(
            draws_on(false, Some(" headless,libinput "), false),
            DrawsOn::Headless
        );
        assert_eq!(draws_on(false, None, false), DrawsOn::Unknown);
    }

    fn session() -> ExamSession {
        ExamSession {
            compositor: Compositor {
                pid: 10,
                name: "cage".into(),
                program: Some("/usr/bin/cage".into()),
                draws_on: DrawsOn::Screen,
                preload: None,
            },
            socket: "/run/user/1000/wayland-0".into(),
            sealed: true,
            seal_error: None,
            x11_refused: Some(true),
            other_clients: Vec::new(),
            ended_at_seal: Vec::new(),
            input_injection: InputInjection::from_globals(Ok(vec!["wl_seat".into()])),
        }
    }

    #[test]
    fn input_protocols_offered_are_named_and_weaken_only_with_another_program_connected() {
        let mut s = session();
        assert!(s.input_injection.checked);
        assert!(s.input_injection.offered.is_empty());
        assert!(
            s.summary().contains("offers no protocol to type or point"),
            "{}",
            s.summary()
        );
        s.input_injection = InputInjection::from_globals(Ok(vec![
            "wl_seat".into(),
            "zwp_virtual_keyboard_manager_v1".into(),
            "zwlr_virtual_pointer_manager_v1".into(),
        ]));
        assert_eq!(
            s.input_injection.offered,
            [
                "zwp_virtual_keyboard_manager_v1",
                "zwlr_virtual_pointer_manager_v1"
            ]
        );
        // Sealed with no other program: nobody is there to use them.
        assert!(s.holds());
        assert!(
            s.summary().contains(
                "offers a virtual keyboard, a virtual pointer to its clients, the exam app alone"
            ),
            "{}",
            s.summary()
        );
        s.other_clients.push(Client {
            pid: Some(7),
            program: "wtype".into(),
        });
        let words = s.weaknesses().join("\n");
        assert!(
            words.contains("wtype (7) (they can type and point through a virtual keyboard"),
            "{words}"
        );
        let unread = InputInjection::from_globals(Err("no answer".into()));
        assert!(!unread.checked);
        s.input_injection = unread;
        assert!(
            s.summary().contains("were not checked (no answer)"),
            "{}",
            s.summary()
        );
    }

    #[test]
    fn a_sealed_session_on_the_screen_holds_and_each_weakness_is_named() {
        let s = session();
        assert!(s.holds());
        assert!(
            s.summary().contains("the exam is the only program"),
            "{}",
            s.summary()
        );
        let mut w = session();
        w.compositor.draws_on = DrawsOn::Nested;
        w.compositor.program = Some("/tmp/cage".into());
        w.sealed = false;
        w.x11_refused = Some(false);
        w.compositor.preload = Some("/tmp/hook.so".into());
        w.other_clients.push(Client {
            pid: Some(42),
            program: "wayvnc".into(),
        });
        let words = w.weaknesses().join("\n");
        for want in [
            "not the installed /usr/bin/cage but /tmp/cage",
            "a window inside another desktop",
            "not sealed",
            "Xwayland answers",
            "LD_PRELOAD=/tmp/hook.so",
            "wayvnc (42)",
        ] {
            assert!(words.contains(want), "{want} in {words}");
        }
        assert!(!w.holds());
        assert!(w.summary().contains("weakened"), "{}", w.summary());
    }

    /// Not seeing the compositor's connections is not the same as it having
    /// none: the session is then weakened, never taken as sealed and alone.
    #[test]
    fn a_compositor_whose_connections_cannot_be_seen_is_an_error() {
        let gone = u32::MAX - 1;
        let err = other_clients(gone, Path::new("/run/user/1000/wayland-0"), 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot be seen"), "{err}");
    }

    #[test]
    fn this_process_descends_from_itself_and_its_parent_not_from_a_stranger() {
        let me = std::process::id();
        assert!(descends_from(me, me));
        assert!(descends_from(me, parent(me).unwrap()));
        assert!(descends_from(me, 1));
        let child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        assert!(descends_from(child.id(), me));
        assert!(!descends_from(me, child.id()));
        let mut child = child;
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
