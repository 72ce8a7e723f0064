//! Has the screen changed? A 64×36 grey thumbnail per capture, compared cell
//! by cell: a cell changed when its brightness moved by more than
//! [`CELL_DELTA`], and the screen changed when enough cells did. A moving
//! mouse pointer or a blinking caret touches a cell or two; a new question,
//! a new window or a scrolled page touches many.

/// Thumbnail width in cells.
pub const THUMB_W: usize = 64;
/// Thumbnail height in cells.
pub const THUMB_H: usize = 36;
/// Brightness change (0–255) that makes a cell count as changed.
pub const CELL_DELTA: u8 = 8;

/// A coarse grey picture of a screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail(Vec<u8>);

impl Thumbnail {
    /// The thumbnail of packed pixels with `channels` bytes each (RGB or
    /// RGBA), sampling a regular grid so a 1080p screen costs well under a
    /// millisecond.
    pub fn of(pixels: &[u8], width: u32, height: u32, channels: usize) -> Self {
        let (w, h) = (width as usize, height as usize);
        let mut sums = vec![0u32; THUMB_W * THUMB_H];
        let mut counts = vec![0u32; THUMB_W * THUMB_H];
        if w == 0 || h == 0 || pixels.len() < w * h * channels {
            return Self(vec![0; THUMB_W * THUMB_H]);
        }
        let step_x = (w / (THUMB_W * 8)).max(1);
        let step_y = (h / (THUMB_H * 8)).max(1);
        for y in (0..h).step_by(step_y) {
            let cy = y * THUMB_H / h;
            let row = &pixels[y * w * channels..(y + 1) * w * channels];
            for x in (0..w).step_by(step_x) {
                let p = &row[x * channels..x * channels + 3];
                // Integer Rec. 601 luma.
                let luma =
                    (77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2])) >> 8;
                let cell = cy * THUMB_W + x * THUMB_W / w;
                sums[cell] += luma;
                counts[cell] += 1;
            }
        }
        Self(
            sums.iter()
                .zip(&counts)
                .map(|(s, c)| if *c == 0 { 0 } else { (s / c) as u8 })
                .collect(),
        )
    }

    /// The fraction (0–1) of cells that changed between two thumbnails.
    pub fn changed_fraction(&self, other: &Thumbnail) -> f32 {
        let changed = self
            .0
            .iter()
            .zip(&other.0)
            .filter(|(a, b)| a.abs_diff(**b) > CELL_DELTA)
            .count();
        changed as f32 / self.0.len().max(1) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
        (0..w * h).flat_map(|i| f(i % w, i / w)).collect()
    }

    #[test]
    fn an_identical_screen_has_not_changed() {
        let s = screen(1920, 1080, |x, y| {
            [(x % 256) as u8, (y % 256) as u8, 9, 255]
        });
        let a = Thumbnail::of(&s, 1920, 1080, 4);
        assert_eq!(a.changed_fraction(&Thumbnail::of(&s, 1920, 1080, 4)), 0.0);
    }

    #[test]
    fn a_mouse_pointer_is_not_a_change_but_a_new_window_is() {
        let grey = |_, _| [200, 200, 200, 255];
        let base = screen(1920, 1080, grey);
        // A 16×24 pointer.
        let pointer = screen(1920, 1080, |x, y| {
            if (900..916).contains(&x) && (500..524).contains(&y) {
                [0, 0, 0, 255]
            } else {
                [200, 200, 200, 255]
            }
        });
        // A 600×400 dark window.
        let window = screen(1920, 1080, |x, y| {
            if (100..700).contains(&x) && (100..500).contains(&y) {
                [30, 30, 60, 255]
            } else {
                [200, 200, 200, 255]
            }
        });
        let t = Thumbnail::of(&base, 1920, 1080, 4);
        let p = t.changed_fraction(&Thumbnail::of(&pointer, 1920, 1080, 4));
        let w = t.changed_fraction(&Thumbnail::of(&window, 1920, 1080, 4));
        assert!(p < 0.005, "pointer changed {p}");
        assert!(w > 0.1, "window changed only {w}");
    }

    #[test]
    fn short_or_empty_input_gives_a_blank_thumbnail() {
        assert_eq!(
            Thumbnail::of(&[1, 2, 3], 10, 10, 3),
            Thumbnail::of(&[], 0, 0, 3)
        );
    }
}
