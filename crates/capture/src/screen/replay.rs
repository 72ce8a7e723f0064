//! A replayed screen: a directory of images shown one after another (in name
//! order, looping) as a single monitor. For tests and demos.

use std::path::{Path, PathBuf};

use super::{MonitorInfo, RawScreen, ScreenSource};
use crate::error::CaptureError;
use crate::replay::{image_files, load_rgb};

/// Screens from an image directory.
#[derive(Debug)]
pub struct ImageSequenceScreen {
    files: Vec<PathBuf>,
    next: usize,
    monitor: MonitorInfo,
}

impl ImageSequenceScreen {
    /// Replays the PNG and JPEG files in `dir`; the first image sets the
    /// monitor's size, and every image must have it.
    pub fn open(dir: &Path) -> Result<Self, CaptureError> {
        let files = image_files(dir)?;
        let (width, height, _) = load_rgb(&files[0])?;
        Ok(Self {
            files,
            next: 0,
            monitor: MonitorInfo {
                id: 0,
                name: format!("replay {}", dir.display()),
                x: 0,
                y: 0,
                width,
                height,
                primary: true,
            },
        })
    }
}

impl ScreenSource for ImageSequenceScreen {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        Ok(vec![self.monitor.clone()])
    }

    fn capture(&mut self, _: &MonitorInfo) -> Result<RawScreen, CaptureError> {
        let path = &self.files[self.next % self.files.len()];
        self.next += 1;
        let (w, h, rgb) = load_rgb(path)?;
        if (w, h) != (self.monitor.width, self.monitor.height) {
            return Err(CaptureError::replay(
                path,
                format!(
                    "is {w}×{h}, but the replayed screen is {}×{}: every image must have the first one's size",
                    self.monitor.width, self.monitor.height
                ),
            ));
        }
        let mut rgba = Vec::with_capacity(rgb.len() / 3 * 4);
        for p in rgb.chunks_exact(3) {
            rgba.extend_from_slice(&[p[0], p[1], p[2], 255]);
        }
        Ok(RawScreen {
            width: w,
            height: h,
            rgba,
        })
    }
}
