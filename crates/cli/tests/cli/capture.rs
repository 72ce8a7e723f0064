//! `paraakh capture` on the headless rig: real screens through X servers
//! (Xvfb, and Xorg's dummy driver for two monitors), real audio through a
//! PulseAudio server, and the errors a machine without a camera gives.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use paraakh_test_rig::{Audio, Checkerboard, Display, require};

use super::{BIN, json, p, stderr};

/// Starts `paraakh` with `args` and returns it with its stderr lines.
fn spawn(
    mut cmd: Command,
    args: &[&str],
) -> (
    std::process::Child,
    std::io::Lines<BufReader<std::process::ChildStderr>>,
) {
    let mut child = cmd
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    (child, lines)
}

fn wait_json(child: std::process::Child) -> serde_json::Value {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}", out.status);
    json(&out)
}

fn pixel(img: &image::RgbImage, x: u32, y: u32) -> [u8; 3] {
    img.get_pixel(x, y).0
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 24)
}

#[test]
fn screen_capture_reads_the_pattern_on_xvfb_and_stores_only_changes() {
    if !require("screen capture on Xvfb", &["Xvfb", "xsetroot", "xrandr"]) {
        return;
    }
    let display = Display::xvfb(1920, 1080).unwrap();
    let pattern = Checkerboard {
        square: 64,
        even: [255, 0, 0],
        odd: [0, 0, 255],
    };
    pattern.draw(&display).unwrap();
    let out_dir = display.dir().join("captures");
    let (child, mut lines) = spawn(
        display.command(BIN),
        &[
            "capture",
            "screen",
            "--out",
            p(&out_dir),
            "--frames",
            "3",
            "--interval",
            "1",
            "--max-width",
            "0",
            "--quality",
            "95",
            "--json",
        ],
    );
    // After the first round, change the whole screen: the second round must
    // store it, the third (unchanged again) must skip.
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("round 1 captured"), "{first}");
    display.run("xsetroot", &["-solid", "#00ff00"]).unwrap();
    let report = wait_json(child);
    let stats = &report["stats"];
    assert_eq!(
        (
            stats["taken"].as_u64(),
            stats["stored"].as_u64(),
            stats["skipped"].as_u64()
        ),
        (Some(3), Some(2), Some(1)),
        "{report}"
    );
    let captures = report["captures"].as_array().unwrap();
    assert_eq!(captures[0]["reason"], "first");
    assert_eq!(captures[1]["reason"], "changed");
    assert_eq!(
        (
            captures[0]["width"].as_u64(),
            captures[0]["height"].as_u64()
        ),
        (Some(1920), Some(1080))
    );

    let img = image::open(captures[0]["path"].as_str().unwrap())
        .unwrap()
        .to_rgb8();
    // Centres of squares all over the screen, the pattern repeating every 128 px.
    for (x, y) in [
        (32u32, 32u32),
        (96, 32),
        (32, 96),
        (96, 96),
        (1000, 500),
        (1890, 1050),
        (1800, 40),
    ] {
        let want = pattern.colour_at(x, y);
        let got = pixel(&img, x, y);
        assert!(near(got, want), "({x}, {y}): {got:?}, want {want:?}");
    }
    let img = image::open(captures[1]["path"].as_str().unwrap())
        .unwrap()
        .to_rgb8();
    assert!(near(pixel(&img, 960, 540), [0, 255, 0]));
}

#[test]
fn two_monitors_are_listed_and_each_captured() {
    if !require(
        "two monitors on Xorg's dummy driver",
        &["Xorg", "xrandr", "xsetroot"],
    ) {
        return;
    }
    let display = Display::two_monitors(1280, 720).unwrap();
    display.run("xsetroot", &["-solid", "#336699"]).unwrap();
    let out = display
        .command(BIN)
        .args(["capture", "devices", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let monitors = json(&out)["monitors"]["devices"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(monitors.len(), 2, "{monitors:?}");
    let xs: Vec<i64> = monitors.iter().map(|m| m["x"].as_i64().unwrap()).collect();
    assert!(xs.contains(&0) && xs.contains(&1280), "{xs:?}");

    let dir = display.dir().join("captures");
    let out = display
        .command(BIN)
        .args(["capture", "screen", "--out", p(&dir), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    let captures = report["captures"].as_array().unwrap();
    assert_eq!(captures.len(), 2, "{report}");
    for c in captures {
        let img = image::open(c["path"].as_str().unwrap()).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (1280, 720));
        assert!(
            near(pixel(&img, 640, 360), [0x33, 0x66, 0x99]),
            "{:?}",
            pixel(&img, 640, 360)
        );
    }
}

/// Seconds of a WAV file louder than −40 dBFS in 100 ms windows.
fn loud_seconds(path: &Path) -> (f64, f64) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    assert_eq!((spec.sample_rate, spec.channels), (16_000, 1));
    let samples: Vec<f32> = r
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect();
    let loud = samples
        .chunks(1600)
        .filter(|w| (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt() > 0.01)
        .count();
    (loud as f64 * 0.1, samples.len() as f64 / 16_000.0)
}

#[test]
fn the_microphone_records_speech_played_into_the_rig() {
    if !require(
        "microphone on PulseAudio",
        &["pulseaudio", "pactl", "paplay", "espeak-ng", "sox"],
    ) {
        return;
    }
    let audio = Audio::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw.wav");
    let speech = dir.path().join("speech.wav");
    let ok = Command::new("espeak-ng")
        .args([
            "-w",
            p(&raw),
            "Please keep your eyes on your own screen during the exam.",
        ])
        .status()
        .unwrap();
    assert!(ok.success());
    // 48 kHz stereo, as a real application would play it.
    assert!(
        Command::new("sox")
            .args([p(&raw), "-r", "48000", "-c", "2", p(&speech)])
            .status()
            .unwrap()
            .success()
    );
    let played = {
        let r = hound::WavReader::open(&raw).unwrap();
        f64::from(r.duration()) / f64::from(r.spec().sample_rate)
    };
    let recording = dir.path().join("recording.wav");
    let (child, mut lines) = spawn(
        audio.command(BIN),
        &[
            "capture",
            "microphone",
            "--out",
            p(&recording),
            "--duration",
            "8",
            "--json",
        ],
    );
    // Play only once audio is arriving (a device may take a moment to start).
    let line = lines.next().unwrap().unwrap();
    assert!(line.contains("recording from"), "{line}");
    audio.play(&speech).unwrap();
    let report = wait_json(child);
    assert_eq!(report["duration_s"].as_f64(), Some(8.0), "{report}");
    let (loud, total) = loud_seconds(&recording);
    assert!((total - 8.0).abs() < 0.01, "{total}");
    let spoken = report["sound_s"].as_f64().unwrap();
    // espeak-ng leaves short silences between words: what is loud is most
    // of the sentence, never more than it.
    assert!(
        spoken > played * 0.6 && spoken < played + 0.3,
        "sound {spoken} s of {played} s played: {report}"
    );
    assert!(
        (loud - spoken).abs() < 0.25,
        "file {loud} s vs report {spoken} s"
    );
    assert!(report["peak_dbfs"].as_f64().unwrap() > -20.0, "{report}");
    assert!(
        report["rms_dbfs"].as_f64().unwrap() < -10.0,
        "mostly silence around the speech: {report}"
    );
}

#[test]
fn a_camera_that_cannot_be_opened_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "capture",
            "camera",
            "--device",
            "63",
            "--out",
            p(&dir.path().join("c.jpg")),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("paraakh: error: no camera was found")
            || err.contains("paraakh: error: cannot open the camera"),
        "{err}"
    );
    assert!(!dir.path().join("c.jpg").exists());
}

#[test]
fn without_a_display_screen_capture_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["capture", "screen", "--out", p(dir.path())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no screen was found") && err.contains("DISPLAY"),
        "{err}"
    );
}

#[test]
fn a_recording_with_an_unknown_file_type_is_refused_before_recording() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("speech.mp3");
    let out = Command::new(BIN)
        .args([
            "capture",
            "microphone",
            "--out",
            p(&out_file),
            "--seconds",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(".wav, .ogg or .opus"),
        "{}",
        stderr(&out)
    );
    assert!(!out_file.exists());
}
