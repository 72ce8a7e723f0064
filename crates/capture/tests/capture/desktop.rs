//! The real desktop on the rig, through both screen sources: xcap (what
//! Wayland, Windows and macOS use) and the persistent X11 connection (what
//! X11 uses). Each reads the pattern drawn on Xvfb, they agree pixel for
//! pixel, and each sees both monitors of Xorg's dummy driver.
//!
//! The X libraries read `DISPLAY` from the environment, which a test must
//! not change in its own (multi-threaded) process: each test starts the rig
//! and runs its checks again in a child process on that display.

use paraakh_capture::screen::native::XcapScreen;
use paraakh_capture::screen::x11::X11Screen;
use paraakh_capture::screen::{RawScreen, ScreenSource};
use paraakh_test_rig::{Checkerboard, Display, require};

const CHILD: &str = "PARAAKH_DESKTOP_TEST_CHILD";

const PATTERN: Checkerboard = Checkerboard {
    square: 40,
    even: [240, 200, 16],
    odd: [16, 32, 160],
};

/// Runs the test named `test` again in a child process on `display`.
fn run_in_child(display: &Display, test: &str) {
    let out = display
        .command(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{log}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(log.contains("1 passed"), "the child ran no test: {log}");
}

/// Whether this process is that child.
fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

fn sources() -> [(&'static str, Box<dyn ScreenSource>); 2] {
    [
        ("xcap", Box::new(XcapScreen)),
        ("x11", Box::new(X11Screen::connect().unwrap())),
    ]
}

fn rgb(s: &RawScreen, x: u32, y: u32) -> [u8; 3] {
    let i = ((y * s.width + x) * 4) as usize;
    [s.rgba[i], s.rgba[i + 1], s.rgba[i + 2]]
}

#[test]
fn xcap_and_x11_read_the_pattern_drawn_on_xvfb() {
    if !in_child() {
        if require("screen capture on Xvfb", &["Xvfb", "xsetroot", "xrandr"]) {
            let display = Display::xvfb(1280, 720).unwrap();
            PATTERN.draw(&display).unwrap();
            run_in_child(
                &display,
                "desktop::xcap_and_x11_read_the_pattern_drawn_on_xvfb",
            );
        }
        return;
    }
    let mut pictures = Vec::new();
    for (name, mut source) in sources() {
        let monitors = source.monitors().unwrap();
        assert_eq!(monitors.len(), 1, "{name}: {monitors:?}");
        let m = &monitors[0];
        assert_eq!((m.x, m.y, m.width, m.height), (0, 0, 1280, 720), "{name}");
        let s = source.capture(m).unwrap();
        assert_eq!(
            (s.width, s.height, s.rgba.len()),
            (1280, 720, 1280 * 720 * 4)
        );
        // Every pixel, exactly: X stores 24-bit colour losslessly.
        for y in 0..s.height {
            for x in 0..s.width {
                assert_eq!(
                    rgb(&s, x, y),
                    PATTERN.colour_at(x, y),
                    "{name} at ({x}, {y})"
                );
            }
        }
        pictures.push(s);
    }
    assert_eq!(pictures[0], pictures[1]);
}

#[test]
fn xcap_and_x11_see_both_monitors_of_a_two_monitor_desktop() {
    if !in_child() {
        if require(
            "two monitors on Xorg's dummy driver",
            &["Xorg", "xrandr", "xsetroot"],
        ) {
            let display = Display::two_monitors(1024, 768).unwrap();
            PATTERN.draw(&display).unwrap();
            run_in_child(
                &display,
                "desktop::xcap_and_x11_see_both_monitors_of_a_two_monitor_desktop",
            );
        }
        return;
    }
    let mut all = Vec::new();
    for (name, mut source) in sources() {
        let mut monitors = source.monitors().unwrap();
        monitors.sort_by_key(|m| m.x);
        let geometry: Vec<_> = monitors
            .iter()
            .map(|m| (m.x, m.y, m.width, m.height))
            .collect();
        assert_eq!(
            geometry,
            [(0, 0, 1024, 768), (1024, 0, 1024, 768)],
            "{name}"
        );
        assert_eq!(
            monitors.iter().filter(|m| m.primary).count(),
            1,
            "{name}: {monitors:?}"
        );
        for m in &monitors {
            let s = source.capture(m).unwrap();
            assert_eq!((s.width, s.height), (1024, 768), "{name} {}", m.name);
            // The picture is of that monitor: desktop coordinates shifted by its position.
            for (x, y) in [(0, 0), (20, 20), (60, 20), (1000, 700), (517, 333)] {
                let desktop_x = x + m.x as u32;
                assert_eq!(
                    rgb(&s, x, y),
                    PATTERN.colour_at(desktop_x, y),
                    "{name} {} at ({x}, {y})",
                    m.name
                );
            }
            all.push(s);
        }
    }
    assert_eq!(all[0], all[2]);
    assert_eq!(all[1], all[3]);
}
