//! Downscaling for evidence: an area average (each output pixel is the mean
//! of the source pixels it covers), vertical pass first over whole rows so
//! the compiler vectorises it. Several times faster than a general resize
//! filter on a 1080p screen, and what a reviewer expects to see.

/// The size that fits `max_width` keeping the aspect ratio (never larger
/// than the source).
pub fn fit_width(width: u32, height: u32, max_width: u32) -> (u32, u32) {
    if width <= max_width || max_width == 0 {
        return (width, height);
    }
    let h = (u64::from(height) * u64::from(max_width) + u64::from(width) / 2) / u64::from(width);
    (max_width, (h as u32).max(1))
}

/// For each output position: the first source index and the weights of the
/// source samples it covers (summing to 1).
fn area_taps(src: usize, dst: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|o| {
            let (a, b) = (o as f64 * scale, (o + 1) as f64 * scale);
            let lo = (a.floor() as usize).min(src - 1);
            let hi = ((b.ceil() as usize).max(lo + 1)).min(src);
            let w: Vec<f32> = (lo..hi)
                .map(|i| ((b.min(i as f64 + 1.0) - a.max(i as f64)).max(0.0) / scale) as f32)
                .collect();
            (lo, w)
        })
        .collect()
}

/// Scales packed pixels with `channels` bytes each (3: RGB, 4: RGBA, alpha
/// ignored) to `dst_w`×`dst_h` RGB. Sizes must be non-zero and the source
/// data complete; a larger destination than source is clamped to the source.
pub fn downscale_to_rgb(
    src: &[u8],
    width: u32,
    height: u32,
    channels: usize,
    dst_w: u32,
    dst_h: u32,
) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let (dw, dh) = (
        (dst_w as usize).clamp(1, w.max(1)),
        (dst_h as usize).clamp(1, h.max(1)),
    );
    let stride = w * channels;
    if w == 0 || h == 0 || src.len() < stride * h {
        return vec![0; dw * dh * 3];
    }
    let xt = area_taps(w, dw);
    let yt = area_taps(h, dh);
    let mut out = vec![0u8; dw * dh * 3];
    let mut row = vec![0f32; stride];
    for ((start, weights), dst_row) in yt.iter().zip(out.chunks_exact_mut(dw * 3)) {
        row.fill(0.0);
        for (k, wgt) in weights.iter().enumerate() {
            let s = &src[(start + k) * stride..(start + k + 1) * stride];
            for (acc, px) in row.iter_mut().zip(s) {
                *acc += wgt * f32::from(*px);
            }
        }
        for ((start, weights), px_out) in xt.iter().zip(dst_row.chunks_exact_mut(3)) {
            let mut acc = [0f32; 3];
            for (k, wgt) in weights.iter().enumerate() {
                let p = &row[(start + k) * channels..(start + k) * channels + 3];
                acc[0] += wgt * p[0];
                acc[1] += wgt * p[1];
                acc[2] += wgt * p[2];
            }
            for (o, a) in px_out.iter_mut().zip(acc) {
                *o = a.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_aspect_ratio_and_never_enlarges() {
        assert_eq!(fit_width(1920, 1080, 1280), (1280, 720));
        assert_eq!(fit_width(800, 600, 1280), (800, 600));
        assert_eq!(fit_width(3000, 1, 1000), (1000, 1));
    }

    #[test]
    fn a_2x_reduction_averages_each_2x2_block() {
        // 4×2 RGBA: blocks of (0, 100) and (200, 40) grey values.
        let px = |v: u8| [v, v, v, 255];
        let src: Vec<u8> = [
            px(0),
            px(100),
            px(200),
            px(200),
            px(100),
            px(0),
            px(40),
            px(40),
        ]
        .concat();
        let out = downscale_to_rgb(&src, 4, 2, 4, 2, 1);
        assert_eq!(out, vec![50, 50, 50, 120, 120, 120]);
    }

    #[test]
    fn a_uniform_image_stays_uniform_at_any_ratio() {
        let src = [10u8, 200, 30].repeat(1920 * 1080);
        let out = downscale_to_rgb(&src, 1920, 1080, 3, 1280, 720);
        assert_eq!(out.len(), 1280 * 720 * 3);
        assert!(out.chunks_exact(3).all(|p| p == [10, 200, 30]));
    }

    #[test]
    fn the_same_size_only_converts() {
        let src = vec![1, 2, 3, 9, 4, 5, 6, 9];
        assert_eq!(
            downscale_to_rgb(&src, 2, 1, 4, 2, 1),
            vec![1, 2, 3, 4, 5, 6]
        );
    }
}
