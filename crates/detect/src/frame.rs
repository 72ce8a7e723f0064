//! Frames and the preprocessing the face models need: a region of the frame
//! resized with an area-weighted (triangle) filter and letterboxed into a
//! square NHWC tensor of RGB values scaled to [-1, 1].

use std::path::Path;

use crate::error::DetectError;

/// An RGB frame, 8 bits per channel, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl RgbImage {
    /// A frame from raw RGB8 bytes.
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Result<Self, DetectError> {
        let expected = width as usize * height as usize * 3;
        if width == 0 || height == 0 || data.len() != expected {
            return Err(DetectError::Input(format!(
                "a {width}×{height} RGB frame needs {expected} bytes, got {}",
                data.len()
            )));
        }
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// Decodes a PNG or JPEG file.
    pub fn open(path: &Path) -> Result<Self, DetectError> {
        let img = image::open(path)
            .map_err(|e| {
                DetectError::Input(format!(
                    "{} is not a readable PNG or JPEG image: {e}",
                    path.display()
                ))
            })?
            .to_rgb8();
        let (w, h) = img.dimensions();
        Self::new(w, h, img.into_raw())
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The RGB bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// A rectangle in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Region {
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) w: f32,
    pub(crate) h: f32,
}

/// How a region was placed in the model's square input: model pixel =
/// (frame pixel − region origin) × scale + pad.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub(crate) region: Region,
    pub(crate) scale: f32,
    pub(crate) pad_x: f32,
    pub(crate) pad_y: f32,
    pub(crate) size: f32,
}

impl Placement {
    /// Model-normalised coordinates ([0, 1] of the input) to frame pixels.
    pub(crate) fn frame_point(&self, nx: f32, ny: f32) -> (f32, f32) {
        (
            (nx * self.size - self.pad_x) / self.scale + self.region.x,
            (ny * self.size - self.pad_y) / self.scale + self.region.y,
        )
    }
}

/// Separable filter taps: for each output position, the first source index and its weights.
fn taps(src_start: f32, src_len: f32, src_limit: usize, out_len: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = out_len as f32 / src_len;
    // Downscaling widens the filter to cover the source footprint (a triangle
    // twice the footprint: measured a little more accurate than a plain area
    // average, see docs/detection.md).
    let support = if scale < 1.0 { 1.0 / scale } else { 1.0 };
    (0..out_len)
        .map(|o| {
            let center = src_start + (o as f32 + 0.5) / scale - 0.5;
            let lo = (center - support).floor().max(0.0) as usize;
            let hi = ((center + support).ceil() as usize).min(src_limit.saturating_sub(1));
            let mut weights: Vec<f32> = (lo..=hi)
                .map(|i| (1.0 - (i as f32 - center).abs() / support).max(0.0))
                .collect();
            let sum: f32 = weights.iter().sum();
            if sum > 0.0 {
                weights.iter_mut().for_each(|w| *w /= sum);
            }
            (lo, weights)
        })
        .collect()
}

/// Resizes `region` of `img` to fit a `size`×`size` square (aspect kept,
/// centred, the rest black) and writes NHWC values in [-1, 1] into `out`
/// (`size * size * 3` floats).
pub(crate) fn letterbox(img: &RgbImage, region: Region, size: usize, out: &mut [f32]) -> Placement {
    let scale = size as f32 / region.w.max(region.h);
    let out_w = ((region.w * scale).round() as usize).clamp(1, size);
    let out_h = ((region.h * scale).round() as usize).clamp(1, size);
    let pad_x = (size - out_w) / 2;
    let pad_y = (size - out_h) / 2;
    out.fill(-1.0);
    let xt = taps(region.x, region.w, img.width as usize, out_w);
    let yt = taps(region.y, region.h, img.height as usize, out_h);
    let stride = img.width as usize * 3;
    // Vertical pass first, over the source columns the horizontal taps need:
    // it accumulates whole contiguous rows, which the compiler vectorises,
    // and leaves the horizontal pass only `out_h` rows to filter.
    let col_lo = xt.first().map_or(0, |t| t.0);
    let col_hi = xt.last().map_or(0, |t| t.0 + t.1.len());
    let span = (col_hi - col_lo) * 3;
    let mut vert = vec![0f32; span];
    for (oy, (start, weights)) in yt.iter().enumerate() {
        vert.fill(0.0);
        for (k, w) in weights.iter().enumerate() {
            let r = (start + k) * stride + col_lo * 3;
            for (v, p) in vert.iter_mut().zip(&img.data[r..r + span]) {
                *v += w * f32::from(*p);
            }
        }
        let d = ((oy + pad_y) * size + pad_x) * 3;
        for ((start, weights), out_px) in xt.iter().zip(out[d..d + out_w * 3].chunks_exact_mut(3)) {
            let mut acc = [0f32; 3];
            let px = &vert[(start - col_lo) * 3..(start - col_lo + weights.len()) * 3];
            for (w, p) in weights.iter().zip(px.chunks_exact(3)) {
                acc[0] += w * p[0];
                acc[1] += w * p[1];
                acc[2] += w * p[2];
            }
            for (o, a) in out_px.iter_mut().zip(acc) {
                *o = a / 127.5 - 1.0;
            }
        }
    }
    Placement {
        region,
        scale,
        pad_x: pad_x as f32,
        pad_y: pad_y as f32,
        size: size as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uniform_frame_letterboxes_to_its_colour_with_black_bars() {
        let img = RgbImage::new(64, 32, [255u8, 0, 127].repeat(64 * 32)).unwrap();
        let mut out = vec![0f32; 16 * 16 * 3];
        let p = letterbox(
            &img,
            Region {
                x: 0.0,
                y: 0.0,
                w: 64.0,
                h: 32.0,
            },
            16,
            &mut out,
        );
        assert_eq!((p.pad_x, p.pad_y), (0.0, 4.0));
        // Top bar black, centre the colour.
        assert_eq!(&out[..3], &[-1.0, -1.0, -1.0]);
        let c = (8 * 16 + 8) * 3;
        assert!(
            (out[c] - 1.0).abs() < 1e-4
                && (out[c + 1] + 1.0).abs() < 1e-4
                && out[c + 2].abs() < 0.01
        );
        // Model coordinates map back to the frame.
        let (x, y) = p.frame_point(0.5, 0.5);
        assert!((x - 32.0).abs() < 0.01 && (y - 16.0).abs() < 0.01);
    }

    #[test]
    fn frames_with_the_wrong_size_are_refused() {
        assert!(RgbImage::new(2, 2, vec![0; 11]).is_err());
        assert!(RgbImage::new(0, 2, vec![]).is_err());
    }
}
