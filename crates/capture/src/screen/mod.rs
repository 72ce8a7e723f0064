//! Screen capture: every monitor, periodically at the policy's interval and
//! on demand when a violation wants evidence; unchanged screens are skipped
//! (with a keyframe after a maximum interval), captures downscaled and
//! encoded as JPEG. Opt-in: a [`ScreenRecorder`] needs the candidate's
//! consent to the screen.

pub mod change;
#[cfg(feature = "native")]
pub mod native;
mod recorder;
pub mod replay;
#[cfg(all(feature = "native", target_os = "linux"))]
pub mod wlr;
#[cfg(all(feature = "native", target_os = "linux"))]
pub mod x11;

pub use recorder::{CaptureReason, ScreenCapture, ScreenRecorder, ScreenSettings, ScreenStats};

use crate::error::CaptureError;

/// A monitor as the system describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MonitorInfo {
    /// The system's id for it.
    pub id: u32,
    /// Its name (output or model).
    pub name: String,
    /// Position of its top-left corner on the desktop.
    pub x: i32,
    /// Position of its top-left corner on the desktop.
    pub y: i32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The primary monitor.
    pub primary: bool,
}

/// A picture of one monitor: packed RGBA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawScreen {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub rgba: Vec<u8>,
}

/// Where screens come from: the real desktop, or a replayed image sequence.
pub trait ScreenSource: Send {
    /// The monitors now (they may change between calls: hot-plug).
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError>;
    /// A picture of one monitor.
    fn capture(&mut self, monitor: &MonitorInfo) -> Result<RawScreen, CaptureError>;
}
