//! Sample-rate conversion with a Blackman-windowed sinc (±16 zero crossings
//! of the lower rate, cut-off just below the lower Nyquist frequency), so
//! downsampling does not alias. Streaming: feed blocks of any size as they
//! arrive (a microphone callback), get the same samples as converting the
//! whole signal at once.
//!
//! The filter for each output sample depends only on where it falls between
//! two input samples. For the rates audio devices use (any two rates whose
//! ratio reduces to at most [`MAX_PHASES`] steps) those filters are computed
//! once; other ratios compute them per sample.

use std::collections::VecDeque;

/// The most filter phases kept precomputed (44.1 → 16 kHz needs 160).
pub const MAX_PHASES: u64 = 1024;

/// A streaming resampler from one rate to another.
#[derive(Debug, Clone)]
pub struct Resampler {
    /// Output rate / input rate, reduced: `up` outputs for every `down` inputs.
    up: u64,
    down: u64,
    ratio: f64,
    cutoff: f64,
    half_width: i64,
    /// Precomputed normalised taps per phase, when there are few phases.
    table: Option<Vec<Vec<f32>>>,
    /// Input samples from index `base` on (older ones are no longer needed).
    input: VecDeque<f32>,
    base: i64,
    /// Input samples seen so far.
    consumed: i64,
    /// Index of the next output sample.
    next_out: u64,
    passthrough: bool,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz (both non-zero).
    pub fn new(from: u32, to: u32) -> Self {
        let (from, to) = (u64::from(from.max(1)), u64::from(to.max(1)));
        let g = gcd(from, to);
        let (up, down) = (to / g, from / g);
        let ratio = to as f64 / from as f64;
        let cutoff = 0.5 * ratio.min(1.0) * 0.94;
        let half_width = (16.0 / ratio.min(1.0)).ceil() as i64;
        let mut r = Self {
            up,
            down,
            ratio,
            cutoff,
            half_width,
            table: None,
            input: VecDeque::new(),
            base: 0,
            consumed: 0,
            next_out: 0,
            passthrough: from == to,
        };
        if !r.passthrough && up <= MAX_PHASES {
            r.table = Some((0..up).map(|p| r.taps(p as f64 / up as f64)).collect());
        }
        r
    }

    /// Normalised taps for an output that falls `frac` (in [0, 1)) after an
    /// input sample: weights for inputs `center - half_width + 1 ..= center + half_width`.
    fn taps(&self, frac: f64) -> Vec<f32> {
        let hw = self.half_width;
        let raw: Vec<f64> = ((-hw + 1)..=hw)
            .map(|j| {
                let u = frac - j as f64;
                2.0 * self.cutoff * sinc(2.0 * self.cutoff * u) * window(u / hw as f64)
            })
            .collect();
        let norm: f64 = raw.iter().sum();
        let norm = if norm.abs() > 1e-12 { norm } else { 1.0 };
        raw.iter().map(|h| (h / norm) as f32).collect()
    }

    /// Converts the next block of input; appends the outputs it completes.
    pub fn process(&mut self, block: &[f32], out: &mut Vec<f32>) {
        if self.passthrough {
            out.extend_from_slice(block);
            return;
        }
        self.input.extend(block.iter().copied());
        self.consumed += block.len() as i64;
        self.emit(self.consumed, out);
    }

    /// Ends the stream: the outputs still waiting for input that will not
    /// come (treated as silence), up to the length the whole input gives.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        if !self.passthrough {
            self.emit(i64::MAX, out);
        }
    }

    /// Emits every output whose taps all lie before input index `available`
    /// (`i64::MAX`: the input has ended, and zeros stand for what is
    /// missing), never past the length the input so far gives.
    fn emit(&mut self, available: i64, out: &mut Vec<f32>) {
        let total = (self.consumed as f64 * self.ratio).floor() as u64;
        while self.next_out < total {
            let i = self.next_out;
            // center = floor(i * down / up); phase = (i * down) mod up.
            let pos = u128::from(i) * u128::from(self.down);
            let center = (pos / u128::from(self.up)) as i64;
            let phase = (pos % u128::from(self.up)) as u64;
            if available != i64::MAX && center + self.half_width >= available {
                break;
            }
            let computed;
            let taps: &[f32] = match &self.table {
                Some(t) => &t[phase as usize],
                None => {
                    computed = self.taps(phase as f64 / self.up as f64);
                    &computed
                }
            };
            let first = center - self.half_width + 1;
            let mut acc = 0.0f32;
            for (j, w) in taps.iter().enumerate() {
                let k = first + j as i64;
                if k >= self.base
                    && let Some(x) = self.input.get((k - self.base) as usize)
                {
                    acc += w * x;
                }
            }
            out.push(acc);
            self.next_out += 1;
            // Inputs before the next output's first tap are done with.
            let next_center =
                ((u128::from(self.next_out) * u128::from(self.down)) / u128::from(self.up)) as i64;
            let keep_from = next_center - self.half_width + 1;
            while self.base < keep_from && !self.input.is_empty() {
                self.input.pop_front();
                self.base += 1;
            }
        }
    }
}

/// Converts a whole signal at once.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    let mut r = Resampler::new(from, to);
    let mut out = Vec::with_capacity((samples.len() as f64 * r.ratio) as usize + 1);
    r.process(samples, &mut out);
    r.finish(&mut out);
    out
}

/// Mixes interleaved frames of `channels` samples to mono (the mean).
pub fn downmix(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    let channels = channels.max(1);
    if channels == 1 {
        out.extend_from_slice(interleaved);
        return;
    }
    out.extend(
        interleaved
            .chunks(channels)
            .map(|frame| frame.iter().sum::<f32>() / channels as f32),
    );
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

/// Blackman window on [-1, 1].
fn window(x: f64) -> f64 {
    if x.abs() >= 1.0 {
        return 0.0;
    }
    let a = std::f64::consts::PI * (x + 1.0);
    0.42 - 0.5 * a.cos() + 0.08 * (2.0 * a).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, secs: f64) -> Vec<f32> {
        (0..(f64::from(rate) * secs) as usize)
            .map(|i| {
                (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin() as f32 * 0.5
            })
            .collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    }

    #[test]
    fn a_tone_keeps_its_level_through_resampling() {
        for from in [8_000, 22_050, 44_100, 48_000, 96_000] {
            let out = resample(&tone(440.0, from, 1.0), from, 16_000);
            assert!(
                (out.len() as i64 - 16_000).abs() <= 1,
                "{from}: {}",
                out.len()
            );
            let level = rms(&out[1000..15_000]);
            assert!((level - 0.3536).abs() < 0.01, "{from}: {level}");
        }
    }

    #[test]
    fn frequencies_above_the_new_nyquist_are_removed() {
        let out = resample(&tone(10_000.0, 48_000, 1.0), 48_000, 16_000);
        let level = rms(&out[1000..15_000]);
        assert!(level < 0.01, "{level}");
    }

    #[test]
    fn streaming_in_odd_blocks_gives_the_same_samples_as_all_at_once() {
        for (from, to) in [
            (48_000, 16_000),
            (44_100, 16_000),
            (16_000, 48_000),
            (7_919, 16_000),
        ] {
            let input = tone(300.0, from, 0.5);
            let whole = resample(&input, from, to);
            let mut r = Resampler::new(from, to);
            let mut streamed = Vec::new();
            let mut rest = &input[..];
            let mut size = 1;
            while !rest.is_empty() {
                let n = size.min(rest.len());
                r.process(&rest[..n], &mut streamed);
                rest = &rest[n..];
                size = size * 7 % 1031 + 1;
            }
            r.finish(&mut streamed);
            assert_eq!(whole.len(), streamed.len(), "{from}->{to}");
            for (a, b) in whole.iter().zip(&streamed) {
                assert!((a - b).abs() < 1e-6, "{from}->{to}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn memory_stays_bounded_while_streaming() {
        let mut r = Resampler::new(48_000, 16_000);
        let block = tone(440.0, 48_000, 0.01);
        let mut out = Vec::new();
        for _ in 0..1000 {
            r.process(&block, &mut out);
            out.clear();
            assert!(r.input.len() < 2 * r.half_width as usize + block.len());
        }
    }

    #[test]
    fn the_same_rate_passes_samples_through() {
        let input = tone(440.0, 16_000, 0.1);
        assert_eq!(resample(&input, 16_000, 16_000), input);
    }

    #[test]
    fn downmix_averages_channels() {
        let mut out = Vec::new();
        downmix(&[1.0, 0.0, 0.5, 0.5], 2, &mut out);
        assert_eq!(out, vec![0.5, 0.5]);
    }
}
