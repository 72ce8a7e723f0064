//! WAV decoding for every audio input that comes as a file (replayed
//! microphones, `paraakh detect voice`): any integer or float sample format
//! and channel count, strict limits, samples in [-1, 1]. It parses outside
//! input, so it refuses what would make later stages misbehave: absurd
//! sample rates (resampling would need absurd memory) and non-finite samples.

/// Sample rates accepted: telephone audio up to studio rates.
pub const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 4_000..=768_000;

/// Why WAV data was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WavError {
    /// The data could not be read (a read error, or it ends early).
    #[error("{0}")]
    Io(#[source] std::io::Error),
    /// Not WAV data, or a damaged or unsupported one: what the decoder said.
    #[error("{reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// The header declares no channels.
    #[error("it declares no channels")]
    NoChannels,
    /// The sample rate is outside [`SAMPLE_RATES`].
    #[error(
        "its sample rate of {rate} Hz is outside {}–{} Hz",
        SAMPLE_RATES.start(),
        SAMPLE_RATES.end()
    )]
    SampleRate {
        /// The declared rate, Hz.
        rate: u32,
    },
    /// Integer samples wider than 32 bits (or of no bits).
    #[error("{bits}-bit samples are not supported")]
    SampleBits {
        /// The declared bits per sample.
        bits: u16,
    },
    /// A float sample is NaN or infinite.
    #[error("a sample is not a finite number")]
    NotFinite,
}

impl From<hound::Error> for WavError {
    fn from(e: hound::Error) -> Self {
        match e {
            hound::Error::IoError(e) => Self::Io(e),
            other => Self::Malformed {
                reason: other.to_string(),
            },
        }
    }
}

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
pub fn decode(input: impl std::io::Read) -> Result<Wav, WavError> {
    let mut stream = WavStream::open(input)?;
    let mut samples = Vec::new();
    while stream.read_block(&mut samples, 1 << 16)? > 0 {}
    Ok(Wav {
        samples,
        sample_rate: stream.sample_rate(),
        channels: stream.channels(),
    })
}

/// WAV data read a block at a time: a replayed recording of any length in
/// bounded memory. Same checks as [`decode`].
pub struct WavStream<R: std::io::Read> {
    reader: hound::WavReader<R>,
    /// Integer samples are scaled by this; `None` for float samples.
    int_scale: Option<f32>,
}

impl<R: std::io::Read> std::fmt::Debug for WavStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavStream")
            .field("spec", &self.reader.spec())
            .finish_non_exhaustive()
    }
}

impl<R: std::io::Read> WavStream<R> {
    /// Reads the header; refuses what [`decode`] refuses.
    pub fn open(input: R) -> Result<Self, WavError> {
        let reader = hound::WavReader::new(input)?;
        let spec = reader.spec();
        if spec.channels == 0 {
            return Err(WavError::NoChannels);
        }
        if !SAMPLE_RATES.contains(&spec.sample_rate) {
            return Err(WavError::SampleRate {
                rate: spec.sample_rate,
            });
        }
        let int_scale = match spec.sample_format {
            hound::SampleFormat::Float => None,
            hound::SampleFormat::Int => {
                let bits = spec.bits_per_sample;
                if !(1..=32).contains(&bits) {
                    return Err(WavError::SampleBits { bits });
                }
                Some(1.0 / (1u64 << (bits - 1)) as f32)
            }
        };
        Ok(Self { reader, int_scale })
    }

    /// Sample rate, Hz.
    pub fn sample_rate(&self) -> u32 {
        self.reader.spec().sample_rate
    }

    /// Channels (≥ 1).
    pub fn channels(&self) -> u16 {
        self.reader.spec().channels
    }

    /// Appends up to `max` interleaved samples in [-1, 1] to `out`; returns
    /// how many (0 at the end).
    pub fn read_block(&mut self, out: &mut Vec<f32>, max: usize) -> Result<usize, WavError> {
        let before = out.len();
        match self.int_scale {
            None => {
                for s in self.reader.samples::<f32>().take(max) {
                    match s {
                        Ok(v) if v.is_finite() => out.push(v.clamp(-1.0, 1.0)),
                        Ok(_) => return Err(WavError::NotFinite),
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Some(scale) => {
                for s in self.reader.samples::<i32>().take(max) {
                    out.push(s? as f32 * scale);
                }
            }
        }
        Ok(out.len() - before)
    }
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
            assert!(
                matches!(err, WavError::SampleRate { rate: r } if r == rate),
                "{rate}: {err}"
            );
            assert!(err.to_string().contains("sample rate"), "{rate}: {err}");
        }
    }

    #[test]
    fn non_finite_float_samples_are_refused_and_loud_ones_clamped() {
        let bytes = wav(spec(1, 16_000, 32, true), &[0.5f32, f32::NAN]);
        let err = decode(&bytes[..]).unwrap_err();
        assert!(matches!(err, WavError::NotFinite), "{err}");
        assert!(err.to_string().contains("not a finite number"), "{err}");
        let bytes = wav(spec(1, 16_000, 32, true), &[4.0f32, -4.0]);
        assert_eq!(decode(&bytes[..]).unwrap().samples, vec![1.0, -1.0]);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode(&b"not a wav"[..]).is_err());
    }

    #[test]
    fn a_cut_file_is_a_read_error_with_its_source() {
        let bytes = wav(spec(1, 16_000, 16, false), &[1i16; 64]);
        let err = decode(&bytes[..bytes.len() - 1]).unwrap_err();
        let WavError::Io(io) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            err.to_string(),
            io.to_string(),
            "the decoder's words, unchanged"
        );
        assert!(std::error::Error::source(&err).is_some());
    }
}
