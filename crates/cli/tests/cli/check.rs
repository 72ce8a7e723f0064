//! `paraakh check` on the headless rig: a desktop with a microphone and no
//! camera, a prohibited program, a VNC session, SSH, two monitors.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use paraakh_test_rig::{Audio, Display, Wayland, require};

use super::{BIN, json, p, stderr};

/// A policy on the `standard` preset without the webcam (no camera exists
/// on the rig), written into `dir`.
fn policy_without_camera(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("policy.toml");
    std::fs::write(
        &path,
        "preset = \"standard\"\nname = \"Check test\"\n\n[face]\nenabled = false\n",
    )
    .unwrap();
    path
}

fn models() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// `paraakh check --json` on `display` (and the audio server, if any).
fn check(
    display: &Display,
    audio: Option<&Audio>,
    args: &[&str],
) -> (Option<i32>, serde_json::Value) {
    let mut cmd = display.command(BIN);
    if let Some(a) = audio {
        cmd.env("XDG_RUNTIME_DIR", a.runtime_dir())
            .env("HOME", a.runtime_dir());
    }
    let out = cmd
        .env_remove("SSH_CONNECTION")
        .env_remove("SSH_CLIENT")
        .env_remove("SSH_TTY")
        .env("PARAAKH_MODELS", models())
        .args(["check", "--json", "--listen", "0.5"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        stderr(&out)
    );
    (out.status.code(), json(&out))
}

fn item<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}: {report}"))
}

/// One check at a time: a check sees every program on the machine, so the
/// VNC server or the prohibited program of one test would show in another.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_ready_desktop_passes_and_a_prohibited_program_blocks_until_closed() {
    let _serial = serial();
    if !require(
        "paraakh check on the rig",
        &["Xvfb", "pulseaudio", "pactl", "paplay", "sox", "xdotool"],
    ) {
        return;
    }
    if std::env::var_os("PARAAKH_ONNXRUNTIME").is_none() {
        paraakh_test_rig::skip("PARAAKH_ONNXRUNTIME not set (./scripts/test sets it)");
        return;
    }
    let display = Display::xvfb(1280, 720).unwrap();
    let audio = Audio::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_without_camera(dir.path());
    // A short exam: the free space it needs (20 MB, "ok" from 80 MB) is
    // there on any test machine, however full its disk is with builds.
    let args = [
        "--policy",
        p(&policy),
        "--data-dir",
        p(dir.path()),
        "--exam-length",
        "10m",
    ];

    // Another copy of Paraakh, renamed, runs meanwhile: the catalogue it
    // carries must not make it look like a prohibited program.
    let copy = dir.path().join("exam-helper");
    std::fs::copy(BIN, &copy).unwrap();
    let shots = dir.path().join("shots");
    let _other_paraakh = Running(
        display
            .command(&copy)
            .args([
                "capture",
                "screen",
                "--frames",
                "100",
                "--interval",
                "1",
                "--out",
                p(&shots),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Someone speaks (a tone) while the check listens.
    let tone = dir.path().join("tone.wav");
    let made = Command::new("sox")
        .args([
            "-n",
            "-r",
            "48000",
            "-c",
            "2",
            p(&tone),
            "synth",
            "6",
            "sine",
            "440",
            "vol",
            "0.3",
        ])
        .status()
        .unwrap();
    assert!(made.success());
    let _playing = Running(audio.command("paplay").arg(&tone).spawn().unwrap());
    let (code, report) = check(&display, Some(&audio), &args);
    // Xvfb is a virtual display: said, and only a warning.
    let session = item(&report, "session_type");
    assert_eq!(session["status"], "warning", "{report:#}");
    assert!(
        session["detail"]
            .as_str()
            .unwrap()
            .contains("served by Xvfb"),
        "{session}"
    );
    for id in [
        "camera",
        "microphone",
        "screen_capture",
        "displays",
        "remote_session",
        "processes",
        "disk_space",
        "clock",
        "detection",
    ] {
        assert_eq!(item(&report, id)["status"], "ok", "{id}: {report:#}");
    }
    // Offline is allowed by the preset: an unknown server only warns.
    assert_eq!(item(&report, "backend")["status"], "warning");
    assert_eq!(
        (code, report["ready"].as_bool()),
        (Some(0), Some(true)),
        "{report:#}"
    );

    // A renamed automation tool: found by its content, and the start blocks.
    let exe = dir.path().join("notes-sync");
    std::fs::copy("/usr/bin/xdotool", &exe).unwrap();
    let _tool = Running(
        display
            .command(&exe)
            .args(["sleep", "60"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (code, report) = check(&display, Some(&audio), &args);
    let processes = item(&report, "processes");
    assert_eq!(processes["status"], "blocking", "{report:#}");
    assert!(
        processes["detail"]
            .as_str()
            .unwrap()
            .contains("xdotool (notes-sync"),
        "{processes}"
    );
    assert!(
        processes["fix"]
            .as_str()
            .unwrap()
            .starts_with("close xdotool"),
        "{processes}"
    );
    assert_eq!(code, Some(1));
}

#[test]
fn the_camera_the_standard_policy_needs_blocks_when_missing() {
    let _serial = serial();
    if !require("paraakh check on Xvfb", &["Xvfb"]) {
        return;
    }
    let display = Display::xvfb(1024, 768).unwrap();
    let (code, report) = check(&display, None, &["--preset", "standard"]);
    let camera = item(&report, "camera");
    assert_eq!(camera["status"], "blocking", "{report:#}");
    assert!(camera["fix"].as_str().unwrap().contains("connect a webcam"));
    assert_eq!(code, Some(1));
}

#[test]
fn a_vnc_desktop_and_an_ssh_login_are_remote_sessions() {
    let _serial = serial();
    if !require("paraakh check on a VNC server", &["Xtigervnc", "Xvfb"]) {
        return;
    }
    // Xtigervnc is an X server whose screen is served over VNC.
    let dir = tempfile::tempdir().unwrap();
    let vnc = {
        let mut cmd = Command::new("Xtigervnc");
        cmd.args([
            "-displayfd",
            "1",
            "-SecurityTypes",
            "None",
            "-localhost",
            "-rfbport",
            "-1",
            "-geometry",
            "1024x768",
        ])
        .current_dir(dir.path());
        paraakh_test_rig::Display::start(cmd, "Xtigervnc").unwrap()
    };
    let (code, report) = check(&vnc, None, &["--preset", "standard"]);
    let remote = item(&report, "remote_session");
    assert_eq!(remote["status"], "blocking", "{report:#}");
    assert!(
        remote["detail"].as_str().unwrap().contains("VNC"),
        "{remote}"
    );
    assert_eq!(code, Some(1));

    let display = Display::xvfb(1024, 768).unwrap();
    let out = display
        .command(BIN)
        .env("SSH_CONNECTION", "192.0.2.10 51000 192.0.2.20 22")
        .args(["check", "--json", "--preset", "lenient", "--listen", "0.5"])
        .output()
        .unwrap();
    let report = json(&out);
    let remote = item(&report, "remote_session");
    assert_eq!(remote["status"], "blocking", "{report:#}");
    assert!(
        remote["detail"]
            .as_str()
            .unwrap()
            .contains("SSH_CONNECTION=192.0.2.10"),
        "{remote}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn two_monitors_block_an_exam_that_allows_one() {
    let _serial = serial();
    if !require("paraakh check with two monitors", &["Xorg", "xrandr"]) {
        return;
    }
    let display = Display::two_monitors(1024, 768).unwrap();
    let (code, report) = check(&display, None, &["--preset", "standard"]);
    let displays = item(&report, "displays");
    assert_eq!(displays["status"], "blocking", "{report:#}");
    assert!(
        displays["detail"]
            .as_str()
            .unwrap()
            .starts_with("2 displays"),
        "{displays}"
    );
    assert_eq!(code, Some(1));
}

#[test]
fn a_bad_policy_or_preset_is_a_usage_error() {
    let out = Command::new(BIN)
        .args(["check", "--preset", "harsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no preset \"harsh\""),
        "{}",
        stderr(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("p.toml");
    std::fs::write(&bad, "preset = \"standard\"\n[face]\nenabled = \"yes\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["check", "--policy", p(&bad)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a valid policy"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_wayland_desktop_blocks_a_strict_exam_and_warns_a_standard_one() {
    let _serial = serial();
    for (preset, want) in [("strict", "blocking"), ("standard", "warning")] {
        let out = Command::new(BIN)
            .env("WAYLAND_DISPLAY", "wayland-0")
            .args(["check", "--json", "--listen", "0.5", "--preset", preset])
            .output()
            .unwrap();
        let report = json(&out);
        let session = item(&report, "session_type");
        assert_eq!(session["status"], want, "{preset}: {report:#}");
        assert!(
            session["detail"].as_str().unwrap().starts_with("Wayland"),
            "{session}"
        );
        assert!(
            session["fix"]
                .as_str()
                .unwrap()
                .contains("choose Paraakh exam at the login screen"),
            "{session}"
        );
    }
}

/// A candidate on a Wayland desktop hides it: `WAYLAND_DISPLAY` and
/// `XDG_SESSION_TYPE` removed, the app pointed at the Xwayland display.
/// The compositor's socket (and, without the runtime directory, the X
/// server itself) still says Wayland; the strict preset refuses, and the
/// environment's contrary word is kept as a disagreement.
#[test]
fn a_wayland_desktop_with_its_environment_removed_is_still_seen() {
    if !require("paraakh check on weston", &["weston", "Xwayland"]) {
        return;
    }
    let _serial = serial();
    let wayland = Wayland::start().unwrap();
    for with_runtime_dir in [true, false] {
        let mut cmd = Command::new(BIN);
        cmd.env_remove("WAYLAND_DISPLAY")
            .env_remove("XDG_SESSION_TYPE")
            .env("DISPLAY", wayland.x_display());
        if with_runtime_dir {
            cmd.env("XDG_RUNTIME_DIR", wayland.runtime_dir());
        } else {
            cmd.env_remove("XDG_RUNTIME_DIR");
        }
        let out = cmd
            .args(["check", "--json", "--listen", "0.5", "--preset", "strict"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let report = json(&out);
        let what = if with_runtime_dir {
            "with the runtime dir"
        } else {
            "without it"
        };
        assert_eq!(report["session"]["kind"], "wayland", "{what}: {report:#}");
        let disagreement = report["session"]["disagreement"].as_str().unwrap();
        assert!(
            disagreement.contains("the environment says X11"),
            "{what}: {disagreement}"
        );
        let session = item(&report, "session_type");
        assert_eq!(session["status"], "blocking", "{what}: {session}");
        assert!(
            session["detail"].as_str().unwrap().starts_with("Wayland"),
            "{session}"
        );
        let witness = report["session"]["decided_by"].as_str().unwrap();
        if with_runtime_dir {
            // The X server (Xwayland) is asked before the socket.
            assert!(
                ["x_server", "compositor_socket"].contains(&witness),
                "{witness}"
            );
        } else {
            assert_eq!(witness, "x_server");
        }
    }
}

/// X11, by its server and its environment alike; the server is Xvfb, a
/// virtual display, which the check says.
#[test]
fn an_x11_desktop_is_x11_by_its_server_and_its_environment() {
    if !require("paraakh check on Xvfb", &["Xvfb"]) {
        return;
    }
    let _serial = serial();
    let display = Display::xvfb(800, 600).unwrap();
    let out = display
        .command(BIN)
        .env_remove("XDG_SESSION_TYPE")
        .env_remove("XDG_RUNTIME_DIR")
        .args(["check", "--json", "--listen", "0.5", "--preset", "strict"])
        .output()
        .unwrap();
    let report = json(&out);
    assert_eq!(report["session"]["kind"], "x11", "{report:#}");
    // On a machine with a logind session, logind answers first.
    let witness = report["session"]["decided_by"].as_str().unwrap();
    assert!(["x_server", "logind"].contains(&witness), "{witness}");
    assert!(
        report["session"].get("disagreement").is_none(),
        "{report:#}"
    );
    assert_eq!(report["session"]["x_server"], "Xvfb");
    // A virtual display: a warning that says so, never silence.
    let session = item(&report, "session_type");
    assert_eq!(session["status"], "warning");
    assert!(
        session["detail"]
            .as_str()
            .unwrap()
            .contains("nested or virtual X server"),
        "{session}"
    );
}
