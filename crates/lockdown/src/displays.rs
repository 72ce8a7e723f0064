//! Displays: how many pictures the machine shows, where, and whether two
//! outputs mirror each other (a second screen facing someone else), read
//! from X11 RandR; a watch turns every change during the exam (a monitor
//! plugged in, switched off, set to mirror) into an event.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use paraakh_evidence::clock::{Clock, Timestamp};
use paraakh_signal::Producer;
use serde::Serialize;
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::randr::{self, ConnectionExt as _};
use x11rb::rust_connection::RustConnection;

use crate::error::LockdownError;

/// One output showing a picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Display {
    /// The output's name (`HDMI-1`, `eDP-1`, ...).
    pub output: String,
    /// Position on the desktop.
    pub x: i32,
    /// Position on the desktop.
    pub y: i32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The primary display.
    pub primary: bool,
}

/// The displays as they are now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisplayReport {
    /// Every output showing a picture, left to right.
    pub displays: Vec<Display>,
    /// Outputs that show the same picture, in groups of two or more.
    pub mirrored: Vec<Vec<String>>,
    /// Distinct pictures (what the policy's `max` counts).
    pub count: usize,
    /// Outputs with a monitor connected but switched off (it can be
    /// switched on during the exam: watched).
    pub connected_off: Vec<String>,
}

impl DisplayReport {
    /// In plain words.
    pub fn summary(&self) -> String {
        let mut s = match self.count {
            1 => "1 display".to_owned(),
            n => format!("{n} displays"),
        };
        let names: Vec<String> = self
            .displays
            .iter()
            .map(|d| format!("{} {}×{}", d.output, d.width, d.height))
            .collect();
        if !names.is_empty() {
            s.push_str(&format!(" ({})", names.join(", ")));
        }
        for group in &self.mirrored {
            s.push_str(&format!("; {} show the same picture", group.join(" and ")));
        }
        s
    }

    /// What changed from `before` to `self`, in plain words.
    pub fn changes_since(&self, before: &DisplayReport) -> String {
        let mut parts = Vec::new();
        for d in &self.displays {
            match before.displays.iter().find(|b| b.output == d.output) {
                None => parts.push(format!("{} switched on or connected", d.output)),
                Some(b) if b != d => parts.push(format!("{} changed", d.output)),
                Some(_) => {}
            }
        }
        for b in &before.displays {
            if !self.displays.iter().any(|d| d.output == b.output) {
                parts.push(format!("{} switched off or disconnected", b.output));
            }
        }
        if self.mirrored != before.mirrored {
            parts.push(if self.mirrored.is_empty() {
                "mirroring stopped".to_owned()
            } else {
                "mirroring started".to_owned()
            });
        }
        if parts.is_empty() {
            parts.push("display settings changed".to_owned());
        }
        format!("{} (now {})", parts.join(", "), self.summary())
    }
}

fn err(e: impl std::fmt::Display) -> LockdownError {
    LockdownError::Displays {
        reason: e.to_string(),
    }
}

/// An X11 display connection that reads RandR.
pub struct X11Displays {
    conn: RustConnection,
    root: u32,
}

impl std::fmt::Debug for X11Displays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11Displays").finish_non_exhaustive()
    }
}

impl X11Displays {
    /// Connects to the X display `name` (`:0`), or to `DISPLAY`'s.
    pub fn connect(name: Option<&str>) -> Result<Self, LockdownError> {
        let (conn, screen) = x11rb::connect(name)
            .map_err(|e| err(format!("{e}; run inside a graphical session (DISPLAY set)")))?;
        let root = conn
            .setup()
            .roots
            .get(screen)
            .ok_or_else(|| err("no such X screen"))?
            .root;
        // RandR 1.3 has primary outputs and current resources.
        conn.randr_query_version(1, 3)
            .map_err(err)?
            .reply()
            .map_err(|e| err(format!("the X server has no RandR: {e}")))?;
        Ok(Self { conn, root })
    }

    /// The X server's vendor string and extension names (a VNC server
    /// shows itself by its extension).
    pub fn server(&self) -> Result<(String, Vec<String>), LockdownError> {
        use x11rb::protocol::xproto::ConnectionExt as _;
        let vendor = String::from_utf8_lossy(&self.conn.setup().vendor).into_owned();
        let extensions = self
            .conn
            .list_extensions()
            .map_err(err)?
            .reply()
            .map_err(err)?
            .names
            .iter()
            .map(|n| String::from_utf8_lossy(&n.name).into_owned())
            .collect();
        Ok((vendor, extensions))
    }

    /// Whether a window manager runs (EWMH `_NET_SUPPORTING_WM_CHECK` on the
    /// root window): without one nobody makes a window fullscreen.
    pub fn has_window_manager(&self) -> bool {
        use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _};
        let Ok(check) = crate::x11::atom(&self.conn, "_NET_SUPPORTING_WM_CHECK") else {
            return false;
        };
        self.conn
            .get_property(false, self.root, check, AtomEnum::WINDOW, 0, 1)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|r| r.value32().is_some_and(|mut v| v.next().is_some()))
    }

    /// The window manager's name (EWMH `_NET_SUPPORTING_WM_CHECK`), if one
    /// runs and says.
    pub fn window_manager(&self) -> Option<String> {
        use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _};
        let check = crate::x11::atom(&self.conn, "_NET_SUPPORTING_WM_CHECK").ok()?;
        let utf8 = crate::x11::atom(&self.conn, "UTF8_STRING").ok()?;
        let name = crate::x11::atom(&self.conn, "_NET_WM_NAME").ok()?;
        let window = self
            .conn
            .get_property(false, self.root, check, AtomEnum::WINDOW, 0, 1)
            .ok()?
            .reply()
            .ok()?
            .value32()?
            .next()?;
        let reply = self
            .conn
            .get_property(false, window, name, utf8, 0, 256)
            .ok()?
            .reply()
            .ok()?;
        let wm = String::from_utf8_lossy(&reply.value).trim().to_owned();
        (!wm.is_empty()).then_some(wm)
    }

    /// The displays now.
    pub fn read(&self) -> Result<DisplayReport, LockdownError> {
        let res = self
            .conn
            .randr_get_screen_resources_current(self.root)
            .map_err(err)?
            .reply()
            .map_err(err)?;
        let primary = self
            .conn
            .randr_get_output_primary(self.root)
            .map_err(err)?
            .reply()
            .map_err(err)?
            .output;
        let mut displays = Vec::new();
        let mut crtcs = Vec::new();
        let mut connected_off = Vec::new();
        for &output in &res.outputs {
            let info = self
                .conn
                .randr_get_output_info(output, res.config_timestamp)
                .map_err(err)?
                .reply()
                .map_err(err)?;
            let name = String::from_utf8_lossy(&info.name).into_owned();
            // An output driven by a CRTC shows a picture whatever its cached
            // connection state says (the "current" resources do not probe
            // the hardware, which can make screens flicker).
            if info.crtc == 0 {
                if info.connection == randr::Connection::CONNECTED {
                    connected_off.push(name);
                }
                continue;
            }
            let crtc = self
                .conn
                .randr_get_crtc_info(info.crtc, res.config_timestamp)
                .map_err(err)?
                .reply()
                .map_err(err)?;
            if crtc.width == 0 || crtc.height == 0 {
                connected_off.push(name);
                continue;
            }
            crtcs.push(info.crtc);
            displays.push(Display {
                output: name,
                x: i32::from(crtc.x),
                y: i32::from(crtc.y),
                width: u32::from(crtc.width),
                height: u32::from(crtc.height),
                primary: output == primary,
            });
        }
        Ok(report(displays, &crtcs, connected_off))
    }
}

/// Groups outputs that show the same picture: one CRTC driving several
/// outputs, or several CRTCs with the same place and size.
fn report(mut displays: Vec<Display>, crtcs: &[u32], connected_off: Vec<String>) -> DisplayReport {
    let mut order: Vec<usize> = (0..displays.len()).collect();
    order.sort_by_key(|&i| (displays[i].x, displays[i].y, displays[i].output.clone()));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &i in &order {
        let d = &displays[i];
        let same = groups.iter_mut().find(|g| {
            let first = g[0];
            let o = &displays[first];
            crtcs.get(first) == crtcs.get(i)
                || (o.x, o.y, o.width, o.height) == (d.x, d.y, d.width, d.height)
        });
        match same {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mirrored = groups
        .iter()
        .filter(|g| g.len() > 1)
        .map(|g| g.iter().map(|&i| displays[i].output.clone()).collect())
        .collect();
    let count = groups.len();
    displays.sort_by_key(|d| (d.x, d.y, d.output.clone()));
    DisplayReport {
        displays,
        mirrored,
        count,
        connected_off,
    }
}

/// A change of displays during the exam.
#[derive(Debug, Clone, Serialize)]
pub struct DisplayEvent {
    /// When it was seen.
    pub at: Timestamp,
    /// What changed, in plain words.
    pub change: String,
    /// Before.
    pub before: DisplayReport,
    /// After.
    pub after: DisplayReport,
}

/// Changes settle for this long before they are read (`xrandr` and
/// plugging a cable make bursts of notifications).
const SETTLE: Duration = Duration::from_millis(150);
/// Read again this often even without notifications.
const RECHECK: Duration = Duration::from_secs(2);

/// Watches the displays on its own thread.
pub struct DisplayWatch {
    thread: Producer<DisplayEvent>,
    initial: DisplayReport,
}

impl std::fmt::Debug for DisplayWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DisplayWatch")
            .field("initial", &self.initial)
            .finish_non_exhaustive()
    }
}

impl DisplayWatch {
    /// Reads the displays and starts watching them.
    pub fn start(displays: X11Displays, clock: Arc<dyn Clock>) -> Result<Self, LockdownError> {
        let mask = randr::NotifyMask::SCREEN_CHANGE
            | randr::NotifyMask::CRTC_CHANGE
            | randr::NotifyMask::OUTPUT_CHANGE;
        displays
            .conn
            .randr_select_input(displays.root, mask)
            .map_err(err)?
            .check()
            .map_err(err)?;
        let initial = displays.read()?;
        let mut last = initial.clone();
        let thread = Producer::spawn("paraakh-displays", 64, [], move |q, stop| {
            let mut next_check = Instant::now() + RECHECK;
            while !stop.load(Ordering::Relaxed) {
                let mut notified = false;
                loop {
                    match displays.conn.poll_for_event() {
                        Ok(Some(Event::RandrScreenChangeNotify(_) | Event::RandrNotify(_))) => {
                            notified = true;
                        }
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        // The X server went away: nothing more to watch.
                        Err(_) => return,
                    }
                }
                if notified {
                    std::thread::sleep(SETTLE);
                    while let Ok(Some(_)) = displays.conn.poll_for_event() {}
                }
                if notified || Instant::now() >= next_check {
                    next_check = Instant::now() + RECHECK;
                    if let Ok(now) = displays.read()
                        && now != last
                    {
                        q.push(DisplayEvent {
                            at: clock.now(),
                            change: now.changes_since(&last),
                            before: last.clone(),
                            after: now.clone(),
                        });
                        last = now;
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
        .map_err(err)?;
        Ok(Self { thread, initial })
    }

    /// The displays when the watch started.
    pub fn initial(&self) -> &DisplayReport {
        &self.initial
    }

    /// The next change, waiting at most `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Option<DisplayEvent> {
        self.thread.next(timeout)
    }

    /// Whether the watching has ended by itself (the X server went away).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(name: &str, x: i32, w: u32) -> Display {
        Display {
            output: name.into(),
            x,
            y: 0,
            width: w,
            height: 768,
            primary: x == 0,
        }
    }

    #[test]
    fn side_by_side_outputs_count_twice_and_mirrors_once() {
        let r = report(vec![d("B", 1024, 1024), d("A", 0, 1024)], &[2, 1], vec![]);
        assert_eq!((r.count, r.mirrored.len()), (2, 0));
        assert_eq!(r.displays[0].output, "A");
        // Same place and size on two CRTCs.
        let r = report(vec![d("A", 0, 1024), d("B", 0, 1024)], &[1, 2], vec![]);
        assert_eq!(
            (r.count, r.mirrored.clone()),
            (1, vec![vec!["A".to_owned(), "B".to_owned()]])
        );
        assert!(
            r.summary().contains("A and B show the same picture"),
            "{}",
            r.summary()
        );
        // One CRTC driving two outputs.
        let r = report(vec![d("A", 0, 1024), d("B", 0, 1024)], &[1, 1], vec![]);
        assert_eq!(r.count, 1);
    }

    #[test]
    fn changes_are_said_in_words() {
        let one = report(vec![d("A", 0, 1024)], &[1], vec![]);
        let two = report(vec![d("A", 0, 1024), d("B", 1024, 1024)], &[1, 2], vec![]);
        assert!(
            two.changes_since(&one)
                .starts_with("B switched on or connected")
        );
        assert!(
            one.changes_since(&two)
                .starts_with("B switched off or disconnected")
        );
    }
}
