//! Whether the camera shows anything to judge: covered or black, too dark,
//! or frozen (the same frame again and again, as a stuck or replayed feed
//! gives). Each is a distinct signal, so a policy can treat "no face" and
//! "can't see" differently.

use serde::Serialize;

use crate::frame::RgbImage;

/// A coarse fingerprint of a frame: its 32×24 grey thumbnail.
const THUMB_W: usize = 32;
const THUMB_H: usize = 24;

/// Mean brightness (0–255) below which a frame with almost no contrast is a covered or black camera.
pub const COVERED_LUMA: f32 = 16.0;
/// Contrast (standard deviation of brightness) below which a dark frame counts as covered.
pub const COVERED_CONTRAST: f32 = 6.0;
/// Mean brightness below which a frame is too dark to judge.
pub const DARK_LUMA: f32 = 45.0;
/// Mean thumbnail difference (0–255) below which two frames count as identical.
pub const FROZEN_DIFF: f32 = 0.25;
/// Identical frames in a row that make a feed frozen.
pub const FROZEN_FRAMES: u32 = 10;

/// What the frame allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Good enough to judge.
    Ok,
    /// Covered, or black.
    Covered,
    /// Too dark to judge.
    TooDark,
    /// The same picture for several frames in a row.
    Frozen,
}

/// Quality measurements of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FrameQuality {
    /// The verdict.
    pub visibility: Visibility,
    /// Mean brightness, 0–255.
    pub brightness: f32,
    /// Standard deviation of brightness.
    pub contrast: f32,
    /// Identical frames in a row so far (0 for a single image).
    pub unchanged_frames: u32,
}

fn thumbnail(img: &RgbImage) -> Vec<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut sums = vec![0f32; THUMB_W * THUMB_H];
    let mut counts = vec![0u32; THUMB_W * THUMB_H];
    let data = img.data();
    // Sample a grid of pixels: enough for brightness and change, cheap on big frames.
    let step_x = (w / (THUMB_W * 4)).max(1);
    let step_y = (h / (THUMB_H * 4)).max(1);
    for y in (0..h).step_by(step_y) {
        let ty = y * THUMB_H / h;
        for x in (0..w).step_by(step_x) {
            let p = (y * w + x) * 3;
            let luma = 0.299 * f32::from(data[p])
                + 0.587 * f32::from(data[p + 1])
                + 0.114 * f32::from(data[p + 2]);
            let t = ty * THUMB_W + x * THUMB_W / w;
            sums[t] += luma;
            counts[t] += 1;
        }
    }
    sums.iter()
        .zip(counts)
        .map(|(s, c)| if c > 0 { s / c as f32 } else { 0.0 })
        .collect()
}

/// Judges frames one after another; remembers the last one to see a freeze.
#[derive(Debug, Default, Clone)]
pub struct QualityTracker {
    last: Option<Vec<f32>>,
    unchanged: u32,
}

impl QualityTracker {
    /// A tracker with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Measures a frame (the next in a feed).
    pub fn measure(&mut self, img: &RgbImage) -> FrameQuality {
        let thumb = thumbnail(img);
        let n = thumb.len() as f32;
        let brightness = thumb.iter().sum::<f32>() / n;
        let contrast = (thumb.iter().map(|v| (v - brightness).powi(2)).sum::<f32>() / n).sqrt();
        match &self.last {
            Some(last)
                if thumb
                    .iter()
                    .zip(last)
                    .map(|(a, b)| (a - b).abs())
                    .sum::<f32>()
                    / n
                    < FROZEN_DIFF =>
            {
                self.unchanged += 1;
            }
            _ => self.unchanged = 0,
        }
        self.last = Some(thumb);
        let visibility = if brightness < COVERED_LUMA && contrast < COVERED_CONTRAST {
            Visibility::Covered
        } else if brightness < DARK_LUMA {
            Visibility::TooDark
        } else if self.unchanged >= FROZEN_FRAMES {
            Visibility::Frozen
        } else {
            Visibility::Ok
        };
        FrameQuality {
            visibility,
            brightness,
            contrast,
            unchanged_frames: self.unchanged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(f: impl Fn(usize, usize) -> [u8; 3]) -> RgbImage {
        let mut data = Vec::with_capacity(64 * 48 * 3);
        for y in 0..48 {
            for x in 0..64 {
                data.extend_from_slice(&f(x, y));
            }
        }
        RgbImage::new(64, 48, data).unwrap()
    }

    #[test]
    fn black_dark_and_normal_frames_are_told_apart() {
        let mut q = QualityTracker::new();
        assert_eq!(
            q.measure(&frame(|_, _| [3, 3, 3])).visibility,
            Visibility::Covered
        );
        let dark = frame(|x, y| [((x + y) % 40) as u8 + 5; 3]);
        assert_eq!(q.measure(&dark).visibility, Visibility::TooDark);
        let normal = frame(|x, y| [(x * 3) as u8, (y * 5) as u8, 120]);
        assert_eq!(q.measure(&normal).visibility, Visibility::Ok);
    }

    #[test]
    fn a_repeated_frame_becomes_frozen_and_a_change_unfreezes_it() {
        let mut q = QualityTracker::new();
        let still = frame(|x, y| [(x * 3) as u8, (y * 5) as u8, 120]);
        for i in 0..FROZEN_FRAMES {
            assert_eq!(q.measure(&still).visibility, Visibility::Ok, "frame {i}");
        }
        assert_eq!(q.measure(&still).visibility, Visibility::Frozen);
        let moved = frame(|x, y| [(x * 3 + 40) as u8, (y * 5) as u8, 120]);
        assert_eq!(q.measure(&moved).visibility, Visibility::Ok);
    }
}
