//! Audio files (`paraakh detect voice`, replayed microphones): WAV
//! decoding, then streaming resampling to 16 kHz (bounded here to keep each
//! run fast).
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_detect::audio::{decode_wav, resample};

fuzz_target!(|data: &[u8]| {
    if let Ok((samples, rate)) = decode_wav(data, "fuzz.wav") {
        let head = &samples[..samples.len().min(4_000)];
        let out = resample(head, rate, 16_000);
        assert!(
            out.iter().all(|s| s.is_finite()),
            "resampling made a non-finite sample"
        );
    }
});
