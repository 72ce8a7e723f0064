//! The keyboard during an exam (X11): an active keyboard grab on the exam
//! window, so the window manager's shortcuts (Alt+Tab, Super, Ctrl+Alt+arrows
//! and F-keys, Print Screen) never fire and every key goes to the exam; and
//! the shortcuts recognised, so each attempt can be recorded.
//!
//! The grab must be taken on the connection of the client that owns the
//! window (the app's own, for the app): an X server delivers grabbed keys
//! to the grabbing client, so a grab taken by anyone else would stop typing
//! in the exam. [`KeyboardLock`] works on any x11rb connection for that
//! reason.
//!
//! The grab is released when the lock is dropped, which also happens when
//! a panic unwinds through its owner; and the X server releases it by
//! itself when the connection closes (the process exits or is killed): a
//! candidate is never left with a dead keyboard.

use std::time::{Duration, Instant};

use serde::Serialize;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ConnectionExt as _, GrabMode, GrabStatus, KeyButMask, KeyPressEvent, Keysym, Window,
};

use crate::error::LockdownError;

fn err(e: impl std::fmt::Display) -> LockdownError {
    LockdownError::Desktop {
        reason: format!("keyboard: {e}"),
    }
}

/// How long to keep asking for the grab while another client holds it
/// (a menu or a drag in progress).
const GRAB_PATIENCE: Duration = Duration::from_secs(2);

/// An active keyboard grab on a window, released on drop.
#[derive(Debug)]
pub struct KeyboardLock<'c, C: Connection> {
    conn: &'c C,
    window: Window,
}

impl<'c, C: Connection> KeyboardLock<'c, C> {
    /// Grabs the keyboard for `window`, which `conn` must own and which must
    /// be visible. Retries for up to 2 s while another client holds a grab.
    pub fn acquire(conn: &'c C, window: Window) -> Result<Self, LockdownError> {
        let deadline = Instant::now() + GRAB_PATIENCE;
        loop {
            let status = conn
                .grab_keyboard(
                    false,
                    window,
                    x11rb::CURRENT_TIME,
                    GrabMode::ASYNC,
                    GrabMode::ASYNC,
                )
                .map_err(err)?
                .reply()
                .map_err(err)?
                .status;
            if status == GrabStatus::SUCCESS {
                return Ok(Self { conn, window });
            }
            if Instant::now() > deadline {
                return Err(err(match status {
                    GrabStatus::ALREADY_GRABBED => {
                        "another program holds the keyboard: close menus and dialogs, then try again".to_owned()
                    }
                    GrabStatus::NOT_VIEWABLE => {
                        format!("window {window:#x} is not visible yet")
                    }
                    other => format!("the X server refused the grab ({other:?})"),
                }));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The grabbing window.
    pub fn window(&self) -> Window {
        self.window
    }
}

impl<C: Connection> Drop for KeyboardLock<'_, C> {
    fn drop(&mut self) {
        let _ = self.conn.ungrab_keyboard(x11rb::CURRENT_TIME);
        let _ = self.conn.flush();
    }
}

/// A shortcut that leaves, switches or captures the exam.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "keys")]
#[non_exhaustive]
pub enum Shortcut {
    /// Print Screen, alone or with modifiers.
    PrintScreen(String),
    /// A window, workspace, terminal or session switch.
    Blocked(String),
    /// A request for the browser's developer tools or page source (F12,
    /// Ctrl+Shift+I/J/C/K, Ctrl+U): kept from the page, reported as an attempt.
    Devtools(String),
}

// Keysyms (X11 keysymdef.h).
const XK_TAB: Keysym = 0xff09;
const XK_ISO_LEFT_TAB: Keysym = 0xfe20;
const XK_ESCAPE: Keysym = 0xff1b;
const XK_PRINT: Keysym = 0xff61;
const XK_LEFT: Keysym = 0xff51;
const XK_DOWN: Keysym = 0xff54;
const XK_F1: Keysym = 0xffbe;
const XK_F4: Keysym = 0xffc1;
const XK_F12: Keysym = 0xffc9;
const XK_SUPER_L: Keysym = 0xffeb;
const XK_SUPER_R: Keysym = 0xffec;
const XK_DELETE: Keysym = 0xffff;

fn key_name(keysym: Keysym) -> String {
    match keysym {
        XK_TAB | XK_ISO_LEFT_TAB => "Tab".into(),
        XK_ESCAPE => "Esc".into(),
        XK_DELETE => "Delete".into(),
        XK_LEFT => "Left".into(),
        0xff52 => "Up".into(),
        0xff53 => "Right".into(),
        XK_DOWN => "Down".into(),
        XK_F1..=XK_F12 => format!("F{}", keysym - XK_F1 + 1),
        _ => format!("{keysym:#x}"),
    }
}

/// Which shortcut a key press with `keysym` and modifier `state` is.
pub fn classify(keysym: Keysym, state: KeyButMask) -> Option<Shortcut> {
    let ctrl = state.contains(KeyButMask::CONTROL);
    let alt = state.contains(KeyButMask::MOD1);
    let super_ = state.contains(KeyButMask::MOD4);
    let with = |name: String| {
        let mut s = String::new();
        for (on, m) in [(ctrl, "Ctrl+"), (alt, "Alt+"), (super_, "Super+")] {
            if on {
                s.push_str(m);
            }
        }
        s + &name
    };
    match keysym {
        XK_PRINT => Some(Shortcut::PrintScreen(with("Print".into()))),
        XK_SUPER_L | XK_SUPER_R => Some(Shortcut::Blocked("Super".into())),
        XK_TAB | XK_ISO_LEFT_TAB if alt || super_ => {
            Some(Shortcut::Blocked(with(key_name(keysym))))
        }
        XK_ESCAPE if alt || ctrl => Some(Shortcut::Blocked(with(key_name(keysym)))),
        XK_F4 if alt => Some(Shortcut::Blocked(with(key_name(keysym)))),
        XK_F1..=XK_F12 | XK_LEFT..=XK_DOWN | XK_DELETE if ctrl && alt => {
            Some(Shortcut::Blocked(with(key_name(keysym))))
        }
        _ if super_ => Some(Shortcut::Blocked(with(key_name(keysym)))),
        XK_F12 if !alt => Some(Shortcut::Devtools(with("F12".into()))),
        _ => devtools_letter(keysym, state).map(Shortcut::Devtools),
    }
}

/// Ctrl+Shift+I/J/C/K (inspector, console, element picker, Firefox's
/// console) and Ctrl+U (page source), whether the keysym came shifted
/// (GTK's `I`) or not (the X keymap's `i`).
fn devtools_letter(keysym: Keysym, state: KeyButMask) -> Option<String> {
    let ctrl = state.contains(KeyButMask::CONTROL);
    let shift = state.contains(KeyButMask::SHIFT);
    if !ctrl || state.contains(KeyButMask::MOD1) {
        return None;
    }
    let letter = u8::try_from(keysym).ok()?.to_ascii_lowercase();
    match (letter, shift) {
        (b'i' | b'j' | b'c' | b'k', true) => Some(format!(
            "Ctrl+Shift+{}",
            char::from(letter.to_ascii_uppercase())
        )),
        (b'u', false) => Some("Ctrl+U".into()),
        _ => None,
    }
}

/// The keyboard map of a display: key codes to keysyms.
#[derive(Debug, Clone)]
pub struct Keymap {
    min_keycode: u8,
    per_keycode: usize,
    keysyms: Vec<Keysym>,
}

impl Keymap {
    /// Reads the map over `conn`.
    pub fn read(conn: &impl Connection) -> Result<Self, LockdownError> {
        let setup = conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let reply = conn
            .get_keyboard_mapping(min, max - min + 1)
            .map_err(err)?
            .reply()
            .map_err(err)?;
        Ok(Self {
            min_keycode: min,
            per_keycode: usize::from(reply.keysyms_per_keycode).max(1),
            keysyms: reply.keysyms,
        })
    }

    /// The keysym of `keycode` without Shift.
    pub fn keysym(&self, keycode: u8) -> Option<Keysym> {
        let index = usize::from(keycode.checked_sub(self.min_keycode)?) * self.per_keycode;
        self.keysyms.get(index).copied().filter(|k| *k != 0)
    }

    /// The shortcut a key press is, if any.
    pub fn shortcut(&self, press: &KeyPressEvent) -> Option<Shortcut> {
        classify(self.keysym(press.detail)?, press.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_recognised_and_typing_is_not() {
        let alt = KeyButMask::MOD1;
        let ctrl_alt = KeyButMask::CONTROL | KeyButMask::MOD1;
        assert_eq!(
            classify(XK_TAB, alt),
            Some(Shortcut::Blocked("Alt+Tab".into()))
        );
        assert_eq!(
            classify(XK_SUPER_L, KeyButMask::default()),
            Some(Shortcut::Blocked("Super".into()))
        );
        assert_eq!(
            classify(XK_PRINT, KeyButMask::default()),
            Some(Shortcut::PrintScreen("Print".into()))
        );
        assert_eq!(
            classify(XK_F1 + 1, ctrl_alt),
            Some(Shortcut::Blocked("Ctrl+Alt+F2".into()))
        );
        assert_eq!(
            classify(XK_LEFT, ctrl_alt),
            Some(Shortcut::Blocked("Ctrl+Alt+Left".into()))
        );
        assert_eq!(
            classify(XK_F4, alt),
            Some(Shortcut::Blocked("Alt+F4".into()))
        );
        assert_eq!(
            classify(u32::from(b'e'), KeyButMask::MOD4),
            Some(Shortcut::Blocked("Super+0x65".into()))
        );
        // Typing, Tab between fields, Ctrl+C inside the exam: not shortcuts.
        for (k, s) in [
            (u32::from(b'a'), KeyButMask::default()),
            (XK_TAB, KeyButMask::default()),
            (XK_TAB, KeyButMask::SHIFT),
            (u32::from(b'c'), KeyButMask::CONTROL),
            (XK_F1, KeyButMask::default()),
            (u32::from(b'i'), KeyButMask::SHIFT),
            (u32::from(b'U'), KeyButMask::SHIFT),
        ] {
            assert_eq!(classify(k, s), None, "{k:#x} {s:?}");
        }
    }

    #[test]
    fn developer_tools_shortcuts_are_recognised_shifted_or_not() {
        let ctrl_shift = KeyButMask::CONTROL | KeyButMask::SHIFT;
        for (k, s, want) in [
            (XK_F12, KeyButMask::default(), "F12"),
            (XK_F12, KeyButMask::CONTROL, "Ctrl+F12"),
            (u32::from(b'I'), ctrl_shift, "Ctrl+Shift+I"),
            (u32::from(b'i'), ctrl_shift, "Ctrl+Shift+I"),
            (u32::from(b'J'), ctrl_shift, "Ctrl+Shift+J"),
            (u32::from(b'C'), ctrl_shift, "Ctrl+Shift+C"),
            (u32::from(b'k'), ctrl_shift, "Ctrl+Shift+K"),
            (u32::from(b'u'), KeyButMask::CONTROL, "Ctrl+U"),
        ] {
            assert_eq!(
                classify(k, s),
                Some(Shortcut::Devtools(want.into())),
                "{k:#x} {s:?}"
            );
        }
        // Copy, a virtual terminal switch and Ctrl+Shift+U (Unicode input) are not.
        assert_eq!(classify(u32::from(b'c'), KeyButMask::CONTROL), None);
        assert_eq!(
            classify(XK_F12, KeyButMask::CONTROL | KeyButMask::MOD1),
            Some(Shortcut::Blocked("Ctrl+Alt+F12".into()))
        );
        assert_eq!(classify(u32::from(b'U'), ctrl_shift), None);
    }
}
