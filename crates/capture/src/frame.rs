//! Frames as capture delivers them: packed RGB, with the time both clocks
//! showed when the frame arrived.

use paraakh_evidence::clock::Timestamp;

use crate::error::CaptureError;

/// A picture from a camera or a monitor: 8-bit RGB, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
    /// When it arrived (UTC and boot clock).
    pub at: Timestamp,
    /// Position in its stream, from 0.
    pub seq: u64,
}

impl VideoFrame {
    /// A frame, checking that the pixel data fits the size.
    pub fn new(
        width: u32,
        height: u32,
        rgb: Vec<u8>,
        at: Timestamp,
        seq: u64,
    ) -> Result<Self, CaptureError> {
        let expected = u64::from(width) * u64::from(height) * 3;
        if width == 0 || height == 0 || rgb.len() as u64 != expected {
            return Err(CaptureError::encode(
                "frame",
                format!(
                    "{width}×{height} needs {expected} bytes of RGB, got {}",
                    rgb.len()
                ),
            ));
        }
        Ok(Self {
            width,
            height,
            rgb,
            at,
            seq,
        })
    }
}

/// Drops the alpha channel of packed RGBA.
pub fn rgba_to_rgb(rgba: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgba.len() / 4 * 3);
    for px in rgba.chunks_exact(4) {
        out.extend_from_slice(&px[..3]);
    }
    out
}
