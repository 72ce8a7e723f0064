//! Displays on Xorg with two dummy monitors: counted, mirrored, and
//! switched off and on during the exam.

use std::sync::Arc;
use std::time::Duration;

use paraakh_evidence::clock::SystemClock;
use paraakh_lockdown::displays::{DisplayWatch, X11Displays};
use paraakh_test_rig::{Display, require};

#[test]
fn two_monitors_mirroring_and_changes_during_the_exam_are_seen() {
    if !require("displays on Xorg's dummy driver", &["Xorg", "xrandr"]) {
        return;
    }
    let x = Display::two_monitors(1024, 768).unwrap();
    let displays = X11Displays::connect(Some(x.name())).unwrap();
    let now = displays.read().unwrap();
    assert_eq!(now.count, 2, "{now:?}");
    assert!(now.mirrored.is_empty());
    assert_eq!(
        now.displays
            .iter()
            .map(|d| (d.output.as_str(), d.x, d.width, d.primary))
            .collect::<Vec<_>>(),
        [("DUMMY0", 0, 1024, true), ("DUMMY1", 1024, 1024, false)]
    );

    let watch = DisplayWatch::start(displays, Arc::new(SystemClock)).unwrap();
    assert_eq!(watch.initial().count, 2);
    let next = || {
        watch
            .next_event(Duration::from_secs(5))
            .expect("no display event within 5 s")
    };

    x.run("xrandr", &["--output", "DUMMY1", "--off"]).unwrap();
    let e = next();
    assert_eq!(e.after.count, 1, "{e:?}");
    assert!(e.after.displays.iter().all(|d| d.output != "DUMMY1"));
    assert!(e.change.starts_with("DUMMY1 switched off"), "{}", e.change);

    x.run(
        "xrandr",
        &[
            "--output",
            "DUMMY1",
            "--mode",
            "1024x768",
            "--same-as",
            "DUMMY0",
        ],
    )
    .unwrap();
    let e = next();
    assert_eq!(e.after.count, 1, "{e:?}");
    assert_eq!(
        e.after.mirrored,
        [vec!["DUMMY0".to_owned(), "DUMMY1".to_owned()]]
    );
    assert!(e.change.contains("mirroring started"), "{}", e.change);

    x.run("xrandr", &["--output", "DUMMY1", "--right-of", "DUMMY0"])
        .unwrap();
    let e = next();
    assert_eq!((e.after.count, e.after.mirrored.len()), (2, 0), "{e:?}");
    // Nothing more happened.
    assert!(watch.next_event(Duration::from_millis(300)).is_none());
}

#[test]
fn xvfb_has_one_display() {
    if !require("displays on Xvfb", &["Xvfb"]) {
        return;
    }
    let x = Display::xvfb(800, 600).unwrap();
    let r = X11Displays::connect(Some(x.name()))
        .unwrap()
        .read()
        .unwrap();
    assert_eq!(r.count, 1);
    assert_eq!((r.displays[0].width, r.displays[0].height), (800, 600));
    assert!(r.summary().starts_with("1 display"), "{}", r.summary());
}

#[test]
fn no_display_server_is_a_clear_error() {
    let e = X11Displays::connect(Some(":9999")).unwrap_err().to_string();
    assert!(
        e.starts_with("cannot read the displays") && e.contains("DISPLAY"),
        "{e}"
    );
}
