//! X11 screens over one persistent connection (x11rb): RandR monitors and
//! `GetImage` of the root window.
//!
//! xcap connects to the X server again for every monitor lookup, every
//! monitor property and every capture: looking the monitor up (hot-plug)
//! and capturing 1080p took 51 ms through xcap and 15 ms over one kept
//! connection (release build, Xvfb; `cargo bench -p paraakh-capture`).

use x11rb::connection::Connection;
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, ImageOrder, Window};
use x11rb::rust_connection::RustConnection;

use super::{MonitorInfo, RawScreen, ScreenSource};
use crate::error::{CaptureError, Device};

/// The X11 display this process is on (`DISPLAY`).
pub struct X11Screen {
    conn: RustConnection,
    root: Window,
    /// Bit positions of red, green and blue in a 32-bit pixel.
    shifts: [u32; 3],
    lsb_first: bool,
    root_size: (u16, u16),
}

impl std::fmt::Debug for X11Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11Screen")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

fn not_found(e: impl std::fmt::Display) -> CaptureError {
    CaptureError::NotFound {
        device: Device::Screen,
        name: String::new(),
        hint: format!(
            "the X display cannot be read ({e}); run inside a graphical session (DISPLAY set)"
        ),
    }
}

fn lost(e: impl std::fmt::Display) -> CaptureError {
    CaptureError::Lost {
        device: Device::Screen,
        name: "X display".into(),
        reason: e.to_string(),
    }
}

impl X11Screen {
    /// Connects to `DISPLAY`.
    pub fn connect() -> Result<Self, CaptureError> {
        let (conn, screen_num) = x11rb::connect(None).map_err(not_found)?;
        let setup = conn.setup();
        let screen = setup
            .roots
            .get(screen_num)
            .ok_or_else(|| not_found("no such screen"))?;
        let visual = screen
            .allowed_depths
            .iter()
            .flat_map(|d| d.visuals.iter())
            .find(|v| v.visual_id == screen.root_visual)
            .ok_or_else(|| not_found("the root window's visual is not listed"))?;
        let pixmap_ok = setup
            .pixmap_formats
            .iter()
            .any(|f| f.depth == screen.root_depth && f.bits_per_pixel == 32);
        if !pixmap_ok || screen.root_depth < 24 {
            return Err(CaptureError::Open {
                device: Device::Screen,
                name: "X display".into(),
                reason: format!(
                    "only 24- and 32-bit colour displays are supported (this one is {}-bit)",
                    screen.root_depth
                ),
            });
        }
        let shifts =
            [visual.red_mask, visual.green_mask, visual.blue_mask].map(u32::trailing_zeros);
        let (root, root_size) = (
            screen.root,
            (screen.width_in_pixels, screen.height_in_pixels),
        );
        let lsb_first = setup.image_byte_order == ImageOrder::LSB_FIRST;
        Ok(Self {
            conn,
            root,
            shifts,
            lsb_first,
            root_size,
        })
    }

    fn atom_name(&self, atom: u32) -> String {
        self.conn
            .get_atom_name(atom)
            .ok()
            .and_then(|c| c.reply().ok())
            .map_or_else(
                || format!("monitor {atom}"),
                |r| String::from_utf8_lossy(&r.name).into_owned(),
            )
    }
}

impl ScreenSource for X11Screen {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        let reply = self
            .conn
            .randr_get_monitors(self.root, true)
            .map_err(lost)?
            .reply();
        let monitors: Vec<MonitorInfo> = match reply {
            Ok(r) => r
                .monitors
                .iter()
                .map(|m| MonitorInfo {
                    id: m.name,
                    name: self.atom_name(m.name),
                    x: i32::from(m.x),
                    y: i32::from(m.y),
                    width: u32::from(m.width),
                    height: u32::from(m.height),
                    primary: m.primary,
                })
                .collect(),
            // No RandR 1.5: the whole root window is one monitor.
            Err(_) => Vec::new(),
        };
        if monitors.is_empty() {
            return Ok(vec![MonitorInfo {
                id: 0,
                name: "screen".into(),
                x: 0,
                y: 0,
                width: u32::from(self.root_size.0),
                height: u32::from(self.root_size.1),
                primary: true,
            }]);
        }
        Ok(monitors)
    }

    fn capture(&mut self, monitor: &MonitorInfo) -> Result<RawScreen, CaptureError> {
        let (Ok(x), Ok(y), Ok(w), Ok(h)) = (
            i16::try_from(monitor.x),
            i16::try_from(monitor.y),
            u16::try_from(monitor.width),
            u16::try_from(monitor.height),
        ) else {
            return Err(lost(format!(
                "monitor {} has an impossible geometry",
                monitor.name
            )));
        };
        let image = self
            .conn
            .get_image(ImageFormat::Z_PIXMAP, self.root, x, y, w, h, !0)
            .map_err(lost)?
            .reply()
            .map_err(lost)?;
        let pixels = usize::from(w) * usize::from(h);
        if image.data.len() < pixels * 4 {
            return Err(lost("the X server sent a short image"));
        }
        let mut rgba = vec![0u8; pixels * 4];
        let [rs, gs, bs] = self.shifts;
        for (out, px) in rgba.chunks_exact_mut(4).zip(image.data.chunks_exact(4)) {
            let bytes = [px[0], px[1], px[2], px[3]];
            let v = if self.lsb_first {
                u32::from_le_bytes(bytes)
            } else {
                u32::from_be_bytes(bytes)
            };
            out.copy_from_slice(&[(v >> rs) as u8, (v >> gs) as u8, (v >> bs) as u8, 255]);
        }
        Ok(RawScreen {
            width: u32::from(w),
            height: u32::from(h),
            rgba,
        })
    }
}
