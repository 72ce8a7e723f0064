//! WAV decoding for every audio input that comes as a file (replayed
//! microphones, `paraakh detect voice`): any integer or float sample format
//! and channel count, strict limits, samples in [-1, 1]. It parses outside
//! input, so it refuses what would make later stages misbehave: absurd
//! sample rates (resampling would need absurd memory) and non-finite samples.

/// Sample rates accepted: telephone audio up to studio rates.
pub const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 4_000..=768_000;

/// Decoded audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Wav {
    /// Interleaved samples in [-1, 1].
    pub samples: Vec<f32>,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Channels (≥ 1).
    pub channels: u16,
}

impl Wav {
    /// The samples mixed to mono.
    pub fn mono(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.samples.len() / usize::from(self.channels.max(1)));
        crate::downmix(&self.samples, usize::from(self.channels), &mut out);
        out
    }
}

/// Decodes WAV data; the error says what is wrong with it.
pub fn decode(input: impl std::io::Read) -> Result<Wav, String> {
    let mut reader = hound::WavReader::new(input).map_err(|e| e.to_string())?;
    let spec = reader.spec();
    if spec.channels == 0 {
        return Err("it declares no channels".into());
    }
    if !SAMPLE_RATES.contains(&spec.sample_rate) {
        return Err(format!(
            "its sample rate of {} Hz is outside {}–{} Hz",
            spec.sample_rate,
            SAMPLE_RATES.start(),
            SAMPLE_RATES.end()
        ));
    }
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .map(|s| match s {
                Ok(v) if v.is_finite() => Ok(v.clamp(-1.0, 1.0)),
                Ok(_) => Err(hound::Error::FormatError("a sample is not a finite number")),
                Err(e) => Err(e),
            })
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
        hound::SampleFormat::Int => {
            let bits = spec.bits_per_sample;
            if !(1..=32).contains(&bits) {
                return Err(format!("{bits}-bit samples are not supported"));
            }
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?
        }
    };
    Ok(Wav {
        samples,
        sample_rate: spec.sample_rate,
        channels: spec.channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let w = decode(&bytes[..]).unwrap();
        assert_eq!((w.sample_rate, w.channels), (48_000, 2));
        let mono = w.mono();
        assert_eq!(mono.len(), 2);
        assert!(mono[0].abs() < 1e-4, "{}", mono[0]);
        assert!((mono[1] - 0.5).abs() < 1e-6, "{}", mono[1]);
    }

    #[test]
    fn absurd_sample_rates_are_refused_before_resampling() {
        for rate in [1, 3_999, 768_001, 2_000_000_000] {
            let bytes = wav(spec(1, rate, 16, false), &[0i16; 8]);
            let err = decode(&bytes[..]).unwrap_err();
            assert!(err.contains("sample rate"), "{rate}: {err}");
        }
    }

    #[test]
    fn non_finite_float_samples_are_refused_and_loud_ones_clamped() {
        let bytes = wav(spec(1, 16_000, 32, true), &[0.5f32, f32::NAN]);
        let err = decode(&bytes[..]).unwrap_err();
        assert!(err.contains("not a finite number"), "{err}");
        let bytes = wav(spec(1, 16_000, 32, true), &[4.0f32, -4.0]);
        assert_eq!(decode(&bytes[..]).unwrap().samples, vec![1.0, -1.0]);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode(&b"not a wav"[..]).is_err());
    }
}
