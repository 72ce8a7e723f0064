//! Evidence encoders checked by independent decoders.

use std::process::Command;

use paraakh_capture::encode::opus::{decode_ogg_opus, encode_ogg_opus};

#[test]
fn an_ogg_opus_clip_is_valid_for_the_reference_tools() {
    let samples: Vec<f32> = (0..16_000 * 3)
        .map(|i| (i as f32 / 16_000.0 * 300.0 * std::f32::consts::TAU).sin() * 0.3)
        .collect();
    let ogg = encode_ogg_opus(&samples, 42).unwrap();
    assert_eq!(decode_ogg_opus(&ogg).unwrap().len(), samples.len());
    if !paraakh_test_rig::require("Ogg Opus checked by opusinfo", &["opusinfo", "opusdec"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.opus");
    std::fs::write(&path, &ogg).unwrap();
    let out = Command::new("opusinfo").arg(&path).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        !text.contains("WARNING") && !text.contains("ERROR"),
        "{text}"
    );
    assert!(
        text.contains("Channels: 1") && text.contains("Original sample rate: 16000"),
        "{text}"
    );
    // opusdec trims pre-skip and end by the granule positions: 3.000 s at 48 kHz.
    let wav = dir.path().join("clip.wav");
    let ok = Command::new("opusdec")
        .args(["--quiet", "--rate", "48000"])
        .arg(&path)
        .arg(&wav)
        .status()
        .unwrap();
    assert!(ok.success());
    let r = hound::WavReader::open(&wav).unwrap();
    assert_eq!(r.duration(), 48_000 * 3);
}
