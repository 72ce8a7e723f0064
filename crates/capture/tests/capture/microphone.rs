//! The microphone path fed by a WAV file.

use std::sync::Arc;
use std::time::Duration;

use paraakh_capture::microphone::replay::WavReplay;
use paraakh_capture::microphone::{CHUNK, RATE};
use paraakh_evidence::clock::SystemClock;

use super::consent_all;

fn write_wav(path: &std::path::Path, rate: u32, channels: u16, seconds: f32, tone_from: f32) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(rate as f32 * seconds) as usize {
        let t = i as f32 / rate as f32;
        let v = if t >= tone_from {
            (t * 440.0 * std::f32::consts::TAU).sin() * 0.5
        } else {
            0.0
        };
        for _ in 0..channels {
            w.write_sample((v * 32767.0) as i16).unwrap();
        }
    }
    w.finalize().unwrap();
}

#[test]
fn a_wav_replay_gives_16k_chunks_and_a_clip_with_pre_roll() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wav");
    // 3 s of 44.1 kHz stereo: silence, then a tone from 2 s.
    write_wav(&path, 44_100, 2, 3.0, 2.0);
    let replay = WavReplay::start(
        &path,
        false,
        5.0,
        1000,
        &consent_all(),
        Arc::new(SystemClock),
    )
    .unwrap();
    let audio = Arc::clone(replay.audio());
    let mut chunks = Vec::new();
    while let Some(c) = audio.next_chunk(Duration::from_secs(5)) {
        chunks.push(c);
    }
    assert!(audio.is_closed());
    assert_eq!(audio.samples(), 48_000);
    assert_eq!(chunks.len(), 48_000 / CHUNK);
    // The first loud chunk is where the tone starts (2 s = sample 32,000).
    let first_loud = chunks
        .iter()
        .find(|c| c.samples.iter().any(|s| s.abs() > 0.1))
        .unwrap()
        .first_sample;
    assert!((31_000..=32_000).contains(&first_loud), "{first_loud}");
    // A clip from 1 s before the detection: silence first, then the tone.
    let clip = audio.clip(first_loud - u64::from(RATE), first_loud + 8_000);
    assert_eq!(clip.len(), 24_000);
    assert!(clip[..15_000].iter().all(|s| s.abs() < 0.01));
    assert!(clip[17_000..].iter().any(|s| s.abs() > 0.4));
}

#[test]
fn a_realtime_replay_takes_real_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wav");
    write_wav(&path, 16_000, 1, 0.5, 0.0);
    let start = std::time::Instant::now();
    let replay =
        WavReplay::start(&path, true, 1.0, 100, &consent_all(), Arc::new(SystemClock)).unwrap();
    while replay.audio().next_chunk(Duration::from_secs(5)).is_some() {}
    assert!(
        start.elapsed() >= Duration::from_millis(450),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_bad_wav_is_a_clear_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.wav");
    std::fs::write(&path, b"RIFF\x00\x00").unwrap();
    let err = WavReplay::start(&path, false, 1.0, 10, &consent_all(), Arc::new(SystemClock))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("notes.wav") && err.contains("is not a readable WAV file"),
        "{err}"
    );
}
