//! The wlr-screencopy screen source on the exam session's compositor, cage
//! (headless, one 1280×720 output), showing a picture of four coloured
//! quadrants (`weston-image`): the capture has the output's size and the
//! colours in their places; the connection made before the session is
//! sealed (its socket removed) keeps capturing; a compositor without
//! screencopy (weston) and one that never answers give clear errors.
//!
//! [`preconnect`] reads the environment, which a test must not change in
//! its own (multi-threaded) process: that test runs its checks again in a
//! child process started as a client of cage.

use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

use paraakh_capture::CaptureError;
use paraakh_capture::screen::native::open_desktop;
use paraakh_capture::screen::wlr::{WlrScreen, preconnect, preconnected};
use paraakh_capture::screen::{MonitorInfo, RawScreen, ScreenSource};
use paraakh_test_rig::{Cage, Wayland, require};

const CHILD: &str = "PARAAKH_WLR_TEST_CHILD";

/// Top-left, top-right, bottom-left, bottom-right.
const QUADRANTS: [[u8; 3]; 4] = [[220, 30, 30], [30, 200, 40], [20, 40, 210], [240, 220, 20]];

/// cage showing the four quadrants, and the directory holding the picture.
fn cage_showing_quadrants() -> (Cage, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("quadrants.png");
    let (w, h) = (640, 360);
    image::RgbImage::from_fn(w, h, |x, y| {
        let i = usize::from(x >= w / 2) + 2 * usize::from(y >= h / 2);
        image::Rgb(QUADRANTS[i])
    })
    .save(&png)
    .unwrap();
    let cage = Cage::start(&[OsStr::new("weston-image"), png.as_os_str()], &[]).unwrap();
    (cage, dir)
}

/// Where a colour is in the picture: its pixel count and centre.
fn locate(s: &RawScreen, colour: [u8; 3]) -> (u64, f64, f64) {
    let (mut n, mut sx, mut sy) = (0u64, 0u64, 0u64);
    for (i, px) in s.rgba.chunks_exact(4).enumerate() {
        if px[..3] == colour {
            let i = i as u64;
            n += 1;
            sx += i % u64::from(s.width);
            sy += i / u64::from(s.width);
        }
    }
    let n_f = n.max(1) as f64;
    (n, sx as f64 / n_f, sy as f64 / n_f)
}

/// Whether the capture shows the quadrants, upright and unmirrored, in
/// their own colours (where the window is and how large its picture is
/// drawn is the client's business; the colours are exact).
fn check_quadrants(s: &RawScreen) -> Result<(), String> {
    if s.rgba.len() != (s.width * s.height * 4) as usize {
        return Err(format!(
            "{} bytes for {}x{}",
            s.rgba.len(),
            s.width,
            s.height
        ));
    }
    if s.rgba.chunks_exact(4).any(|px| px[3] != 255) {
        return Err("a pixel is not opaque".into());
    }
    let [tl, tr, bl, br] = QUADRANTS.map(|c| locate(s, c));
    for (name, (n, ..)) in [
        ("top-left", tl),
        ("top-right", tr),
        ("bottom-left", bl),
        ("bottom-right", br),
    ] {
        if n < 2000 {
            return Err(format!("the {name} colour covers {n} pixels"));
        }
    }
    let beside =
        |a: (u64, f64, f64), b: (u64, f64, f64)| a.1 + 20.0 < b.1 && (a.2 - b.2).abs() < 2.0;
    let above =
        |a: (u64, f64, f64), b: (u64, f64, f64)| a.2 + 20.0 < b.2 && (a.1 - b.1).abs() < 2.0;
    if !(beside(tl, tr) && beside(bl, br) && above(tl, bl) && above(tr, br)) {
        return Err(format!(
            "the quadrants are out of place: {tl:?} {tr:?} {bl:?} {br:?}"
        ));
    }
    Ok(())
}

/// Captures `monitor` until the client has drawn the picture (20 s at most).
fn capture_quadrants(source: &mut dyn ScreenSource, monitor: &MonitorInfo) -> RawScreen {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = source.capture(monitor).unwrap();
        assert_eq!((s.width, s.height), (monitor.width, monitor.height));
        match check_quadrants(&s) {
            Ok(()) => return s,
            Err(why) if Instant::now() > deadline => panic!("the picture never showed: {why}"),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// The one output of cage's headless backend.
fn headless_output(source: &mut dyn ScreenSource) -> MonitorInfo {
    let monitors = source.monitors().unwrap();
    assert_eq!(monitors.len(), 1, "{monitors:?}");
    let m = monitors[0].clone();
    assert_eq!(
        (m.name.as_str(), m.x, m.y, m.width, m.height, m.primary),
        ("HEADLESS-1", 0, 0, 1280, 720, true),
        "{m:?}"
    );
    m
}

fn assert_cannot_connect(result: Result<WlrScreen, CaptureError>) {
    let err = result.unwrap_err();
    assert!(matches!(err, CaptureError::NotFound { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("cannot connect to the Wayland compositor"),
        "{err}"
    );
}

#[test]
fn screencopy_reads_the_picture_cage_shows() {
    if !require(
        "wlr-screencopy on cage",
        &["cage", "unshare", "weston-image"],
    ) {
        return;
    }
    let (cage, _dir) = cage_showing_quadrants();
    let mut screen = WlrScreen::connect_to(&cage.socket()).unwrap();
    let monitor = headless_output(&mut screen);
    capture_quadrants(&mut screen, &monitor);
    // Again on the same connection: nothing of a capture is reused wrongly.
    let again = screen.capture(&monitor).unwrap();
    check_quadrants(&again).unwrap();
}

/// Runs the test named `test` again in a child process that is a client
/// of `cage`.
fn run_in_child(cage: &Cage, test: &str) {
    let out = cage
        .command(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{log}{}\ncage: {}",
        String::from_utf8_lossy(&out.stderr),
        cage.log()
    );
    assert!(log.contains("1 passed"), "the child ran no test: {log}");
}

#[test]
fn the_preconnected_screen_keeps_capturing_after_the_session_is_sealed() {
    if std::env::var_os(CHILD).is_none() {
        if require(
            "wlr-screencopy on a sealed cage",
            &["cage", "unshare", "weston-image"],
        ) {
            let (cage, _dir) = cage_showing_quadrants();
            run_in_child(
                &cage,
                "wlr::the_preconnected_screen_keeps_capturing_after_the_session_is_sealed",
            );
            assert!(
                !cage.socket().exists(),
                "the child did not seal the session"
            );
            assert_cannot_connect(WlrScreen::connect_to(&cage.socket()));
        }
        return;
    }
    // In the child, a client of cage (WAYLAND_DISPLAY, XDG_RUNTIME_DIR).
    let socket = Path::new(&std::env::var_os("XDG_RUNTIME_DIR").unwrap()).join("wayland-0");
    assert!(preconnected().is_none());
    preconnect().unwrap();
    // Sealed as the exam session seals it.
    std::fs::remove_file(&socket).unwrap();
    // A second call keeps the first connection (it could not make another).
    preconnect().unwrap();

    let mut shared = preconnected().unwrap();
    let monitor = headless_output(&mut shared);
    capture_quadrants(&mut shared, &monitor);
    // What the recorder gets on Wayland: the same connection.
    let mut desktop = open_desktop().unwrap();
    let monitor = headless_output(desktop.as_mut());
    let from_desktop = capture_quadrants(desktop.as_mut(), &monitor);
    check_quadrants(&from_desktop).unwrap();

    assert_cannot_connect(WlrScreen::connect());
    assert_cannot_connect(WlrScreen::connect_to(&socket));
}

#[test]
fn a_compositor_without_screencopy_is_named_as_such() {
    if !require(
        "a compositor without wlr-screencopy (weston)",
        &["weston", "Xwayland"],
    ) {
        return;
    }
    let weston = Wayland::start().unwrap();
    let err = WlrScreen::connect_to(&weston.runtime_dir().join("wayland-1")).unwrap_err();
    assert!(matches!(err, CaptureError::Open { .. }), "{err:?}");
    assert!(
        err.to_string().contains("does not offer wlr-screencopy"),
        "{err}"
    );
}

#[test]
fn a_compositor_that_never_answers_times_out_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("wayland-silent");
    // Accepts connections (the backlog) and never says a word.
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let started = Instant::now();
    let err = WlrScreen::connect_to(&socket).unwrap_err();
    assert!(matches!(err, CaptureError::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
