//! The real desktop: X11 through one persistent x11rb connection
//! ([`super::x11`]); Wayland compositors that offer wlr-screencopy (cage,
//! the exam session's kiosk compositor, and other wlroots ones) through
//! [`super::wlr`], over the connection made before the session was sealed
//! when there is one; other Wayland desktops (GNOME, KDE), Windows and macOS
//! through xcap (built there, not tested here). X11 is tested on Xvfb and
//! Xorg, wlr-screencopy on cage.

use super::{MonitorInfo, RawScreen, ScreenSource};
use crate::error::{CaptureError, Device};

/// The screen source for the desktop this process runs on.
pub fn open_desktop() -> Result<Box<dyn ScreenSource>, CaptureError> {
    #[cfg(target_os = "linux")]
    {
        let wayland = std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty())
            || std::env::var_os("XDG_SESSION_TYPE").is_some_and(|v| v == "wayland");
        if !wayland {
            return Ok(Box::new(super::x11::X11Screen::connect()?));
        }
        // Once the exam session is sealed only the connection made before
        // can capture; without one, a fresh connection if the compositor
        // offers screencopy, else xcap.
        if let Some(shared) = super::wlr::preconnected() {
            return Ok(Box::new(shared));
        }
        if let Some(screen) = super::wlr::WlrScreen::connect_if_offered()? {
            return Ok(Box::new(screen));
        }
    }
    Ok(Box::new(XcapScreen))
}

/// Every monitor through xcap.
#[derive(Debug, Default)]
pub struct XcapScreen;

fn open_err(name: &str, e: impl std::fmt::Display) -> CaptureError {
    CaptureError::Open {
        device: Device::Screen,
        name: name.to_owned(),
        reason: e.to_string(),
    }
}

fn monitor_info(m: &xcap::Monitor) -> Result<MonitorInfo, xcap::XCapError> {
    Ok(MonitorInfo {
        id: m.id()?,
        name: m.name()?,
        x: m.x()?,
        y: m.y()?,
        width: m.width()?,
        height: m.height()?,
        primary: m.is_primary().unwrap_or(false),
    })
}

impl XcapScreen {
    /// The desktop's monitors (re-read each time: monitors come and go).
    fn all() -> Result<Vec<(xcap::Monitor, MonitorInfo)>, CaptureError> {
        let monitors = xcap::Monitor::all().map_err(|e| CaptureError::NotFound {
            device: Device::Screen,
            name: String::new(),
            hint: format!(
                "the desktop cannot be read ({e}); run inside a graphical session (DISPLAY or WAYLAND_DISPLAY set)"
            ),
        })?;
        let mut out = Vec::with_capacity(monitors.len());
        for m in monitors {
            let info = monitor_info(&m).map_err(|e| open_err("monitor", e))?;
            out.push((m, info));
        }
        if out.is_empty() {
            return Err(CaptureError::NotFound {
                device: Device::Screen,
                name: String::new(),
                hint: "the desktop reports no monitors".into(),
            });
        }
        Ok(out)
    }
}

impl ScreenSource for XcapScreen {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        Ok(Self::all()?.into_iter().map(|(_, info)| info).collect())
    }

    fn capture(&mut self, monitor: &MonitorInfo) -> Result<RawScreen, CaptureError> {
        let (m, _) = Self::all()?
            .into_iter()
            .find(|(_, info)| info.id == monitor.id)
            .ok_or_else(|| CaptureError::Lost {
                device: Device::Screen,
                name: monitor.name.clone(),
                reason: "the monitor was disconnected".into(),
            })?;
        let img = m.capture_image().map_err(|e| CaptureError::Lost {
            device: Device::Screen,
            name: monitor.name.clone(),
            reason: e.to_string(),
        })?;
        let (width, height) = img.dimensions();
        Ok(RawScreen {
            width,
            height,
            rgba: img.into_raw(),
        })
    }
}
