//! The exam session's compositor, cage on its headless backend: identified
//! by the kernel, sealed so a program started afterwards cannot connect,
//! a program that connected before named and ended, its Xwayland refused;
//! and a compositor that is not cage refused as an exam session.

use std::ffi::OsStr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use paraakh_lockdown::exam_session::{self, DrawsOn};
use paraakh_test_rig::{Cage, Wayland, require};

/// A Wayland client started so that it is nobody's child here (the shell
/// that starts it ends at once): as another program of the candidate's
/// would be. Returns its process id.
fn stranger(cage: &Cage, program: &str) -> u32 {
    let out = cage
        .command("sh")
        .args(["-c", &format!("{program} >/dev/null 2>&1 & echo $!")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
    })
}

#[test]
fn the_exam_session_is_sealed_and_a_program_connected_before_is_named_and_ended() {
    if !require(
        "the exam session in cage",
        &[
            "cage",
            "unshare",
            "weston-simple-shm",
            "weston-info",
            "xprop",
        ],
    ) {
        return;
    }
    let display_file = tempfile::NamedTempFile::new().unwrap();
    // cage's own application writes down the X display cage gives it.
    let script = format!(
        "echo \"$DISPLAY\" > {}; exec sleep 120",
        display_file.path().display()
    );
    let cage = Cage::start(
        &[OsStr::new("sh"), OsStr::new("-c"), OsStr::new(&script)],
        &[],
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let x_display = loop {
        let d = std::fs::read_to_string(display_file.path()).unwrap_or_default();
        if !d.trim().is_empty() {
            break d.trim().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "cage's application did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };

    // Connected before the seal, and not the exam app's.
    let early = stranger(&cage, "weston-simple-shm");
    let deadline = Instant::now() + Duration::from_secs(10);
    while exam_session::other_clients(cage.pid(), &cage.socket(), std::process::id())
        .unwrap()
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "weston-simple-shm did not connect"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let session = exam_session::seal_at(&cage.socket(), Some(&x_display)).unwrap();
    assert_eq!(session.compositor.name, "cage");
    assert_eq!(session.compositor.pid, cage.pid());
    assert_eq!(session.compositor.draws_on, DrawsOn::Headless);
    assert!(session.sealed, "{session:?}");
    assert_eq!(session.x11_refused, Some(true), "Xwayland answered");
    assert!(!cage.socket().exists());
    // The program that came before is ended, and named.
    assert_eq!(session.ended_at_seal.len(), 1, "{session:?}");
    assert_eq!(session.ended_at_seal[0].pid, Some(early));
    assert!(!alive(early), "{early} was not ended");
    assert!(session.other_clients.is_empty(), "{session:?}");
    // Its input protocols were read from its registry before the seal.
    // Debian 12's cage (0.1.4) offers no virtual keyboard, virtual pointer
    // or input method; a later cage that does is named here first.
    assert!(session.input_injection.checked, "{session:?}");
    assert!(
        session.input_injection.offered.is_empty(),
        "{:?}",
        session.input_injection
    );
    assert!(session.holds(), "{}", session.summary());
    let summary = session.summary();
    assert!(
        summary.contains("the exam is the only program on screen"),
        "{summary}"
    );
    assert!(
        summary.contains("it offers no protocol to type or point for another program"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("connected before it: weston-simple-s ({early})")),
        "{summary}"
    );

    // A program started now cannot connect at all.
    let late = cage.command("weston-info").output().unwrap();
    assert!(!late.status.success(), "a client connected after the seal");
    // Nor an X program.
    let x = Command::new("xprop")
        .args(["-root", "-display", &x_display])
        .output()
        .unwrap();
    assert!(!x.status.success(), "an X client got through");
    // This process's own connection (the seal's) is not another program.
    assert!(exam_session::current().unwrap().other_clients.is_empty());

    // The session type says so.
    let t = paraakh_lockdown::session_type::detect();
    assert_eq!(
        t.lockdown,
        paraakh_lockdown::session_type::Lockdown::ExamSession,
        "{}",
        t.summary()
    );
    assert!(
        t.summary().starts_with("exam session (cage)"),
        "{}",
        t.summary()
    );
}

/// A candidate's own desktop compositor is no exam session, whatever the
/// environment claims.
#[test]
fn a_compositor_that_is_not_cage_is_not_an_exam_session() {
    if !require("a compositor that is not cage", &["weston"]) {
        return;
    }
    let weston = Wayland::start().unwrap();
    let socket = weston.runtime_dir().join("wayland-1");
    let (_c, compositor) = exam_session::identify(&socket).unwrap();
    assert_eq!(compositor.name, "weston");
    let err = exam_session::seal_at(&socket, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("the compositor is weston, not cage"), "{err}");
    assert!(socket.exists(), "a refused seal removed the socket");
}
