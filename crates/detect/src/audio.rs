//! Audio in: WAV files of any sample format and channel count, mixed to mono
//! and resampled to the 16 kHz the voice model needs.

use std::path::Path;

use crate::error::DetectError;

/// Sample rates accepted: telephone audio up to studio rates. Outside this
/// range a file is almost certainly damaged, and resampling it would need
/// absurd amounts of memory or time.
pub const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 4_000..=768_000;

/// Reads a WAV file as mono samples in [-1, 1] and its sample rate.
pub fn read_wav(path: &Path) -> Result<(Vec<f32>, u32), DetectError> {
    let file = std::fs::File::open(path)
        .map_err(|e| DetectError::Input(format!("{} cannot be read: {e}", path.display())))?;
    decode_wav(std::io::BufReader::new(file), &path.display().to_string())
}

/// Decodes WAV data (`name` says where it came from, for errors) as mono
/// samples in [-1, 1] and its sample rate.
pub fn decode_wav(input: impl std::io::Read, name: &str) -> Result<(Vec<f32>, u32), DetectError> {
    let bad = |e: &dyn std::fmt::Display| {
        DetectError::Input(format!("{name} is not a readable WAV file: {e}"))
    };
    let mut reader = hound::WavReader::new(input).map_err(|e| bad(&e))?;
    let spec = reader.spec();
    if spec.channels == 0 {
        return Err(bad(&"it declares no channels"));
    }
    if !SAMPLE_RATES.contains(&spec.sample_rate) {
        return Err(bad(&format!(
            "its sample rate of {} Hz is outside {}–{} Hz",
            spec.sample_rate,
            SAMPLE_RATES.start(),
            SAMPLE_RATES.end()
        )));
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .map(|s| match s {
                Ok(v) if v.is_finite() => Ok(v.clamp(-1.0, 1.0)),
                Ok(_) => Err(hound::Error::FormatError("a sample is not a finite number")),
                Err(e) => Err(e),
            })
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

    fn wav<S: hound::Sample + Copy>(spec: hound::WavSpec, samples: &[S]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
        for s in samples {
            w.write_sample(*s).unwrap();
        }
        w.finalize().unwrap();
        out.into_inner()
    }

    fn spec(channels: u16, sample_rate: u32, bits: u16, float: bool) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        }
    }

    #[test]
    fn stereo_integer_samples_are_mixed_to_mono_in_range() {
        let bytes = wav(
            spec(2, 48_000, 16, false),
            &[i16::MAX, i16::MIN, 16_384i16, 16_384],
        );
        let (mono, rate) = decode_wav(&bytes[..], "t.wav").unwrap();
        assert_eq!(rate, 48_000);
        assert_eq!(mono.len(), 2);
        assert!(mono[0].abs() < 1e-4, "{}", mono[0]);
        assert!((mono[1] - 0.5).abs() < 1e-6, "{}", mono[1]);
    }

    #[test]
    fn absurd_sample_rates_are_refused_before_resampling() {
        for rate in [1, 3_999, 768_001, 2_000_000_000] {
            let bytes = wav(spec(1, rate, 16, false), &[0i16; 8]);
            let err = decode_wav(&bytes[..], "t.wav").unwrap_err().to_string();
            assert!(err.contains("sample rate"), "{rate}: {err}");
        }
    }

    #[test]
    fn non_finite_float_samples_are_refused_and_loud_ones_clamped() {
        let bytes = wav(spec(1, 16_000, 32, true), &[0.5f32, f32::NAN]);
        let err = decode_wav(&bytes[..], "t.wav").unwrap_err().to_string();
        assert!(err.contains("not a finite number"), "{err}");
        let bytes = wav(spec(1, 16_000, 32, true), &[4.0f32, -4.0]);
        assert_eq!(decode_wav(&bytes[..], "t.wav").unwrap().0, vec![1.0, -1.0]);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = decode_wav(&b"not a wav"[..], "t.wav")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t.wav is not a readable WAV file"), "{err}");
    }
}
