//! Capture speed and evidence size:
//! `cargo bench -p paraakh-capture --bench capture`.
//!
//! Without `DISPLAY` it starts the headless rig itself (Xvfb at 1920×1080
//! with a desktop of text windows, and a PulseAudio server) and runs the
//! measurements in a child process pointed at them. Prints a table.

// Benchmark code: a panic is the failure report, and figures are printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use paraakh_capture::encode::{jpeg, opus, scale};
use paraakh_capture::microphone::AudioPipeline;
use paraakh_capture::microphone::native::Microphone;
use paraakh_capture::screen::ScreenSource;
use paraakh_capture::screen::change::Thumbnail;
use paraakh_capture::screen::native::open_desktop;
use paraakh_capture::{Consent, ConsentScope};
use paraakh_evidence::clock::{Clock, SystemClock};

const CHILD: &str = "PARAAKH_CAPTURE_BENCH_CHILD";

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if std::env::var_os(CHILD).is_some() || std::env::var_os("DISPLAY").is_some() {
        measure();
        return;
    }
    let display =
        paraakh_test_rig::Display::xvfb(1920, 1080).expect("Xvfb (./scripts/test installs it)");
    let audio = paraakh_test_rig::Audio::start().ok();
    let clients = populate(&display);
    std::thread::sleep(Duration::from_secs(2));
    let mut cmd = display.command(std::env::current_exe().unwrap());
    cmd.env(CHILD, "1");
    if let Some(a) = &audio {
        cmd.env("XDG_RUNTIME_DIR", a.runtime_dir())
            .env("HOME", a.runtime_dir());
    }
    let status = cmd.status().unwrap();
    for mut c in clients {
        let _ = c.kill();
        let _ = c.wait();
    }
    assert!(status.success());
}

/// A desktop such as an exam screen shows: text in windows over a plain
/// background, a clock, a calculator.
fn populate(display: &paraakh_test_rig::Display) -> Vec<std::process::Child> {
    let _ = display.run("xsetroot", &["-solid", "#3b4252"]);
    let text = [
        "/usr/share/common-licenses/GPL-3",
        "/usr/share/common-licenses/Apache-2.0",
    ];
    let mut clients = Vec::new();
    for (i, file) in text.iter().enumerate() {
        let geometry = format!("940x1000+{}+20", 20 + i * 960);
        if let Ok(c) = display
            .command("xmore")
            .args(["-geometry", &geometry, file])
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            clients.push(c);
        }
    }
    for (prog, geometry) in [("xclock", "200x200+1700+850"), ("xcalc", "+1450+600")] {
        if let Ok(c) = display
            .command(prog)
            .args(["-geometry", geometry])
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            clients.push(c);
        }
    }
    clients
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (100 per second on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn measure() {
    println!("# Capture benchmarks\n");
    let screen_jpeg = screen();
    mic_pipeline();
    mic_device();
    budget(screen_jpeg);
}

/// Returns the bytes of one stored 1280-wide screen capture.
fn screen() -> usize {
    let mut src = open_desktop().expect("a display");
    let monitors = src.monitors().unwrap();
    let m = &monitors[0];
    let rounds = 30;
    let (mut cap, mut check, mut down, mut enc) = (vec![], vec![], vec![], vec![]);
    let mut bytes = 0;
    let mut bytes_full = 0;
    let mut last = None;
    for _ in 0..rounds {
        let t = Instant::now();
        let raw = src.capture(m).unwrap();
        cap.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let thumb = Thumbnail::of(&raw.rgba, raw.width, raw.height, 4);
        if let Some(prev) = &last {
            std::hint::black_box(thumb.changed_fraction(prev));
        }
        last = Some(thumb);
        check.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let (w, h) = scale::fit_width(raw.width, raw.height, 1280);
        let rgb = scale::downscale_to_rgb(&raw.rgba, raw.width, raw.height, 4, w, h);
        down.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let j = jpeg::encode_rgb(&rgb, w, h, jpeg::DEFAULT_QUALITY).unwrap();
        enc.push(t.elapsed().as_secs_f64() * 1e3);
        bytes = j.len();
        if bytes_full == 0 {
            let full =
                scale::downscale_to_rgb(&raw.rgba, raw.width, raw.height, 4, raw.width, raw.height);
            bytes_full = jpeg::encode_rgb(&full, raw.width, raw.height, jpeg::DEFAULT_QUALITY)
                .unwrap()
                .len();
        }
    }
    // xcap, which Wayland, Windows and macOS use, on the same X display.
    let mut xcap = paraakh_capture::screen::native::XcapScreen;
    let xm = xcap
        .monitors()
        .unwrap()
        .into_iter()
        .find(|x| x.x == m.x && x.y == m.y)
        .unwrap();
    let xcap_ms: Vec<f64> = (0..10)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(xcap.capture(&xm).unwrap());
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let (c, k, d, e) = (median(cap), median(check), median(down), median(enc));
    println!(
        "## Screen, {}×{} ({} rounds, medians)\n",
        m.width, m.height, rounds
    );
    println!("| step | time |\n|---|---|");
    println!("| capture (X11 GetImage + pixel conversion) | {c:.1} ms |");
    println!(
        "| the same through xcap, monitor looked up each time (for comparison) | {:.1} ms |",
        median(xcap_ms)
    );
    println!("| change check (64×36 thumbnail + compare) | {k:.2} ms |");
    println!("| downscale to 1280×720 (area average) | {d:.1} ms |");
    println!(
        "| JPEG encode, quality {} | {e:.1} ms |",
        jpeg::DEFAULT_QUALITY
    );
    println!(
        "| **unchanged screen (capture + check, skipped)** | **{:.1} ms** |",
        c + k
    );
    println!(
        "| **changed screen (all of the above, stored)** | **{:.1} ms** |",
        c + k + d + e
    );
    println!(
        "\nBytes per stored frame (a desktop of text windows): {} at 1280×720, {} at full size.\n",
        bytes, bytes_full
    );
    bytes
}

fn mic_pipeline() {
    // One minute of 48 kHz stereo in 10 ms device blocks.
    let block: Vec<f32> = (0..960).map(|i| ((i as f32) * 0.05).sin() * 0.3).collect();
    let (mut p, shared) = AudioPipeline::new(48_000, 2, 16.0, 4096, Arc::new(SystemClock));
    let cpu = cpu_seconds();
    let t = Instant::now();
    for _ in 0..6000 {
        p.push(&block);
        while shared.next_chunk(Duration::ZERO).is_some() {}
    }
    let wall = t.elapsed().as_secs_f64();
    let used = cpu_seconds() - cpu;
    println!("## Microphone\n");
    println!("| path | CPU per minute of audio |\n|---|---|");
    println!(
        "| pipeline alone (48 kHz stereo → 16 kHz mono, ring, chunks, meter) | {:.0} ms ({:.2} % of a core; process CPU {:.2} s) |",
        wall * 1e3,
        wall / 60.0 * 100.0,
        used
    );
}

fn mic_device() {
    let consent = Consent::given(
        ConsentScope {
            microphone: true,
            ..ConsentScope::default()
        },
        SystemClock.now(),
    );
    let mic = match Microphone::open(None, 16.0, 4096, &consent, Arc::new(SystemClock)) {
        Ok(m) => m,
        Err(e) => {
            println!("| real device | not measured: {e} |\n");
            return;
        }
    };
    // Wait for audio to flow, then measure 20 s of process CPU.
    let audio = Arc::clone(mic.audio());
    let deadline = Instant::now() + Duration::from_secs(10);
    while audio.samples() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let (cpu, samples) = (cpu_seconds(), audio.samples());
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(20) {
        let _ = audio.next_chunk(Duration::from_millis(100));
    }
    let used = cpu_seconds() - cpu;
    let secs = (audio.samples() - samples) as f64 / 16_000.0;
    println!(
        "| real device through cpal ({}), whole process | {:.0} ms ({:.2} % of a core) over {secs:.1} s of audio |\n",
        mic.info().name,
        used / secs * 60.0 * 1e3,
        used / secs * 100.0
    );
}

fn budget(screen_jpeg: usize) {
    let policy =
        paraakh_policy::parse(include_str!("../../../policies/presets/standard.toml")).unwrap();
    let s = &policy.screen;
    let v = &policy.voice;
    // Webcam snapshot: a 640×480 picture with detail (a face, a room).
    let cam_jpeg = webcam_snapshot();
    // The longest clip the policy keeps, with its pre-roll, as speech-like audio.
    let clip_s = v.clip_seconds + v.pre_roll_seconds;
    let clip: Vec<f32> = (0..(clip_s * 16_000.0) as usize)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            ((t * 180.0 * std::f32::consts::TAU).sin()
                + 0.5 * (t * 900.0 * std::f32::consts::TAU).sin())
                * (0.5 + 0.5 * (t * 4.0 * std::f32::consts::TAU).sin())
                * 0.3
        })
        .collect();
    let clip_bytes = opus::encode_ogg_opus(&clip, 1).unwrap().len();
    let screens_per_min = 60.0 / s.interval_seconds;
    let records_per_min = 300.0; // detections, heartbeats, events: ~5 a second
    let record_bytes = 250.0;
    let rows = [
        (
            format!(
                "screen captures: every {} s, all changed, 1280 wide",
                s.interval_seconds
            ),
            screens_per_min * screen_jpeg as f64,
        ),
        (
            "webcam snapshots: one a minute (a snapshot violation every minute)".to_string(),
            cam_jpeg as f64,
        ),
        (
            format!("audio clips: one {clip_s:.0} s clip a minute (Ogg Opus 24 kbit/s)"),
            clip_bytes as f64,
        ),
        (
            format!(
                "log records: {records_per_min:.0} a minute of ~{record_bytes:.0} bytes, checkpoints"
            ),
            records_per_min * record_bytes + 2.0 * 400.0,
        ),
    ];
    let total: f64 = rows.iter().map(|r| r.1).sum();
    println!(
        "## Evidence per minute at the `standard` preset, screen recording on (a busy minute)\n"
    );
    println!("| part | bytes per minute |\n|---|---|");
    for (what, b) in &rows {
        println!("| {what} | {:.0} kB |", b / 1000.0);
    }
    println!("| **total** (target ≤ 2 MB) | **{:.2} MB** |", total / 1e6);
    println!("\nEncryption adds ~130 bytes per blob and 16 bytes per 64 KiB.");
}

fn webcam_snapshot() -> usize {
    let img = std::env::var_os("PARAAKH_DETECT_DATA")
        .and_then(|d| image::open(std::path::Path::new(&d).join("astronaut.png")).ok())
        .map(|i| {
            i.resize_exact(640, 480, image::imageops::FilterType::Triangle)
                .to_rgb8()
        });
    let rgb = match img {
        Some(i) => i.into_raw(),
        // Without the sample photo: a textured synthetic scene.
        None => (0..640 * 480)
            .flat_map(|i| {
                let (x, y) = (i % 640, i / 640);
                let v = ((x * 7 + y * 13) % 97 + (x / 40 + y / 30) * 11 % 120) as u8;
                [v, v / 2 + 60, 255 - v]
            })
            .collect(),
    };
    jpeg::encode_rgb(&rgb, 640, 480, jpeg::DEFAULT_QUALITY)
        .unwrap()
        .len()
}
