//! Remote sessions: is someone else's machine where the exam is really
//! shown or typed into? Signals, each with its reason:
//!
//! - SSH: `SSH_CONNECTION` / `SSH_CLIENT` / `SSH_TTY` in this program's or
//!   an ancestor's environment, or an `sshd` ancestor;
//! - X11 forwarding: a `DISPLAY` with a host part (`localhost:10.0`);
//! - VNC: the X server has the `VNC-EXTENSION` extension (TigerVNC,
//!   TightVNC, RealVNC X servers), or is one of their programs;
//! - RDP: `XRDP_SESSION`, an `xrdp-sesman` ancestor, an X server run by
//!   xrdp;
//! - the login session marked remote by systemd-logind;
//! - screen sharing: a desktop-sharing server running (x11vnc, krfb,
//!   GNOME Remote Desktop, TeamViewer, AnyDesk, RustDesk, Chrome Remote
//!   Desktop).
//!
//! - a screen share granted through the desktop portal (Wayland, and X11
//!   desktops that use it): the compositor's video stream in the user's
//!   PipeWire graph (`pw-dump`), such as GNOME's `meta-screen-cast-src`.
//!
//! Not visible to any program: a camera or capture card pointed at the
//! screen.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::process::ProcessInfo;

/// What was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteReport {
    /// A remote session: the exam is shown on or typed from another machine.
    pub remote_session: Vec<String>,
    /// The screen is being shared or can be watched right now.
    pub screen_sharing: Vec<String>,
}

impl RemoteReport {
    /// Nothing found.
    pub fn is_clear(&self) -> bool {
        self.remote_session.is_empty() && self.screen_sharing.is_empty()
    }
}

/// The X server the exam's display is on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XServer {
    /// Its vendor string.
    pub vendor: String,
    /// Extensions it has (names).
    pub extensions: Vec<String>,
    /// Its process, when it could be found.
    pub process: Option<ProcessInfo>,
}

/// What the assessment looks at (gathered from the system by [`gather`],
/// or made up by tests).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// This program's environment.
    pub env: HashMap<String, String>,
    /// Its ancestors, parent first, with their environments where readable.
    pub ancestors: Vec<(ProcessInfo, HashMap<String, String>)>,
    /// Every process (for desktop-sharing servers).
    pub processes: Vec<ProcessInfo>,
    /// The X server of `DISPLAY`, if any.
    pub x_server: Option<XServer>,
    /// The systemd-logind session record, if any (`KEY=value` lines).
    pub logind_session: Option<String>,
    /// The user's PipeWire graph as `pw-dump` prints it, if PipeWire runs.
    pub pipewire_dump: Option<String>,
}

const SSH_VARS: [&str; 3] = ["SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"];
const VNC_SERVERS: [&str; 6] = [
    "xvnc",
    "xtigervnc",
    "xtightvnc",
    "xvnc4",
    "xrealvnc",
    "vncserver-x11",
];
/// Catalogue programs that let someone watch or control this desktop.
const SHARING_PROGRAMS: [&str; 7] = [
    "x11vnc",
    "krfb",
    "gnome-remote-desktop",
    "teamviewer",
    "anydesk",
    "rustdesk",
    "chrome-remote-desktop",
];

fn exe_name(p: &ProcessInfo) -> String {
    p.exe
        .as_ref()
        .and_then(|e| e.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or(&p.name)
        .trim_end_matches(" (deleted)")
        .to_lowercase()
}

/// Decides from `inputs`.
pub fn assess(inputs: &Inputs, matcher: &crate::process::Matcher) -> RemoteReport {
    let mut remote = Vec::new();
    let ssh_env = |env: &HashMap<String, String>| {
        SSH_VARS.iter().find_map(|v| {
            env.get(*v)
                .filter(|s| !s.is_empty())
                .map(|s| (*v, s.clone()))
        })
    };
    if let Some((var, value)) = ssh_env(&inputs.env) {
        remote.push(format!("running over SSH ({var}={value})"));
    } else if let Some((p, (var, value))) = inputs
        .ancestors
        .iter()
        .find_map(|(p, env)| ssh_env(env).map(|found| (p, found)))
    {
        remote.push(format!(
            "started from an SSH session ({var}={value} in {} [{}])",
            p.name, p.pid
        ));
    }
    if let Some((p, _)) = inputs.ancestors.iter().find(|(p, _)| exe_name(p) == "sshd")
        && remote.is_empty()
    {
        remote.push(format!("started by the SSH server (sshd [{}])", p.pid));
    }
    if let Some(display) = inputs.env.get("DISPLAY")
        && let Some((host, _)) = display.rsplit_once(':')
        && !host.is_empty()
        && !host.starts_with('/')
        && host != "unix"
    {
        remote.push(format!(
            "the display {display} is on host \"{host}\" (X11 forwarding or a remote X display)"
        ));
    }
    if let Some(x) = &inputs.x_server {
        if x.extensions.iter().any(|e| e == "VNC-EXTENSION") {
            remote.push(format!(
                "the display is a VNC server ({}, VNC-EXTENSION): it is shown on another machine",
                x.vendor
            ));
        } else if let Some(p) = &x.process {
            let name = exe_name(p);
            if VNC_SERVERS.contains(&name.as_str()) {
                remote.push(format!("the display is a VNC server ({name} [{}])", p.pid));
            } else if p.cmdline.iter().any(|a| a.to_lowercase().contains("xrdp")) {
                remote.push(format!(
                    "the display is an xrdp session ({name} [{}])",
                    p.pid
                ));
            }
        }
    }
    if inputs
        .env
        .get("XRDP_SESSION")
        .is_some_and(|v| !v.is_empty())
    {
        remote.push("running in an RDP session (XRDP_SESSION)".into());
    } else if let Some((p, _)) = inputs
        .ancestors
        .iter()
        .find(|(p, _)| matches!(exe_name(p).as_str(), "xrdp-sesman" | "xrdp"))
    {
        remote.push(format!("started by xrdp ({} [{}])", p.name, p.pid));
    }
    if let Some(session) = &inputs.logind_session {
        let field = |k: &str| {
            session
                .lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .map(str::trim)
        };
        if field("REMOTE") == Some("1") {
            let host = field("REMOTE_HOST").unwrap_or("unknown host");
            let service = field("SERVICE").unwrap_or("unknown service");
            remote.push(format!(
                "the login session is remote (from {host} through {service})"
            ));
        }
    }
    let mut sharing = Vec::new();
    for p in &inputs.processes {
        if let Some(m) = matcher.check(p, None)
            && SHARING_PROGRAMS.contains(&m.program_id.as_str())
        {
            sharing.push(format!("{} is running ({} [{}])", m.program, p.name, p.pid));
        }
    }
    if let Some(dump) = &inputs.pipewire_dump {
        sharing.extend(screencasts_in_pw_dump(dump));
    }
    RemoteReport {
        remote_session: remote,
        screen_sharing: sharing,
    }
}

/// Names of compositor and portal screen-cast streams.
const SCREENCAST_NAMES: [&str; 7] = [
    "meta-screen-cast",
    "screencast",
    "screen-cast",
    "xdpw",
    "kwin",
    "gnome-shell",
    "xdg-desktop-portal",
];

/// The screen shares in a `pw-dump` document: video streams and sources
/// that a compositor or desktop portal made.
pub fn screencasts_in_pw_dump(dump: &str) -> Vec<String> {
    let Ok(serde_json::Value::Array(objects)) = serde_json::from_str(dump) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for o in &objects {
        if o["type"] != "PipeWire:Interface:Node" {
            continue;
        }
        let props = &o["info"]["props"];
        let text = |k: &str| props[k].as_str().unwrap_or("");
        if !matches!(text("media.class"), "Stream/Output/Video" | "Video/Source") {
            continue;
        }
        let names = [
            text("media.name"),
            text("node.name"),
            text("application.name"),
        ];
        let is_screencast = names.iter().any(|n| {
            let n = n.to_lowercase();
            SCREENCAST_NAMES.iter().any(|s| n.contains(s))
        });
        if is_screencast {
            found.push(format!(
                "a screen share is open through the desktop ({} from {}, {})",
                text("media.name"),
                text("node.name"),
                o["info"]["state"].as_str().unwrap_or("unknown state")
            ));
        }
    }
    found
}

/// How long `pw-dump` may take.
const PW_DUMP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The user's PipeWire graph (`pw-dump`), when PipeWire runs and the
/// program is there; `runtime_dir` overrides `XDG_RUNTIME_DIR`.
pub fn pipewire_dump(runtime_dir: Option<&Path>) -> Option<String> {
    use std::io::Read;
    let mut cmd = std::process::Command::new("pw-dump");
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if let Some(dir) = runtime_dir {
        cmd.env("XDG_RUNTIME_DIR", dir);
    }
    let mut child = cmd.spawn().ok()?;
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let deadline = std::time::Instant::now() + PW_DUMP_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if std::time::Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    reader.join().ok()
}

/// Reads a process's environment (`/proc/PID/environ`), when allowed.
fn environ(pid: u32) -> HashMap<String, String> {
    let Ok(bytes) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return HashMap::new();
    };
    bytes
        .split(|b| *b == 0)
        .filter_map(|kv| {
            let kv = std::str::from_utf8(kv).ok()?;
            let (k, v) = kv.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// The X server process for display `:N` (an X server whose command line
/// names it).
fn x_server_process(display: &str, processes: &[ProcessInfo]) -> Option<ProcessInfo> {
    let number = display.rsplit_once(':')?.1.split('.').next()?;
    let wanted = format!(":{number}");
    processes
        .iter()
        .find(|p| {
            let name = exe_name(p);
            (name.starts_with('x') || name.starts_with("vnc"))
                && p.cmdline.iter().skip(1).any(|a| *a == wanted)
        })
        .cloned()
}

/// Gathers [`Inputs`] from this system: this program's environment and
/// ancestors, every process, the X server of `DISPLAY` (vendor and
/// extensions through `x_server`), and the logind session.
pub fn gather(
    processes: Vec<ProcessInfo>,
    x_server: Option<(String, Vec<String>)>,
    root: &Path,
) -> Inputs {
    let env: HashMap<String, String> = std::env::vars().collect();
    let by_pid: HashMap<u32, &ProcessInfo> = processes.iter().map(|p| (p.pid, p)).collect();
    let mut ancestors = Vec::new();
    let mut next = by_pid.get(&std::process::id()).and_then(|p| p.parent);
    while let Some(pid) = next {
        let Some(p) = by_pid.get(&pid) else { break };
        if ancestors.len() > 64 {
            break;
        }
        ancestors.push(((*p).clone(), environ(pid)));
        next = p.parent.filter(|&pp| pp != pid);
    }
    let x_server = x_server.map(|(vendor, extensions)| XServer {
        vendor,
        extensions,
        process: env
            .get("DISPLAY")
            .and_then(|d| x_server_process(d, &processes)),
    });
    let logind_session = env
        .get("XDG_SESSION_ID")
        .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric()))
        .and_then(|id| std::fs::read_to_string(root.join("run/systemd/sessions").join(id)).ok());
    Inputs {
        env,
        ancestors,
        processes,
        x_server,
        logind_session,
        pipewire_dump: pipewire_dump(None),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::process::Matcher;

    fn matcher() -> Matcher {
        let text = paraakh_policy::presets::text("standard").unwrap();
        Matcher::from_policy(&paraakh_policy::parse(text).unwrap().processes)
    }

    fn proc_(pid: u32, exe: &str, cmdline: &[&str]) -> ProcessInfo {
        ProcessInfo {
            pid,
            parent: Some(1),
            name: exe.rsplit('/').next().unwrap().to_owned(),
            exe: Some(exe.into()),
            cmdline: cmdline.iter().map(|s| (*s).to_owned()).collect(),
            uid: Some(1000),
            start_time: 0,
        }
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_local_desktop_is_clear() {
        let inputs = Inputs {
            env: env(&[("DISPLAY", ":0")]),
            ancestors: vec![(
                proc_(900, "/usr/bin/gnome-shell", &["gnome-shell"]),
                env(&[]),
            )],
            processes: vec![proc_(
                500,
                "/usr/lib/xorg/Xorg",
                &["/usr/lib/xorg/Xorg", ":0"],
            )],
            x_server: Some(XServer {
                vendor: "The X.Org Foundation".into(),
                extensions: vec!["RANDR".into()],
                process: Some(proc_(
                    500,
                    "/usr/lib/xorg/Xorg",
                    &["/usr/lib/xorg/Xorg", ":0"],
                )),
            }),
            logind_session: Some("TYPE=x11\nREMOTE=0\n".into()),
            pipewire_dump: Some("[]".into()),
        };
        let r = assess(&inputs, &matcher());
        assert!(r.is_clear(), "{r:?}");
    }

    #[test]
    fn ssh_x_forwarding_vnc_rdp_logind_and_sharing_are_each_reported() {
        let m = matcher();
        let only = |inputs: Inputs| assess(&inputs, &m);
        let r = only(Inputs {
            env: env(&[
                ("SSH_CONNECTION", "10.0.0.9 50022 10.0.0.2 22"),
                ("DISPLAY", "localhost:10.0"),
            ]),
            ..Inputs::default()
        });
        assert_eq!(r.remote_session.len(), 2, "{r:?}");
        assert!(r.remote_session[0].contains("SSH_CONNECTION=10.0.0.9"));
        assert!(r.remote_session[1].contains("host \"localhost\""));
        // Inherited from an ancestor whose environment says so.
        let r = only(Inputs {
            ancestors: vec![(
                proc_(77, "/usr/bin/bash", &["bash"]),
                env(&[("SSH_TTY", "/dev/pts/3")]),
            )],
            ..Inputs::default()
        });
        assert!(r.remote_session[0].contains("bash [77]"), "{r:?}");
        let r = only(Inputs {
            ancestors: vec![(proc_(60, "/usr/sbin/sshd", &["sshd: user"]), env(&[]))],
            ..Inputs::default()
        });
        assert!(r.remote_session[0].contains("sshd [60]"), "{r:?}");
        let r = only(Inputs {
            x_server: Some(XServer {
                vendor: "The X.Org Foundation".into(),
                extensions: vec!["VNC-EXTENSION".into()],
                process: None,
            }),
            ..Inputs::default()
        });
        assert!(r.remote_session[0].contains("VNC server"), "{r:?}");
        let r = only(Inputs {
            env: env(&[("XRDP_SESSION", "1")]),
            ..Inputs::default()
        });
        assert!(r.remote_session[0].contains("RDP"), "{r:?}");
        let r = only(Inputs {
            logind_session: Some("REMOTE=1\nREMOTE_HOST=192.0.2.7\nSERVICE=sshd\n".into()),
            ..Inputs::default()
        });
        assert!(
            r.remote_session[0].contains("from 192.0.2.7 through sshd"),
            "{r:?}"
        );
        let r = only(Inputs {
            processes: vec![proc_(321, "/usr/bin/x11vnc", &["x11vnc", "-forever"])],
            ..Inputs::default()
        });
        assert!(r.remote_session.is_empty());
        assert!(r.screen_sharing[0].contains("x11vnc"), "{r:?}");
    }

    #[test]
    fn portal_screen_shares_are_found_in_the_pipewire_graph() {
        // As GNOME shows one in `pw-dump`, next to a camera and a speaker.
        let dump = r#"[
          {"id": 30, "type": "PipeWire:Interface:Node", "info": {"state": "running",
            "props": {"media.class": "Video/Source", "node.name": "v4l2_input.usb-cam"}}},
          {"id": 47, "type": "PipeWire:Interface:Node", "info": {"state": "running",
            "props": {"media.class": "Stream/Output/Video", "media.name": "meta-screen-cast-src", "node.name": "gnome-shell"}}},
          {"id": 50, "type": "PipeWire:Interface:Node", "info": {"state": "idle",
            "props": {"media.class": "Audio/Sink", "node.name": "speakers"}}},
          {"id": 60, "type": "PipeWire:Interface:Link", "info": {}}
        ]"#;
        let found = screencasts_in_pw_dump(dump);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("meta-screen-cast-src from gnome-shell, running"));
        for garbage in ["", "{}", "[1, 2]", "not json", "[{\"type\": 5}]"] {
            assert!(screencasts_in_pw_dump(garbage).is_empty());
        }
    }

    #[test]
    fn the_x_server_of_a_display_is_found_by_its_command_line() {
        let ps = vec![
            proc_(
                10,
                "/usr/bin/Xvfb",
                &["Xvfb", ":1", "-screen", "0", "640x480x24"],
            ),
            proc_(
                11,
                "/usr/bin/Xtigervnc",
                &["/usr/bin/Xtigervnc", ":2", "-rfbport", "5902"],
            ),
        ];
        assert_eq!(x_server_process(":2.0", &ps).map(|p| p.pid), Some(11));
        assert_eq!(x_server_process(":1", &ps).map(|p| p.pid), Some(10));
        assert_eq!(x_server_process(":3", &ps), None);
        assert_eq!(x_server_process("garbage", &ps), None);
    }
}
