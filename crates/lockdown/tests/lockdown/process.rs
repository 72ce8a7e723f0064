//! The process guard against real programs from the blocklist (xdotool,
//! x11vnc), under their own names and renamed, on an Xvfb display.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use paraakh_evidence::clock::SystemClock;
use paraakh_lockdown::process::{
    ContentScanner, EndOutcome, Finding, MatchedBy, Matcher, ProcessGuard, ProcessInfo,
    ProcessWatch, WatchOptions, WatchSource,
};
use paraakh_test_rig::{Display, require};

use super::{Running, standard_processes};

/// A marker as the catalogue keeps it (backwards), read forwards: written
/// plainly here it would be in this test binary, which the last test scans.
fn forwards(backwards: &str) -> String {
    backwards.chars().rev().collect()
}

impl Running {
    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Waits for it to exit; true when a SIGKILL ended it.
    fn killed_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status.signal() == Some(9);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }
}

/// A copy of `program` under another name, in `dir`.
fn renamed(program: &str, dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(program, &to).unwrap();
    to
}

fn xdotool_sleeping(display: &Display, exe: &Path) -> Running {
    Running(
        display
            .command(exe)
            .args(["sleep", "60"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn x11vnc_serving(display: &Display, exe: &Path) -> Running {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Running(
        display
            .command(exe)
            .args(["-localhost", "-nopw", "-forever", "-quiet", "-rfbport"])
            .arg(port.to_string())
            .args(["-display", display.name()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn finding_for(findings: &[Finding], pid: u32) -> Option<&Finding> {
    findings.iter().find(|f| f.process.pid == pid)
}

/// The tests run one at a time: a watch that ends prohibited programs would
/// end the ones another test started.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

type Rig = (
    std::sync::MutexGuard<'static, ()>,
    Display,
    tempfile::TempDir,
);

fn rig() -> Option<Rig> {
    let serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    require(
        "process guard with real programs",
        &["Xvfb", "xdotool", "x11vnc"],
    )
    .then(|| {
        (
            serial,
            Display::xvfb(640, 480).unwrap(),
            tempfile::tempdir().unwrap(),
        )
    })
}

/// Waits until `check` holds (programs take a moment to start).
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn prohibited_programs_are_found_under_their_names_and_renamed_and_ended() {
    let Some((_serial, display, dir)) = rig() else {
        return;
    };
    let mut plain = xdotool_sleeping(&display, Path::new("/usr/bin/xdotool"));
    let mut renamed_xdotool = xdotool_sleeping(
        &display,
        &renamed("/usr/bin/xdotool", dir.path(), "calendar-sync"),
    );
    let mut renamed_vnc =
        x11vnc_serving(&display, &renamed("/usr/bin/x11vnc", dir.path(), "sysmond"));
    // An ordinary program is left alone.
    let mut ordinary = Running(
        std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap(),
    );

    let mut guard = ProcessGuard::new(Matcher::from_policy(&standard_processes())).unwrap();
    let mut findings = Vec::new();
    assert!(
        eventually(|| {
            findings = guard.running();
            [plain.pid(), renamed_xdotool.pid(), renamed_vnc.pid()]
                .iter()
                .all(|p| finding_for(&findings, *p).is_some())
        }),
        "{findings:#?}"
    );
    assert!(finding_for(&findings, ordinary.pid()).is_none());
    let by = |pid| finding_for(&findings, pid).unwrap().found.clone();
    assert_eq!(by(plain.pid()).program_id, "xdotool");
    assert_eq!(
        by(plain.pid()).matched_by,
        MatchedBy::Name("xdotool".into())
    );
    assert_eq!(by(renamed_xdotool.pid()).program_id, "xdotool");
    assert_eq!(
        by(renamed_xdotool.pid()).matched_by,
        MatchedBy::Content(forwards("noisrev lootodx"))
    );
    assert_eq!(by(renamed_vnc.pid()).program_id, "x11vnc");
    assert!(matches!(
        by(renamed_vnc.pid()).matched_by,
        MatchedBy::Content(_)
    ));

    for (child, pid) in [
        (&mut plain, 0),
        (&mut renamed_xdotool, 0),
        (&mut renamed_vnc, 0),
    ]
    .into_iter()
    .map(|(c, _)| {
        let pid = c.pid();
        (c, pid)
    }) {
        let f = finding_for(&findings, pid).unwrap().clone();
        assert_eq!(guard.end(&f), EndOutcome::Ended, "{f:?}");
        assert!(
            child.killed_within(Duration::from_secs(2)),
            "{pid} still runs"
        );
        // Ending it again: it is gone.
        assert_eq!(guard.end(&f), EndOutcome::AlreadyGone);
    }
    assert!(
        ordinary.0.try_wait().unwrap().is_none(),
        "sleep must still run"
    );
}

#[test]
fn allowlisted_programs_are_left_alone() {
    let Some((_serial, display, dir)) = rig() else {
        return;
    };
    let xdotool = xdotool_sleeping(&display, Path::new("/usr/bin/xdotool"));
    let vnc = x11vnc_serving(&display, &renamed("/usr/bin/x11vnc", dir.path(), "sysmond"));
    let mut layer = standard_processes();
    // A name, and a catalogue id (which switches that program off however named).
    layer.allow = vec!["xdotool".into(), "x11vnc".into()];
    let mut guard = ProcessGuard::new(Matcher::from_policy(&layer)).unwrap();
    // Give both time to start, then look.
    std::thread::sleep(Duration::from_millis(500));
    let findings = guard.running();
    assert!(
        finding_for(&findings, xdotool.pid()).is_none(),
        "{findings:#?}"
    );
    assert!(finding_for(&findings, vnc.pid()).is_none(), "{findings:#?}");
}

fn a_program_started_during_the_exam_is_reported_and_ended(exec_events: bool) {
    let Some((_serial, display, dir)) = rig() else {
        return;
    };
    // Already running when the watch starts: reported, not ended (that
    // blocks the start instead).
    let mut before = xdotool_sleeping(&display, Path::new("/usr/bin/xdotool"));
    assert!(eventually(|| std::fs::read_link(format!(
        "/proc/{}/exe",
        before.pid()
    ))
    .is_ok_and(|e| e.ends_with("xdotool"))));
    let guard = ProcessGuard::new(Matcher::from_policy(&standard_processes())).unwrap();
    let watch = ProcessWatch::start(
        guard,
        WatchOptions {
            end_prohibited: true,
            exec_events,
            ..WatchOptions::default()
        },
        Arc::new(SystemClock),
    )
    .unwrap();
    if !exec_events {
        assert_eq!(watch.source(), WatchSource::Polling);
    }
    // Whatever was running before is already queued.
    let mut at_start = Vec::new();
    while let Some(e) = watch.next_event(Duration::ZERO) {
        at_start.push(e);
    }
    let first = at_start
        .iter()
        .find(|e| e.finding.process.pid == before.pid())
        .expect("the program running at the start was not reported");
    assert!(first.running_at_start && first.ended.is_none(), "{first:?}");
    assert!(before.0.try_wait().unwrap().is_none(), "it must still run");
    let exe = renamed("/usr/bin/xdotool", dir.path(), "notes");
    let started = Instant::now();
    let mut child = xdotool_sleeping(&display, &exe);
    let event = loop {
        let e = watch
            .next_event(Duration::from_secs(5))
            .expect("no event within 5 s");
        if e.finding.process.pid == child.pid() {
            break e;
        }
    };
    let latency = started.elapsed();
    eprintln!("{:?}: reported {latency:?} after the start", watch.source());
    assert!(!event.running_at_start);
    assert_eq!(event.finding.found.program_id, "xdotool");
    assert_eq!(event.ended, Some(EndOutcome::Ended));
    assert!(child.killed_within(Duration::from_secs(2)));
}

#[test]
fn a_program_started_during_the_exam_is_reported_and_ended_with_exec_events() {
    a_program_started_during_the_exam_is_reported_and_ended(true);
}

#[test]
fn a_program_started_during_the_exam_is_reported_and_ended_by_polling() {
    a_program_started_during_the_exam_is_reported_and_ended(false);
}

#[test]
fn a_binary_with_the_catalogue_in_it_carries_no_marker() {
    // This test binary links the catalogue, as every Paraakh binary does.
    let matcher = Matcher::from_policy(&standard_processes());
    let mut scanner = ContentScanner::new(matcher.markers());
    let me = ProcessInfo {
        pid: u32::MAX,
        parent: None,
        name: "lockdown".into(),
        exe: Some(std::env::current_exe().unwrap()),
        cmdline: vec![],
        uid: None,
        start_time: 0,
    };
    assert_eq!(scanner.markers_in(&me), Some(vec![]));
}
