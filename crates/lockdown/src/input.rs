//! Input that no hand made (X11): key presses, clicks and pointer motion
//! are watched as XInput2 raw events for the whole display and attributed
//! to the device they came from. Events from the XTEST devices (what
//! `xdotool`, auto-typers and remote helpers inject through the X server)
//! or from a virtual kernel device (`uinput`) are synthetic input: reported
//! once per episode with their counts and the window that had the focus.
//! Devices present at the start are listed; one that appears later is
//! reported with its bus and whether the kernel calls it virtual.
//!
//! Raw events reach a client that selected them on the root window even
//! while another client (the exam's own keyboard grab) holds the keyboard:
//! XInput 2.1 and later deliver them regardless of grabs.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use paraakh_evidence::clock::{Clock, Timestamp};
use paraakh_signal::Producer;
use serde::Serialize;
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xinput::{self, ConnectionExt as _, DeviceType, XIEventMask};
use x11rb::protocol::xproto::{ConnectionExt as _, Window};
use x11rb::rust_connection::RustConnection;

use crate::error::LockdownError;

/// Where a device's events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A device of the machine (or one the X server drives itself).
    Physical,
    /// The X server's XTEST device: input sent by a program.
    Xtest,
    /// A kernel device with no hardware behind it (`uinput`).
    VirtualDevice,
}

impl Origin {
    /// Input from this origin was not made by a hand on this machine's devices.
    pub fn is_synthetic(self) -> bool {
        self != Self::Physical
    }
}

/// An input device as the X server and the kernel describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputDevice {
    /// The X server's id.
    pub id: u16,
    /// Its name.
    pub name: String,
    /// `keyboard` or `pointer`.
    pub kind: &'static str,
    /// Where its events come from.
    pub origin: Origin,
    /// The kernel's device node, when the X server names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The kernel's bus for it (`usb`, `bluetooth`, `virtual`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
}

/// One stretch of synthetic input: events no more than [`QUIET`] apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyntheticEpisode {
    /// When it began.
    pub at: Timestamp,
    /// The devices it came through.
    pub devices: Vec<String>,
    /// Key presses.
    pub keys: u64,
    /// Button presses (clicks).
    pub buttons: u64,
    /// Pointer motions.
    pub motions: u64,
    /// From its first event to its last, in seconds.
    pub seconds: f64,
    /// The title of the window that had the focus when it began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<String>,
}

/// What the input watch reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputEvent {
    /// Synthetic input, once its episode is over.
    Synthetic(SyntheticEpisode),
    /// A keyboard or pointer that was not there at the start.
    DeviceAdded {
        /// When it was seen.
        at: Timestamp,
        /// The device.
        device: InputDevice,
    },
}

/// An episode ends when no synthetic event came for this long.
pub const QUIET: Duration = Duration::from_millis(1500);
/// A longer one is reported in parts of this length (a remote helper
/// driving the machine for an hour is sixty records, not one at the end).
pub const LONGEST: Duration = Duration::from_secs(60);

/// The kind of a raw event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    /// A key press.
    Key,
    /// A button press.
    Button,
    /// Pointer motion.
    Motion,
}

/// Episodes of synthetic input from raw events (pure: fed by the watch,
/// unit-tested on its own).
#[derive(Debug, Default)]
pub struct Episodes {
    open: Option<Open>,
}

#[derive(Debug)]
struct Open {
    episode: SyntheticEpisode,
    first: Instant,
    last: Instant,
}

impl Episodes {
    /// A synthetic event through `device` at `now`; `begin` gives the
    /// start's timestamp and focus when it opens an episode. Returns an
    /// episode that ended first (it reached [`LONGEST`]).
    pub fn synthetic(
        &mut self,
        kind: RawKind,
        device: &str,
        now: Instant,
        begin: impl FnOnce() -> (Timestamp, Option<String>),
    ) -> Option<SyntheticEpisode> {
        let ended = self
            .open
            .as_ref()
            .is_some_and(|o| now.duration_since(o.first) >= LONGEST);
        let done = if ended { self.close() } else { self.tick(now) };
        let open = self.open.get_or_insert_with(|| {
            let (at, focus) = begin();
            Open {
                episode: SyntheticEpisode {
                    at,
                    devices: Vec::new(),
                    keys: 0,
                    buttons: 0,
                    motions: 0,
                    seconds: 0.0,
                    focus,
                },
                first: now,
                last: now,
            }
        });
        match kind {
            RawKind::Key => open.episode.keys += 1,
            RawKind::Button => open.episode.buttons += 1,
            RawKind::Motion => open.episode.motions += 1,
        }
        if !open.episode.devices.iter().any(|d| d == device) {
            open.episode.devices.push(device.to_owned());
        }
        open.last = now;
        done
    }

    /// The episode, if it is over at `now`.
    pub fn tick(&mut self, now: Instant) -> Option<SyntheticEpisode> {
        if self
            .open
            .as_ref()
            .is_some_and(|o| now.duration_since(o.last) >= QUIET)
        {
            return self.close();
        }
        None
    }

    /// Ends the open episode now (the watch stops).
    pub fn close(&mut self) -> Option<SyntheticEpisode> {
        self.open.take().map(|o| SyntheticEpisode {
            seconds: o.last.duration_since(o.first).as_secs_f64(),
            ..o.episode
        })
    }
}

fn err(e: impl std::fmt::Display) -> LockdownError {
    LockdownError::Desktop {
        reason: e.to_string(),
    }
}

/// The kernel's bus name for a `bustype` (linux/input.h).
fn bus_name(bustype: u16) -> String {
    match bustype {
        0x01 => "pci".into(),
        0x03 => "usb".into(),
        0x05 => "bluetooth".into(),
        0x06 => "virtual".into(),
        0x11 => "i8042".into(),
        0x18 => "i2c".into(),
        0x19 => "host".into(),
        other => format!("bus {other:#04x}"),
    }
}

/// What sysfs (under `sys`, normally `/sys`) says about the event device
/// `node` (`/dev/input/event5`): its bus, and whether it is virtual (a
/// device with no hardware: its sysfs path is under `devices/virtual`).
pub fn kernel_device(sys: &Path, node: &str) -> Option<(String, bool)> {
    let name = Path::new(node).file_name()?;
    let class = sys.join("class/input").join(name);
    let real = std::fs::canonicalize(&class).ok()?;
    let is_virtual = real.components().any(|c| c.as_os_str() == "virtual");
    let bustype = std::fs::read_to_string(class.join("device/id/bustype"))
        .ok()
        .and_then(|t| u16::from_str_radix(t.trim(), 16).ok());
    let bus = bustype.map_or_else(|| "unknown".to_owned(), bus_name);
    Some((bus, is_virtual || bustype == Some(0x06)))
}

struct Watch {
    conn: RustConnection,
    root: Window,
    xtest_atom: u32,
    node_atom: u32,
    devices: BTreeMap<u16, InputDevice>,
}

impl Watch {
    /// Whether device `id` has the property `atom` (set by the server:
    /// clients cannot add "XTEST Device" to a device of their own).
    fn property(&self, id: u16, atom: u32) -> Option<Vec<u8>> {
        let reply = self
            .conn
            .xinput_xi_get_property(id, false, atom, 0u32, 0, 256)
            .ok()?
            .reply()
            .ok()?;
        (reply.type_ != 0).then(|| match reply.items {
            xinput::XIGetPropertyItems::Data8(d) => d,
            _ => Vec::new(),
        })
    }

    /// Every slave keyboard and pointer the server has now.
    fn list(&self) -> Result<Vec<InputDevice>, LockdownError> {
        let reply = self
            .conn
            .xinput_xi_query_device(xinput::Device::ALL)
            .map_err(err)?
            .reply()
            .map_err(err)?;
        let mut out = Vec::new();
        for info in reply.infos {
            let kind = match info.type_ {
                DeviceType::SLAVE_KEYBOARD => "keyboard",
                DeviceType::SLAVE_POINTER => "pointer",
                DeviceType::FLOATING_SLAVE => "floating",
                _ => continue,
            };
            let name = String::from_utf8_lossy(&info.name).into_owned();
            let node = self.property(info.deviceid, self.node_atom).map(|d| {
                String::from_utf8_lossy(&d)
                    .trim_end_matches('\0')
                    .to_owned()
            });
            let kernel = node
                .as_deref()
                .and_then(|n| kernel_device(Path::new("/sys"), n));
            let origin = if self.property(info.deviceid, self.xtest_atom).is_some()
                || name.contains(" XTEST ")
            {
                Origin::Xtest
            } else if kernel.as_ref().is_some_and(|(_, v)| *v) {
                Origin::VirtualDevice
            } else {
                Origin::Physical
            };
            out.push(InputDevice {
                id: info.deviceid,
                name,
                kind,
                origin,
                node,
                bus: kernel.map(|(bus, _)| bus),
            });
        }
        Ok(out)
    }

    fn focus_title(&self) -> Option<String> {
        let focus = self.conn.get_input_focus().ok()?.reply().ok()?.focus;
        crate::x11::title(&self.conn, self.root, focus)
    }
}

/// Watches the input of one X display.
#[derive(Debug)]
pub struct InputWatch {
    devices: Vec<InputDevice>,
    thread: Producer<InputEvent>,
}

impl InputWatch {
    /// Starts watching the display `display` (or `DISPLAY`'s). Fails when
    /// the server has no XInput 2.1 (then nothing could be attributed).
    pub fn start(display: Option<&str>, clock: Arc<dyn Clock>) -> Result<Self, LockdownError> {
        let (conn, screen) = x11rb::connect(display).map_err(err)?;
        let root = conn
            .setup()
            .roots
            .get(screen)
            .ok_or_else(|| err("no such X screen"))?
            .root;
        // 2.1 at least: before it, raw events stop while another client
        // holds a grab and carry no source device.
        let version = conn
            .xinput_xi_query_version(2, 2)
            .map_err(err)?
            .reply()
            .map_err(|e| err(format!("the X server has no XInput 2: {e}")))?;
        if (version.major_version, version.minor_version) < (2, 1) {
            return Err(err(format!(
                "the X server has XInput {}.{}; 2.1 or later is needed to tell where input comes from",
                version.major_version, version.minor_version
            )));
        }
        let watch = Watch {
            xtest_atom: crate::x11::atom(&conn, "XTEST Device").map_err(err)?,
            node_atom: crate::x11::atom(&conn, "Device Node").map_err(err)?,
            conn,
            root,
            devices: BTreeMap::new(),
        };
        watch
            .conn
            .xinput_xi_select_events(
                root,
                &[
                    xinput::EventMask {
                        deviceid: xinput::Device::ALL_MASTER.into(),
                        mask: vec![
                            XIEventMask::RAW_KEY_PRESS
                                | XIEventMask::RAW_BUTTON_PRESS
                                | XIEventMask::RAW_MOTION,
                        ],
                    },
                    xinput::EventMask {
                        deviceid: xinput::Device::ALL.into(),
                        mask: vec![XIEventMask::HIERARCHY],
                    },
                ],
            )
            .map_err(err)?
            .check()
            .map_err(|e| err(format!("cannot watch input on the root window: {e}")))?;
        let devices = watch.list()?;
        let mut watch = watch;
        watch.devices = devices.iter().map(|d| (d.id, d.clone())).collect();
        let thread = Producer::spawn("paraakh-input", 256, [], move |q, stop| {
            let mut episodes = Episodes::default();
            while !stop.load(Ordering::Relaxed) {
                loop {
                    let event = match watch.conn.poll_for_event() {
                        Ok(Some(e)) => e,
                        Ok(None) => break,
                        Err(_) => {
                            if let Some(e) = episodes.close() {
                                q.push(InputEvent::Synthetic(e));
                            }
                            return;
                        }
                    };
                    let (kind, source) = match event {
                        Event::XinputRawKeyPress(e) => (RawKind::Key, e.sourceid),
                        Event::XinputRawButtonPress(e) => (RawKind::Button, e.sourceid),
                        Event::XinputRawMotion(e) => (RawKind::Motion, e.sourceid),
                        Event::XinputHierarchy(_) => {
                            let Ok(now) = watch.list() else { continue };
                            for d in now {
                                if let std::collections::btree_map::Entry::Vacant(e) =
                                    watch.devices.entry(d.id)
                                {
                                    e.insert(d.clone());
                                    q.push(InputEvent::DeviceAdded {
                                        at: clock.now(),
                                        device: d,
                                    });
                                }
                            }
                            continue;
                        }
                        _ => continue,
                    };
                    let Some(device) = watch.devices.get(&source) else {
                        continue;
                    };
                    if !device.origin.is_synthetic() {
                        continue;
                    }
                    let name = device.name.clone();
                    let ended = episodes.synthetic(kind, &name, Instant::now(), || {
                        (clock.now(), watch.focus_title())
                    });
                    if let Some(e) = ended {
                        q.push(InputEvent::Synthetic(e));
                    }
                }
                if let Some(e) = episodes.tick(Instant::now()) {
                    q.push(InputEvent::Synthetic(e));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if let Some(e) = episodes.close() {
                q.push(InputEvent::Synthetic(e));
            }
        })
        .map_err(err)?;
        Ok(Self { devices, thread })
    }

    /// The keyboards and pointers there were at the start.
    pub fn devices(&self) -> &[InputDevice] {
        &self.devices
    }

    /// The next report, waiting at most `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Option<InputEvent> {
        self.thread.next(timeout)
    }

    /// Whether the watch ended (the X server went away).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Stops watching; an episode still open is reported (read it with
    /// [`InputWatch::next_event`]).
    pub fn stop(&mut self) {
        self.thread.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> (Timestamp, Option<String>) {
        (
            Timestamp {
                utc_ns: 0,
                boot_ns: 0,
            },
            Some("Exam".into()),
        )
    }

    #[test]
    fn synthetic_events_close_together_are_one_episode_with_their_counts() {
        let mut e = Episodes::default();
        let t = Instant::now();
        let ms = |n: u64| t + Duration::from_millis(n);
        for i in 0..40 {
            assert_eq!(
                e.synthetic(RawKind::Key, "Virtual core XTEST keyboard", ms(i * 10), at),
                None
            );
        }
        assert_eq!(
            e.synthetic(RawKind::Button, "Virtual core XTEST pointer", ms(500), at),
            None
        );
        assert_eq!(e.tick(ms(1500)), None, "not quiet for long enough yet");
        let done = e.tick(ms(2000)).expect("quiet: the episode is over");
        assert_eq!((done.keys, done.buttons, done.motions), (40, 1, 0));
        assert_eq!(
            done.devices,
            ["Virtual core XTEST keyboard", "Virtual core XTEST pointer"]
        );
        assert_eq!(done.seconds, 0.5);
        assert_eq!(done.focus.as_deref(), Some("Exam"));
        assert_eq!(e.tick(ms(9000)), None, "reported once");
        // The next burst is a new episode.
        e.synthetic(RawKind::Key, "Virtual core XTEST keyboard", ms(10_000), at);
        assert_eq!(e.close().map(|d| d.keys), Some(1));
    }

    #[test]
    fn a_long_stretch_is_reported_a_minute_at_a_time() {
        let mut e = Episodes::default();
        let t = Instant::now();
        let mut reported = Vec::new();
        for s in 0..150 {
            reported.extend(e.synthetic(RawKind::Motion, "uinput", t + Duration::from_secs(s), at));
        }
        reported.extend(e.close());
        let motions: Vec<u64> = reported.iter().map(|r| r.motions).collect();
        assert_eq!(motions, [60, 60, 30]);
    }

    #[test]
    fn sysfs_tells_a_virtual_device_and_its_bus() {
        let sys = tempfile::tempdir().unwrap();
        let s = sys.path();
        // A USB keyboard and a uinput device, laid out as sysfs does.
        for (event, dir, bus) in [
            ("event3", "devices/pci0000:00/usb1/1-1/input/input3", "0003"),
            ("event9", "devices/virtual/input/input9", "0006"),
        ] {
            let real = s.join(dir).join(event);
            std::fs::create_dir_all(real.join("device/id")).unwrap();
            std::fs::write(real.join("device/id/bustype"), format!("{bus}\n")).unwrap();
            std::fs::create_dir_all(s.join("class/input")).unwrap();
            std::os::unix::fs::symlink(&real, s.join("class/input").join(event)).unwrap();
        }
        assert_eq!(
            kernel_device(s, "/dev/input/event3"),
            Some(("usb".into(), false))
        );
        assert_eq!(
            kernel_device(s, "/dev/input/event9"),
            Some(("virtual".into(), true))
        );
        assert_eq!(kernel_device(s, "/dev/input/event4"), None);
    }
}
