//! A camera stand-in for demos and machines without a camera: a still
//! picture of a person made into a short looping sequence that moves as a
//! person before a webcam does (a slow sway, a little change in the light).
//! A replayed still is rightly "frozen" to the frame-quality check; this
//! sequence is not, so a demo session is not dominated by a
//! `camera_blocked` record that a real camera would never cause.

use std::path::{Path, PathBuf};

use image::RgbImage;
use image::imageops::{self, FilterType};

use crate::error::CaptureError;

/// How far the view sways, as a fraction of the picture's size.
const SWAY: f64 = 0.03;
/// The view shows this fraction of the still (the rest is room to sway).
const VIEW: f64 = 0.9;

/// Writes `frames` JPEG pictures (`0001.jpg`, ...) of the still at `still`
/// into `out` (created if missing): one slow loop of a sway, so the
/// sequence replays without a jump. Returns the files written.
pub fn write_sequence(still: &Path, out: &Path, frames: u32) -> Result<Vec<PathBuf>, CaptureError> {
    if !(2..=600).contains(&frames) {
        return Err(CaptureError::replay(
            still,
            format!("a stand-in sequence has 2 to 600 frames, not {frames}"),
        ));
    }
    let img = image::open(still)
        .map_err(|e| {
            CaptureError::replay(still, format!("is not a readable PNG or JPEG image: {e}"))
        })?
        .to_rgb8();
    std::fs::create_dir_all(out)
        .map_err(|e| CaptureError::replay(out, format!("cannot create the directory: {e}")))?;
    let mut written = Vec::new();
    for i in 0..frames {
        let turn = std::f64::consts::TAU * f64::from(i) / f64::from(frames);
        let frame = sway(
            &img,
            turn.cos(),
            (2.0 * turn).sin(),
            1.0 + 0.04 * turn.sin(),
        );
        let path = out.join(format!("{:04}.jpg", i + 1));
        frame
            .save_with_format(&path, image::ImageFormat::Jpeg)
            .map_err(|e| CaptureError::replay(&path, format!("cannot write: {e}")))?;
        written.push(path);
    }
    Ok(written)
}

/// The view of `img` moved by (`dx`, `dy`) of the sway (each −1 to 1) and
/// lit by `light`, at the still's own size.
fn sway(img: &RgbImage, dx: f64, dy: f64, light: f64) -> RgbImage {
    let (w, h) = img.dimensions();
    let (vw, vh) = ((f64::from(w) * VIEW) as u32, (f64::from(h) * VIEW) as u32);
    let centre = |size: u32, view: u32, d: f64| {
        let room = f64::from(size - view) / 2.0;
        (room + d * SWAY * f64::from(size)).clamp(0.0, f64::from(size - view)) as u32
    };
    let view = imageops::crop_imm(
        img,
        centre(w, vw, dx),
        centre(h, vh, dy),
        vw.max(1),
        vh.max(1),
    )
    .to_image();
    let mut frame = imageops::resize(&view, w, h, FilterType::Triangle);
    for p in frame.pixels_mut() {
        for c in &mut p.0 {
            *c = (f64::from(*c) * light).round().clamp(0.0, 255.0) as u8;
        }
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each frame differs from the one before by far more than the frozen
    /// check's threshold, and the loop closes without a jump.
    #[test]
    fn a_still_becomes_a_looping_sequence_that_is_never_frozen() {
        let tmp = tempfile::tempdir().unwrap();
        let still = tmp.path().join("still.png");
        let mut img = RgbImage::new(160, 120);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([(x * 255 / 160) as u8, (y * 255 / 120) as u8, 128]);
        }
        img.save(&still).unwrap();
        let files = write_sequence(&still, &tmp.path().join("camera"), 12).unwrap();
        assert_eq!(files.len(), 12);
        let frames: Vec<RgbImage> = files
            .iter()
            .map(|f| image::open(f).unwrap().to_rgb8())
            .collect();
        assert!(frames.iter().all(|f| f.dimensions() == (160, 120)));
        let diff = |a: &RgbImage, b: &RgbImage| {
            let total: f64 = a
                .as_raw()
                .iter()
                .zip(b.as_raw())
                .map(|(x, y)| f64::from(x.abs_diff(*y)))
                .sum();
            total / a.as_raw().len() as f64
        };
        for pair in frames.windows(2) {
            assert!(diff(&pair[0], &pair[1]) > 1.0, "two frames alike");
        }
        let (first, last) = (&frames[0], &frames[11]);
        assert!(
            diff(last, first) < 4.0 * diff(&frames[0], &frames[1]),
            "the loop jumps"
        );
        let err = write_sequence(&still, tmp.path(), 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 to 600 frames"), "{err}");
    }
}
