//! Audio in: WAV files of any sample format and channel count, mixed to mono
//! and resampled to the 16 kHz the voice model needs.

use std::path::Path;

use crate::error::DetectError;

/// Reads a WAV file as mono samples in [-1, 1] and its sample rate.
pub fn read_wav(path: &Path) -> Result<(Vec<f32>, u32), DetectError> {
    let bad = |e: &dyn std::fmt::Display| {
        DetectError::Input(format!(
            "{} is not a readable WAV file: {e}",
            path.display()
        ))
    };
    let mut reader = hound::WavReader::open(path).map_err(|e| bad(&e))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(bad(&"it declares no channels or no sample rate"));
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| bad(&e))?,
        hound::SampleFormat::Int => {
            let bits = spec.bits_per_sample;
            if !(1..=32).contains(&bits) {
                return Err(bad(&format!("{bits}-bit samples are not supported")));
            }
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| bad(&e))?
        }
    };
    let channels = usize::from(spec.channels);
    let mono = interleaved
        .chunks(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok((mono, spec.sample_rate))
}

/// Resamples with a Blackman-windowed sinc (±16 zero crossings, cut-off just
/// below the lower Nyquist frequency), so downsampling does not alias.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || samples.is_empty() {
        return samples.to_vec();
    }
    let ratio = f64::from(to) / f64::from(from);
    // Cut-off relative to the input rate: half the lower of the two rates, a little under.
    let cutoff = 0.5 * ratio.min(1.0) * 0.94;
    let half_width = (16.0 / ratio.min(1.0)).ceil() as i64;
    let out_len = ((samples.len() as f64) * ratio).floor() as usize;
    let n = samples.len() as i64;
    (0..out_len)
        .map(|i| {
            let t = i as f64 / ratio;
            let center = t.floor() as i64;
            let mut acc = 0.0f64;
            let mut norm = 0.0f64;
            for k in (center - half_width + 1)..=(center + half_width) {
                let u = t - k as f64;
                let w = window(u / half_width as f64);
                let h = 2.0 * cutoff * sinc(2.0 * cutoff * u) * w;
                norm += h;
                if (0..n).contains(&k) {
                    acc += h * f64::from(samples[k as usize]);
                }
            }
            if norm.abs() > 1e-12 {
                (acc / norm) as f32
            } else {
                0.0
            }
        })
        .collect()
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
        for from in [8_000, 22_050, 44_100, 48_000] {
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
        // 7.9 kHz folds to 8.1 kHz at 16 kHz unless filtered; 10 kHz must vanish.
        let out = resample(&tone(10_000.0, 48_000, 1.0), 48_000, 16_000);
        assert!(
            rms(&out[1000..15_000]) < 0.01,
            "{}",
            rms(&out[1000..15_000])
        );
    }
}
