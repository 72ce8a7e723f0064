//! Cameras: the real webcam (nokhwa), or replayed pictures (an image
//! directory or a Y4M video) behind the same [`CameraSource`] trait, and a
//! [`CameraStream`] that pulls frames at a modest rate on its own thread.

#[cfg(feature = "native")]
pub mod native;
pub mod replay;
pub mod stand_in;
mod stream;
pub mod virtual_camera;
pub mod y4m;

pub use stream::{CameraEvent, CameraStream};

use crate::error::CaptureError;

/// A camera as the system lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CameraInfo {
    /// How to ask for it again (an index, or a path for replays).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Driver or description, as the system gives it.
    pub description: String,
    /// Why it looks like a virtual camera (software that can feed any
    /// video), if it does.
    pub virtual_camera: Option<String>,
}

/// What to ask a camera for: a modest size and rate is enough to see a face
/// and keeps CPU and evidence small.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraRequest {
    /// Wanted width.
    pub width: u32,
    /// Wanted height.
    pub height: u32,
    /// Frames per second delivered to the detectors.
    pub fps: f32,
}

impl Default for CameraRequest {
    fn default() -> Self {
        Self {
            width: 640,
            height: 480,
            fps: 5.0,
        }
    }
}

/// Where camera pictures come from.
pub trait CameraSource: Send {
    /// The camera.
    fn info(&self) -> &CameraInfo;
    /// The next picture as packed RGB (width, height, bytes). Blocks at most
    /// about one device frame interval.
    fn grab(&mut self) -> Result<(u32, u32, Vec<u8>), CaptureError>;
}
