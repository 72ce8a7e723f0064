//! Audio in: WAV files of any sample format and channel count, mixed to mono
//! and resampled to the 16 kHz the voice model needs.

use std::path::Path;

pub use paraakh_signal::resample;

use crate::error::DetectError;

pub use paraakh_signal::wav::SAMPLE_RATES;

/// Reads a WAV file as mono samples in [-1, 1] and its sample rate.
pub fn read_wav(path: &Path) -> Result<(Vec<f32>, u32), DetectError> {
    let file = std::fs::File::open(path)
        .map_err(|e| DetectError::Input(format!("{} cannot be read: {e}", path.display())))?;
    decode_wav(std::io::BufReader::new(file), &path.display().to_string())
}

/// Decodes WAV data (`name` says where it came from, for errors) as mono
/// samples in [-1, 1] and its sample rate.
pub fn decode_wav(input: impl std::io::Read, name: &str) -> Result<(Vec<f32>, u32), DetectError> {
    let wav = paraakh_signal::wav::decode(input)
        .map_err(|e| DetectError::Input(format!("{name} is not a readable WAV file: {e}")))?;
    Ok((wav.mono(), wav.sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_input() {
        let err = decode_wav(&b"not a wav"[..], "t.wav")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t.wav is not a readable WAV file"), "{err}");
    }
}
