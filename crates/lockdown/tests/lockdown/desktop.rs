//! The exam window on Xvfb with a window manager (openbox) and a second X
//! client (xlogo): focus losses are events and the focus comes back; the
//! keyboard grab keeps Alt+Tab from the window manager and is released on
//! every exit path; the clipboard is cleared.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use paraakh_evidence::clock::SystemClock;
use paraakh_lockdown::focus::{FocusEvent, FocusGuard};
use paraakh_lockdown::keyboard::{KeyboardLock, Keymap, Shortcut};
use paraakh_test_rig::{Display, require};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt as _, CreateWindowAux, PropMode, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use super::Running;

/// A desktop: Xvfb, openbox, xlogo, and an "Exam" window of our own.
struct Desktop {
    display: Display,
    _wm: Running,
    _other: Running,
    conn: RustConnection,
    exam: Window,
}

impl Desktop {
    fn start() -> Option<Self> {
        if !require(
            "focus on Xvfb with openbox",
            &["Xvfb", "openbox", "xlogo", "xdotool"],
        ) {
            return None;
        }
        let display = Display::xvfb(1024, 768).unwrap();
        let spawn = |program: &str, args: &[&str]| {
            Running(
                display
                    .command(program)
                    .args(args)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        };
        let wm = spawn("openbox", &["--sm-disable"]);
        std::thread::sleep(Duration::from_millis(500));
        let other = spawn("xlogo", &["-geometry", "300x300+600+100"]);
        let (conn, screen) = x11rb::connect(Some(display.name())).unwrap();
        let root = conn.setup().roots[screen].root;
        let exam = conn.generate_id().unwrap();
        conn.create_window(
            0,
            exam,
            root,
            0,
            0,
            500,
            400,
            0,
            WindowClass::INPUT_OUTPUT,
            0,
            &CreateWindowAux::new(),
        )
        .unwrap();
        conn.change_property8(
            PropMode::REPLACE,
            exam,
            AtomEnum::WM_NAME,
            AtomEnum::STRING,
            b"Exam",
        )
        .unwrap();
        conn.map_window(exam).unwrap();
        conn.flush().unwrap();
        let d = Self {
            display,
            _wm: wm,
            _other: other,
            conn,
            exam,
        };
        // Both windows up, the exam window focused.
        assert!(
            d.eventually(|| d.window_named("xlogo").is_some()),
            "xlogo did not appear"
        );
        d.xdotool(&["windowactivate", &d.exam.to_string()]);
        assert!(
            d.eventually(|| d.exam_has_focus()),
            "the exam window did not get the focus"
        );
        Some(d)
    }

    fn xdotool(&self, args: &[&str]) {
        let _ = self.display.command("xdotool").args(args).status();
    }

    fn window_named(&self, name: &str) -> Option<String> {
        let out = self
            .display
            .command("xdotool")
            .args(["search", "--name", &format!("^{name}$")])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .map(str::to_owned)
    }

    fn exam_has_focus(&self) -> bool {
        let mut w = self.conn.get_input_focus().unwrap().reply().unwrap().focus;
        for _ in 0..16 {
            if w == self.exam {
                return true;
            }
            match self.conn.query_tree(w).ok().and_then(|c| c.reply().ok()) {
                Some(t) if t.parent != 0 => w = t.parent,
                _ => return false,
            }
        }
        false
    }

    fn eventually(&self, mut check: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if check() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn guard(&self, keep_focus: bool) -> FocusGuard {
        FocusGuard::start(
            Some(self.display.name()),
            self.exam,
            keep_focus,
            Arc::new(SystemClock),
        )
        .unwrap()
    }
}

fn next(guard: &FocusGuard) -> FocusEvent {
    guard
        .next_event(Duration::from_secs(5))
        .expect("no focus event within 5 s")
}

/// Asks the window manager to move the focus (`xdotool ARGS`) until the
/// guard reports it: on a loaded machine openbox now and then drops an
/// activation request (its focus-stealing check) or an Alt+Tab whose keys
/// came faster than its cycling grab, which is the window manager's doing,
/// not the guard's.
fn provoke(d: &Desktop, guard: &FocusGuard, args: &[&str]) -> FocusEvent {
    for _ in 0..3 {
        d.xdotool(args);
        if let Some(e) = guard.next_event(Duration::from_secs(3)) {
            return e;
        }
    }
    panic!("no focus event after three tries of xdotool {args:?}");
}

fn activate(d: &Desktop, guard: &FocusGuard, window: &str) -> FocusEvent {
    provoke(d, guard, &["windowactivate", window])
}

#[test]
fn another_window_taking_the_focus_is_reported_and_the_exam_takes_it_back() {
    let Some(d) = Desktop::start() else { return };
    let guard = d.guard(true);
    let xlogo = d.window_named("xlogo").unwrap();

    let e = activate(&d, &guard, &xlogo);
    assert_eq!(e.to_name.as_deref(), Some("xlogo"), "{e:?}");
    assert!(e.taken_back, "{e:?}");
    assert!(d.exam_has_focus());

    // Alt+Tab through the window manager: the same.
    let e = provoke(&d, &guard, &["key", "alt+Tab"]);
    assert!(e.taken_back, "{e:?}");
    assert!(d.eventually(|| d.exam_has_focus()));
}

#[test]
fn without_keeping_the_focus_a_loss_is_still_reported() {
    let Some(d) = Desktop::start() else { return };
    let guard = d.guard(false);
    let xlogo = d.window_named("xlogo").unwrap();
    let before = Instant::now();
    let e = activate(&d, &guard, &xlogo);
    eprintln!(
        "focus loss reported {:?} after the activation",
        before.elapsed()
    );
    assert_eq!(e.to_name.as_deref(), Some("xlogo"), "{e:?}");
    assert!(!e.taken_back);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !d.exam_has_focus(),
        "the guard must not take the focus back"
    );
    // Nothing else happened.
    assert!(guard.next_event(Duration::from_millis(300)).is_none());
}

#[test]
fn clearing_the_clipboard_takes_every_selection_from_its_owner() {
    if !require("clipboard on Xvfb", &["Xvfb"]) {
        return;
    }
    let display = Display::xvfb(640, 480).unwrap();
    // Another program owns the clipboard and the primary selection.
    let (conn, screen) = x11rb::connect(Some(display.name())).unwrap();
    let root = conn.setup().roots[screen].root;
    let owner = conn.generate_id().unwrap();
    conn.create_window(
        0,
        owner,
        root,
        0,
        0,
        1,
        1,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::new(),
    )
    .unwrap();
    let atom = |name: &str| {
        conn.intern_atom(false, name.as_bytes())
            .unwrap()
            .reply()
            .unwrap()
            .atom
    };
    let (clipboard, primary) = (atom("CLIPBOARD"), atom("PRIMARY"));
    for sel in [clipboard, primary] {
        conn.set_selection_owner(owner, sel, x11rb::CURRENT_TIME)
            .unwrap();
    }
    conn.flush().unwrap();
    let owned_by = |sel| {
        conn.get_selection_owner(sel)
            .unwrap()
            .reply()
            .unwrap()
            .owner
    };
    assert_eq!((owned_by(clipboard), owned_by(primary)), (owner, owner));

    paraakh_lockdown::clipboard::clear(Some(display.name())).unwrap();
    assert_eq!(
        (owned_by(clipboard), owned_by(primary)),
        (x11rb::NONE, x11rb::NONE)
    );
    // The owner was told, so it stops offering its text.
    let mut told = 0;
    let deadline = Instant::now() + Duration::from_secs(2);
    while told < 2 && Instant::now() < deadline {
        match conn.poll_for_event().unwrap() {
            Some(x11rb::protocol::Event::SelectionClear(e)) if e.owner == owner => told += 1,
            Some(_) => {}
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    assert_eq!(told, 2);
}

#[test]
fn clearing_without_a_display_is_a_clear_error() {
    let e = paraakh_lockdown::clipboard::clear(Some(":9998"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("clipboard"), "{e}");
}

/// A connection to `display` with a mapped window of its own, for grabbing.
fn own_window(display: &str) -> (RustConnection, Window) {
    let (conn, screen) = x11rb::connect(Some(display)).unwrap();
    let root = conn.setup().roots[screen].root;
    let w = conn.generate_id().unwrap();
    conn.create_window(
        0,
        w,
        root,
        0,
        0,
        10,
        10,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::new(),
    )
    .unwrap();
    conn.map_window(w).unwrap();
    conn.sync().unwrap();
    // Under a window manager the map goes through it: wait until it shows.
    let deadline = Instant::now() + Duration::from_secs(5);
    while conn
        .get_window_attributes(w)
        .unwrap()
        .reply()
        .unwrap()
        .map_state
        != x11rb::protocol::xproto::MapState::VIEWABLE
    {
        assert!(
            Instant::now() < deadline,
            "window {w:#x} never became visible"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (conn, w)
}

fn grab_status(conn: &RustConnection, w: Window) -> x11rb::protocol::xproto::GrabStatus {
    use x11rb::protocol::xproto::GrabMode;
    let status = conn
        .grab_keyboard(
            false,
            w,
            x11rb::CURRENT_TIME,
            GrabMode::ASYNC,
            GrabMode::ASYNC,
        )
        .unwrap()
        .reply()
        .unwrap()
        .status;
    conn.ungrab_keyboard(x11rb::CURRENT_TIME).unwrap();
    conn.sync().unwrap();
    status
}

#[test]
fn a_grabbing_exam_window_keeps_alt_tab_and_activation_from_taking_the_focus() {
    use x11rb::protocol::xproto::GrabStatus;
    let Some(d) = Desktop::start() else { return };
    let keymap = Keymap::read(&d.conn).unwrap();
    let lock = KeyboardLock::acquire(&d.conn, d.exam).unwrap();
    // The kiosk: the grab, and the focus kept.
    let guard = d.guard(true);
    let xlogo = d.window_named("xlogo").unwrap();

    d.xdotool(&["key", "alt+Tab"]);
    d.xdotool(&["key", "super"]);
    d.xdotool(&["windowactivate", &xlogo]);
    std::thread::sleep(Duration::from_millis(500));
    assert!(d.exam_has_focus(), "the focus left the exam window");
    // The keys came to the exam window, recognised as shortcuts.
    let mut seen = Vec::new();
    while let Some(event) = d.conn.poll_for_event().unwrap() {
        if let x11rb::protocol::Event::KeyPress(k) = event {
            seen.extend(keymap.shortcut(&k));
        }
    }
    assert!(
        seen.contains(&Shortcut::Blocked("Alt+Tab".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains(&Shortcut::Blocked("Super".into())),
        "{seen:?}"
    );
    // The activation was the only focus loss, and it was taken back.
    let e = next(&guard);
    assert!(
        e.taken_back && e.to_name.as_deref() == Some("xlogo"),
        "{e:?}"
    );
    assert!(guard.next_event(Duration::from_millis(300)).is_none());

    // Nobody else can grab the keyboard meanwhile; after the lock, they can.
    let (other, w) = own_window(d.display.name());
    assert_eq!(grab_status(&other, w), GrabStatus::ALREADY_GRABBED);
    drop(lock);
    d.conn.sync().unwrap();
    assert_eq!(grab_status(&other, w), GrabStatus::SUCCESS);
}

#[test]
fn the_grab_is_released_when_a_panic_unwinds_through_it() {
    use x11rb::protocol::xproto::GrabStatus;
    if !require("keyboard grab on Xvfb", &["Xvfb"]) {
        return;
    }
    let display = Display::xvfb(640, 480).unwrap();
    let (conn, exam) = own_window(display.name());
    let (other, w) = own_window(display.name());
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _lock = KeyboardLock::acquire(&conn, exam).unwrap();
        assert_eq!(grab_status(&other, w), GrabStatus::ALREADY_GRABBED);
        panic!("something went wrong in the exam");
    }));
    assert!(panicked.is_err());
    conn.sync().unwrap();
    // This process and its connection live on: the lock itself let go.
    assert_eq!(grab_status(&other, w), GrabStatus::SUCCESS);
}

const ABORTING_CHILD: &str = "PARAAKH_GRAB_THEN_ABORT";

#[test]
fn the_grab_is_released_when_the_process_dies_without_cleaning_up() {
    use x11rb::protocol::xproto::GrabStatus;
    if let Ok(name) = std::env::var(ABORTING_CHILD) {
        // The child: grab, say so, and die without running any destructor.
        let (conn, w) = own_window(&name);
        let lock = KeyboardLock::acquire(&conn, w).unwrap();
        println!("grabbed");
        std::mem::forget(lock);
        std::process::abort();
    }
    if !require("keyboard grab on Xvfb", &["Xvfb"]) {
        return;
    }
    let display = Display::xvfb(640, 480).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "desktop::the_grab_is_released_when_the_process_dies_without_cleaning_up",
            "--exact",
            "--nocapture",
        ])
        .env(ABORTING_CHILD, display.name())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("grabbed"),
        "{out:?}"
    );
    assert!(!out.status.success(), "the child was meant to abort");
    let (other, w) = own_window(display.name());
    assert_eq!(grab_status(&other, w), GrabStatus::SUCCESS);
}

#[test]
fn text_copied_in_the_exam_cannot_be_pasted_elsewhere() {
    use paraakh_lockdown::clipboard::CopyOutGuard;
    if !require("clipboard on Xvfb", &["Xvfb"]) {
        return;
    }
    let display = Display::xvfb(640, 480).unwrap();
    let (exam_conn, exam) = own_window(display.name());
    let (other_conn, other) = own_window(display.name());
    let atom = |name: &str| {
        exam_conn
            .intern_atom(false, name.as_bytes())
            .unwrap()
            .reply()
            .unwrap()
            .atom
    };
    let (clipboard, primary) = (atom("CLIPBOARD"), atom("PRIMARY"));
    let guard =
        CopyOutGuard::start(Some(display.name()), exam, true, Arc::new(SystemClock)).unwrap();
    let owner = |sel| {
        exam_conn
            .get_selection_owner(sel)
            .unwrap()
            .reply()
            .unwrap()
            .owner
    };

    let take = |conn: &RustConnection, window, selection| {
        conn.set_selection_owner(window, selection, x11rb::CURRENT_TIME)
            .unwrap();
        conn.sync().unwrap();
    };
    let taken_away = |guard: &CopyOutGuard, what: &str| {
        let e = guard
            .next_event(Duration::from_secs(2))
            .unwrap_or_else(|| panic!("{what} was not taken away"));
        assert_eq!(e.selection, "CLIPBOARD");
        assert_eq!(owner(clipboard), x11rb::NONE);
    };

    // Another program's selection is not the exam's business.
    take(&other_conn, other, primary);
    // The candidate copies text in the exam.
    take(&exam_conn, exam, clipboard);
    taken_away(&guard, "the copy");
    assert_eq!(owner(primary), other);
    assert!(guard.next_event(Duration::from_millis(200)).is_none());

    // A toolkit's own hidden selection window (GTK's), outside the exam
    // window but made by the exam's client, is the exam's too.
    let hidden = exam_conn.generate_id().unwrap();
    let root = exam_conn.setup().roots[0].root;
    exam_conn
        .create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            hidden,
            root,
            -10,
            -10,
            1,
            1,
            0,
            WindowClass::INPUT_ONLY,
            x11rb::COPY_FROM_PARENT,
            &Default::default(),
        )
        .unwrap();
    take(&exam_conn, hidden, clipboard);
    taken_away(&guard, "the toolkit's copy");
    assert_eq!(owner(primary), other, "another client's selection stays");

    // Without PRIMARY: the exam's select-to-paste is left alone, its
    // CLIPBOARD is still taken.
    drop(guard);
    let guard =
        CopyOutGuard::start(Some(display.name()), exam, false, Arc::new(SystemClock)).unwrap();
    take(&exam_conn, exam, primary);
    take(&exam_conn, hidden, clipboard);
    taken_away(&guard, "the copy");
    assert!(guard.next_event(Duration::from_millis(300)).is_none());
    assert_eq!(owner(primary), exam, "PRIMARY is left to the exam");
}

/// Keys and clicks sent through XTEST (the X protocol directly, as an
/// auto-typer does) while the exam window holds the keyboard grab: the
/// input watch attributes them to the XTEST devices and reports one
/// episode each, with its counts and the focused window; the devices at
/// the start are listed, XTEST ones as such.
#[test]
fn keys_and_clicks_sent_through_xtest_are_synthetic_even_under_the_grab() {
    use paraakh_lockdown::input::{InputEvent, InputWatch, Origin};
    use paraakh_test_rig::xtest::Injector;
    let Some(d) = Desktop::start() else {
        return;
    };
    let watch = InputWatch::start(Some(d.display.name()), Arc::new(SystemClock)).unwrap();
    let devices = watch.devices();
    let origin = |name: &str| devices.iter().find(|x| x.name == name).map(|x| x.origin);
    assert_eq!(
        origin("Virtual core XTEST keyboard"),
        Some(Origin::Xtest),
        "{devices:#?}"
    );
    assert_eq!(origin("Virtual core XTEST pointer"), Some(Origin::Xtest));
    assert_eq!(
        origin("Xvfb keyboard"),
        Some(Origin::Physical),
        "{devices:#?}"
    );
    let _lock = KeyboardLock::acquire(&d.conn, d.exam).unwrap();
    // Nothing yet: no report without input.
    assert_eq!(watch.next_event(Duration::from_millis(2000)), None);

    let injector = Injector::connect(d.display.name()).unwrap();
    injector
        .type_text("The answer is 42\n", Duration::from_millis(5))
        .unwrap();
    let Some(InputEvent::Synthetic(typed)) = watch.next_event(Duration::from_secs(10)) else {
        panic!("no synthetic input reported");
    };
    // 17 characters, one of them capital: 18 key presses with its Shift.
    assert_eq!((typed.keys, typed.buttons), (18, 0), "{typed:#?}");
    assert_eq!(typed.devices, ["Virtual core XTEST keyboard"]);
    assert_eq!(typed.focus.as_deref(), Some("Exam"), "{typed:#?}");

    for _ in 0..3 {
        injector.click_at(50, 50).unwrap();
    }
    let Some(InputEvent::Synthetic(clicked)) = watch.next_event(Duration::from_secs(10)) else {
        panic!("the clicks were not reported");
    };
    assert_eq!((clicked.keys, clicked.buttons), (0, 3), "{clicked:#?}");
    assert!(clicked.motions >= 1);
    assert_eq!(clicked.devices, ["Virtual core XTEST pointer"]);
    assert_eq!(
        watch.next_event(Duration::from_millis(2500)),
        None,
        "one report per episode"
    );

    // A device that appears during the exam: a second pair of master
    // devices (as a remote helper's own pointer would be) brings its own
    // XTEST keyboard and pointer, each reported with where it comes from.
    injector.add_master("Remote helper").unwrap();
    let mut added = Vec::new();
    while let Some(InputEvent::DeviceAdded { device, .. }) =
        watch.next_event(Duration::from_secs(5))
    {
        added.push((device.name, device.origin));
        if added.len() == 2 {
            break;
        }
    }
    added.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        added,
        [
            ("Remote helper XTEST keyboard".to_owned(), Origin::Xtest),
            ("Remote helper XTEST pointer".to_owned(), Origin::Xtest),
        ]
    );
}
