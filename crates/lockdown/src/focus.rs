//! Focus: the exam window should keep the keyboard focus. Every time
//! another window takes it (Alt+Tab, a click, a program activating itself)
//! is an event naming that window, with a timestamp; with `keep_focus` the
//! exam window takes the focus back at once and is raised.
//!
//! Works on any X11 window, the app's included, over a connection of its
//! own: focus events can be watched by any client.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use paraakh_evidence::clock::{Clock, Timestamp};
use paraakh_signal::Producer;
use serde::Serialize;
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    ChangeWindowAttributesAux, ClientMessageEvent, ConfigureWindowAux, ConnectionExt as _,
    EventMask, InputFocus, StackMode, Window,
};
use x11rb::rust_connection::RustConnection;

use crate::error::LockdownError;

/// The exam window lost the focus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FocusEvent {
    /// When.
    pub at: Timestamp,
    /// The window that has the focus now (0: none).
    pub to_window: u32,
    /// Its title, when it has one.
    pub to_name: Option<String>,
    /// The exam window took the focus back.
    pub taken_back: bool,
}

/// Watches the focus of one window.
#[derive(Debug)]
pub struct FocusGuard {
    thread: Producer<FocusEvent>,
}

fn err(e: impl std::fmt::Display) -> LockdownError {
    LockdownError::Desktop {
        reason: e.to_string(),
    }
}

struct Watched {
    conn: RustConnection,
    root: Window,
    window: Window,
    net_active_window: u32,
}

impl Watched {
    /// Whether `w` is the exam window or inside it.
    fn is_ours(&self, w: Window) -> bool {
        crate::x11::is_inside(&self.conn, w, self.window)
    }

    fn focused(&self) -> Option<Window> {
        Some(self.conn.get_input_focus().ok()?.reply().ok()?.focus)
    }

    /// The title of `w` or of the nearest ancestor that has one.
    fn title(&self, w: Window) -> Option<String> {
        crate::x11::title(&self.conn, self.root, w)
    }

    /// Asks the window manager to activate the exam window, and sets the
    /// focus and stacking directly for window managers that do not listen.
    fn take_back(&self) {
        let activate = ClientMessageEvent::new(
            32,
            self.window,
            self.net_active_window,
            // Source 2: a pager (the user's wish), which window managers obey.
            [2u32, 0, 0, 0, 0],
        );
        let mask = EventMask::SUBSTRUCTURE_REDIRECT | EventMask::SUBSTRUCTURE_NOTIFY;
        let _ = self.conn.send_event(false, self.root, mask, activate);
        let _ = self.conn.configure_window(
            self.window,
            &ConfigureWindowAux::new().stack_mode(StackMode::ABOVE),
        );
        let _ = self
            .conn
            .set_input_focus(InputFocus::PARENT, self.window, x11rb::CURRENT_TIME);
        let _ = self.conn.flush();
    }
}

fn atom(conn: &RustConnection, name: &str) -> Result<u32, LockdownError> {
    crate::x11::atom(conn, name).map_err(err)
}

/// How long focus changes settle before they are judged (a menu or a
/// dialog of the exam window itself passes the focus back and forth).
const SETTLE: Duration = Duration::from_millis(30);

impl FocusGuard {
    /// Watches `window` on the X display `display` (or `DISPLAY`'s). With
    /// `keep_focus`, takes the focus back whenever another window gets it.
    pub fn start(
        display: Option<&str>,
        window: u32,
        keep_focus: bool,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LockdownError> {
        let (conn, screen) = x11rb::connect(display).map_err(err)?;
        let root = conn
            .setup()
            .roots
            .get(screen)
            .ok_or_else(|| err("no such X screen"))?
            .root;
        let watched = Watched {
            net_active_window: atom(&conn, "_NET_ACTIVE_WINDOW")?,
            conn,
            root,
            window,
        };
        watched
            .conn
            .change_window_attributes(
                window,
                &ChangeWindowAttributesAux::new()
                    .event_mask(EventMask::FOCUS_CHANGE | EventMask::STRUCTURE_NOTIFY),
            )
            .map_err(err)?
            .check()
            .map_err(|e| err(format!("cannot watch window {window:#x}: {e}")))?;
        // The active window property changes with every activation, also
        // between two other windows.
        watched
            .conn
            .change_window_attributes(
                root,
                &ChangeWindowAttributesAux::new().event_mask(EventMask::PROPERTY_CHANGE),
            )
            .map_err(err)?
            .check()
            .map_err(err)?;
        let thread = Producer::spawn("paraakh-focus", 256, [], move |q, stop| {
            while !stop.load(Ordering::Relaxed) {
                let mut look = false;
                loop {
                    match watched.conn.poll_for_event() {
                        Ok(Some(Event::FocusOut(_))) => look = true,
                        Ok(Some(Event::PropertyNotify(p)))
                            if p.atom == watched.net_active_window =>
                        {
                            look = true;
                        }
                        // The exam window is gone: nothing more to guard.
                        Ok(Some(Event::DestroyNotify(d))) if d.window == watched.window => {
                            return;
                        }
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(_) => return,
                    }
                }
                if look {
                    std::thread::sleep(SETTLE);
                    while let Ok(Some(_)) = watched.conn.poll_for_event() {}
                    if let Some(focus) = watched.focused()
                        && !watched.is_ours(focus)
                    {
                        let to_name = watched.title(focus);
                        let mut taken_back = false;
                        if keep_focus {
                            watched.take_back();
                            std::thread::sleep(SETTLE);
                            taken_back = watched.focused().is_some_and(|f| watched.is_ours(f));
                            // Our own focus changes are not news.
                            while let Ok(Some(_)) = watched.conn.poll_for_event() {}
                        }
                        q.push(FocusEvent {
                            at: clock.now(),
                            to_window: focus,
                            to_name,
                            taken_back,
                        });
                    }
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
        .map_err(err)?;
        Ok(Self { thread })
    }

    /// The next focus loss, waiting at most `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Option<FocusEvent> {
        self.thread.next(timeout)
    }
}
