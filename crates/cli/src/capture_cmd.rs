//! `paraakh capture`: the devices this machine has, and one-off captures to
//! check them (what the system check does, from a terminal). Running one of
//! these commands is the consent of the person at the machine to that one
//! capture; nothing else is captured.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use paraakh_capture::camera::CameraSource;
use paraakh_capture::camera::native::NativeCamera;
use paraakh_capture::encode::{jpeg, opus};
use paraakh_capture::microphone::native::Microphone;
use paraakh_capture::microphone::{CHUNK, RATE};
use paraakh_capture::screen::native::open_desktop;
use paraakh_capture::screen::{ScreenRecorder, ScreenSettings};
use paraakh_capture::{Consent, ConsentScope};
use paraakh_evidence::clock::{Clock, SystemClock};
use serde_json::json;

use crate::render;

#[derive(Debug, Subcommand)]
pub(crate) enum CaptureCommand {
    /// List cameras (virtual ones flagged), microphones and monitors.
    Devices(DevicesArgs),
    /// Capture every monitor, skipping unchanged screens, and store the captures as JPEG.
    Screen(ScreenArgs),
    /// Record the microphone to a WAV or Ogg Opus file and report its level.
    Microphone(MicrophoneArgs),
    /// Take one picture with a webcam.
    Camera(CameraArgs),
    /// Make a camera stand-in for demos and machines without a camera: a
    /// still of a person as a short looping sequence that moves (replay it
    /// with `--camera DIR/`), so the replay is not a frozen picture.
    StandIn(StandInArgs),
}

#[derive(Debug, Args)]
pub(crate) struct StandInArgs {
    /// The still picture (PNG or JPEG).
    #[arg(long, value_name = "IMAGE")]
    from: PathBuf,
    /// The directory to write the sequence into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Pictures in the loop (2–600).
    #[arg(long, value_name = "N", default_value_t = 24)]
    frames: u32,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DevicesArgs {
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ScreenArgs {
    /// Directory for the captures (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Rounds of capture (every monitor each round).
    #[arg(long, value_name = "N", default_value_t = 1)]
    frames: u32,
    /// Time between rounds.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = crate::grammar::duration)]
    interval: Duration,
    /// Downscale captures to this width (0: keep the monitor's size).
    #[arg(long, value_name = "PIXELS", default_value_t = 1280)]
    max_width: u32,
    /// Fraction of the screen that must change for a new capture to be stored.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.02)]
    threshold: f64,
    /// JPEG quality (1–100).
    #[arg(long, value_name = "N", default_value_t = 70, value_parser = clap::value_parser!(u8).range(1..=100))]
    quality: u8,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct MicrophoneArgs {
    /// Where to write the recording: .wav (16 kHz mono) or .ogg/.opus (Ogg Opus).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// How long to record (more than 0, at most 1h).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = crate::grammar::duration, alias = "seconds")]
    duration: Duration,
    /// The microphone whose name contains this (default: the system's default input).
    #[arg(long, value_name = "DEVICE")]
    device: Option<String>,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CameraArgs {
    /// Where to write the picture (JPEG).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The camera: its index (see `paraakh capture devices`).
    #[arg(long, value_name = "DEVICE", default_value = "0")]
    device: String,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: CaptureCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CaptureCommand::Devices(a) => devices(a),
        CaptureCommand::Screen(a) => screen(a),
        CaptureCommand::Microphone(a) => microphone(a),
        CaptureCommand::Camera(a) => camera(a),
        CaptureCommand::StandIn(a) => stand_in(a),
    }
}

fn consent(scope: ConsentScope) -> Consent {
    Consent::given(scope, SystemClock.now())
}

fn devices(args: DevicesArgs) -> anyhow::Result<ExitCode> {
    let cameras = paraakh_capture::camera::native::list();
    let microphones = paraakh_capture::microphone::native::list();
    let monitors = open_desktop().and_then(|mut s| s.monitors());
    if args.json {
        let part = |r: Result<serde_json::Value, String>| match r {
            Ok(v) => json!({ "devices": v }),
            Err(e) => json!({ "devices": [], "error": e }),
        };
        render::print_json(&json!({
            "cameras": part(cameras.map(|c| json!(c)).map_err(|e| e.to_string())),
            "microphones": part(microphones.map(|m| json!(m)).map_err(|e| e.to_string())),
            "monitors": part(monitors.map(|m| json!(m)).map_err(|e| e.to_string())),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::from("Cameras:\n");
    match cameras {
        Ok(c) if c.is_empty() => text.push_str("  none found\n"),
        Ok(c) => {
            for cam in c {
                text.push_str(&format!(
                    "  [{}] {} ({})\n",
                    cam.id, cam.name, cam.description
                ));
                if let Some(why) = cam.virtual_camera {
                    text.push_str(&format!("      VIRTUAL: {why}\n"));
                }
            }
        }
        Err(e) => text.push_str(&format!("  unavailable: {e}\n")),
    }
    text.push_str("Microphones:\n");
    match microphones {
        Ok(m) if m.is_empty() => text.push_str("  none found\n"),
        Ok(m) => {
            for mic in m {
                text.push_str(&format!(
                    "  {}{} ({} Hz, {} channel{}, {})\n",
                    mic.name,
                    if mic.default { " [default]" } else { "" },
                    mic.sample_rate,
                    mic.channels,
                    if mic.channels == 1 { "" } else { "s" },
                    mic.sample_format
                ));
            }
        }
        Err(e) => text.push_str(&format!("  unavailable: {e}\n")),
    }
    text.push_str("Monitors:\n");
    match monitors {
        Ok(m) => {
            for mon in m {
                text.push_str(&format!(
                    "  {} {}×{} at ({}, {}){}\n",
                    mon.name,
                    mon.width,
                    mon.height,
                    mon.x,
                    mon.y,
                    if mon.primary { " [primary]" } else { "" }
                ));
            }
        }
        Err(e) => text.push_str(&format!("  unavailable: {e}\n")),
    }
    render::out(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn screen(args: ScreenArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.threshold) {
        bail!("--threshold must be between 0 and 1 (a fraction of the screen)");
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let settings = ScreenSettings {
        interval_seconds: args.interval.as_secs_f64(),
        keyframe_seconds: f64::INFINITY,
        change_threshold: args.threshold as f32,
        max_width: args.max_width,
        jpeg_quality: args.quality,
    };
    let consent = consent(ConsentScope {
        screen: true,
        ..ConsentScope::default()
    });
    let mut rec = ScreenRecorder::new(open_desktop()?, settings, &consent, Arc::new(SystemClock))?;
    let mut captures = Vec::new();
    let mut text = String::new();
    let started = Instant::now();
    for round in 0..args.frames {
        if round > 0 {
            std::thread::sleep(args.interval);
        }
        let t = Instant::now();
        let stored = rec.tick()?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        render::note(&format!(
            "round {} captured in {ms:.0} ms, {} stored",
            round + 1,
            stored.len()
        ));
        for c in stored {
            let path = args
                .out
                .join(format!("monitor-{}-{:03}.jpg", c.monitor.id, round + 1));
            render::write_atomic(&path, &c.jpeg)?;
            text.push_str(&format!(
                "{}: {} {}×{} → {}×{}, {:?}, {} bytes\n",
                path.display(),
                c.monitor.name,
                c.monitor.width,
                c.monitor.height,
                c.width,
                c.height,
                c.reason,
                render::thousands(c.jpeg.len() as u64)
            ));
            captures.push(json!({
                "path": path,
                "round": round + 1,
                "monitor": c.monitor,
                "reason": c.reason,
                "width": c.width,
                "height": c.height,
                "bytes": c.jpeg.len(),
                "changed": c.changed,
            }));
        }
    }
    let stats = rec.stats();
    if args.json {
        render::print_json(&json!({
            "captures": captures,
            "stats": stats,
            "seconds": started.elapsed().as_secs_f64(),
        }))?;
    } else {
        text.push_str(&format!(
            "{} monitor pictures taken, {} stored, {} skipped as unchanged, {} bytes stored\n",
            stats.taken,
            stats.stored,
            stats.skipped,
            render::thousands(stats.bytes)
        ));
        render::out(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The format a recording is written in, from its file name.
#[derive(Debug, Clone, Copy)]
enum AudioFormat {
    Wav,
    OggOpus,
}

fn audio_format(path: &Path) -> anyhow::Result<AudioFormat> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "wav" => Ok(AudioFormat::Wav),
        "ogg" | "opus" => Ok(AudioFormat::OggOpus),
        _ => bail!(
            "{}: the file name must end in .wav, .ogg or .opus (that is the format written)",
            path.display()
        ),
    }
}

fn write_audio(path: &Path, format: AudioFormat, samples: &[f32]) -> anyhow::Result<()> {
    let bytes = match format {
        AudioFormat::OggOpus => opus::encode_ogg_opus(samples, 1)?,
        AudioFormat::Wav => {
            let mut cursor = std::io::Cursor::new(Vec::new());
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: RATE,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let mut w = hound::WavWriter::new(&mut cursor, spec)?;
            for s in samples {
                w.write_sample((s.clamp(-1.0, 1.0) * 32767.0).round() as i16)?;
            }
            w.finalize()?;
            cursor.into_inner()
        }
    };
    render::write_atomic(path, &bytes)
}

fn dbfs(x: f32) -> f32 {
    if x <= 1e-6 { -120.0 } else { 20.0 * x.log10() }
}

fn microphone(args: MicrophoneArgs) -> anyhow::Result<ExitCode> {
    if !(args.duration > Duration::ZERO && args.duration <= Duration::from_secs(3600)) {
        bail!(
            "--duration must be more than 0 and at most 1h, not {}",
            crate::grammar::seconds(args.duration)
        );
    }
    let seconds = args.duration.as_secs_f64();
    // Checked before recording, so a bad name costs nothing.
    let format = audio_format(&args.out)?;
    let consent = consent(ConsentScope {
        microphone: true,
        ..ConsentScope::default()
    });
    let mic = Microphone::open(
        args.device.as_deref(),
        0.0,
        1024,
        &consent,
        Arc::new(SystemClock),
    )?;
    let audio = Arc::clone(mic.audio());
    let wanted = (seconds * f64::from(RATE)) as usize;
    let mut samples: Vec<f32> = Vec::with_capacity(wanted + CHUNK);
    // Devices may take a moment (up to ~2 s) to deliver the first samples.
    let deadline = Instant::now() + args.duration + Duration::from_secs(10);
    let mut announced = false;
    while samples.len() < wanted {
        if let Some(chunk) = audio.next_chunk(Duration::from_millis(200)) {
            if !announced {
                render::note(&format!("recording from {}", mic.info().name));
                announced = true;
            }
            samples.extend_from_slice(&chunk.samples);
        } else if audio.is_closed() {
            bail!(
                "the microphone stopped delivering after {:.1} s",
                samples.len() as f64 / f64::from(RATE)
            );
        }
        if let Some(event) = mic.next_event() {
            render::note(&event);
        }
        if Instant::now() > deadline {
            bail!(
                "the microphone delivered {:.1} s of audio in {:.0} s: check that it is connected and not used by another program",
                samples.len() as f64 / f64::from(RATE),
                seconds + 10.0
            );
        }
    }
    samples.truncate(wanted);
    let dropped = audio.dropped_chunks();
    let info = mic.info().clone();
    drop(mic);
    write_audio(&args.out, format, &samples)?;
    let rms = (samples.iter().map(|v| v * v).sum::<f32>() / samples.len().max(1) as f32).sqrt();
    let peak = samples.iter().fold(0f32, |m, v| m.max(v.abs()));
    // Seconds of sound: 100 ms windows louder than −40 dBFS.
    let window = RATE as usize / 10;
    let sound_s = samples
        .chunks(window)
        .filter(|w| dbfs((w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt()) > -40.0)
        .count() as f64
        * 0.1;
    let duration_s = samples.len() as f64 / f64::from(RATE);
    if args.json {
        render::print_json(&json!({
            "device": info,
            "path": args.out,
            "duration_s": duration_s,
            "rms_dbfs": dbfs(rms),
            "peak_dbfs": dbfs(peak),
            "sound_s": sound_s,
            "dropped_chunks": dropped,
        }))?;
    } else {
        render::out(&format!(
            "{}: {:.1} s from {} at {} Hz mono, level {:.1} dBFS RMS, peak {:.1} dBFS, sound for {:.1} s\n",
            args.out.display(),
            duration_s,
            info.name,
            RATE,
            dbfs(rms),
            dbfs(peak),
            sound_s
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn camera(args: CameraArgs) -> anyhow::Result<ExitCode> {
    let consent = consent(ConsentScope {
        camera: true,
        ..ConsentScope::default()
    });
    consent.require(paraakh_capture::Device::Camera)?;
    let index: u32 = args.device.trim().parse().map_err(|_| {
        anyhow::anyhow!(
            "--device {:?}: a camera is chosen by its index (see `paraakh capture devices`)",
            args.device
        )
    })?;
    let mut cam = NativeCamera::open(index, Default::default())?;
    let (w, h, rgb) = cam.grab()?;
    let bytes = jpeg::encode_rgb(&rgb, w, h, 85)?;
    render::write_atomic(&args.out, &bytes)?;
    let info = cam.info().clone();
    if args.json {
        render::print_json(&json!({
            "camera": info,
            "path": args.out,
            "width": w,
            "height": h,
            "bytes": bytes.len(),
        }))?;
    } else {
        let mut text = format!("{}: {}×{} from {}\n", args.out.display(), w, h, info.name);
        if let Some(why) = info.virtual_camera {
            text.push_str(&format!("VIRTUAL CAMERA: {why}\n"));
        }
        render::out(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn stand_in(args: StandInArgs) -> anyhow::Result<ExitCode> {
    let files =
        paraakh_capture::camera::stand_in::write_sequence(&args.from, &args.out, args.frames)?;
    if args.json {
        render::print_json(&json!({"dir": args.out, "frames": files.len()}))?;
    } else {
        render::out(&format!(
            "{}: {} pictures of {} that move; replay them with --camera {}/\n",
            args.out.display(),
            files.len(),
            args.from.display(),
            args.out.display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
