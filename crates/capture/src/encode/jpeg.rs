//! JPEG for webcam snapshots and screen captures (jpeg-encoder: pure Rust,
//! maintained, AVX2 when the CPU has it).

use crate::error::CaptureError;

/// Default quality: text on a 1280-wide screen stays readable, ~100 KB.
pub const DEFAULT_QUALITY: u8 = 70;

/// Encodes packed RGB as a baseline JPEG.
pub fn encode_rgb(
    rgb: &[u8],
    width: u32,
    height: u32,
    quality: u8,
) -> Result<Vec<u8>, CaptureError> {
    let (w, h) = match (u16::try_from(width), u16::try_from(height)) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 => (w, h),
        _ => {
            return Err(CaptureError::encode(
                "JPEG",
                format!("{width}×{height} is outside 1–65,535 pixels a side"),
            ));
        }
    };
    let mut out = Vec::with_capacity(rgb.len() / 10);
    jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100))
        .encode(rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| CaptureError::encode("JPEG", e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jpeg_decodes_back_to_the_picture() {
        let (w, h) = (64u32, 48u32);
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                [(x * 4) as u8, (y * 5) as u8, 128]
            })
            .collect();
        let jpeg = encode_rgb(&rgb, w, h, 90).unwrap();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        let back = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        assert_eq!(back.dimensions(), (w, h));
        let err: f64 = back
            .as_raw()
            .iter()
            .zip(&rgb)
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs())
            .sum::<f64>()
            / rgb.len() as f64;
        assert!(err < 3.0, "mean error {err}");
    }

    #[test]
    fn impossible_sizes_are_refused() {
        assert!(encode_rgb(&[], 0, 10, 70).is_err());
        assert!(encode_rgb(&[], 70_000, 1, 70).is_err());
    }
}
