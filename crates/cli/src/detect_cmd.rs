//! `paraakh detect faces` and `paraakh detect voice`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use paraakh_detect::vad::SAMPLE_RATE;
use paraakh_detect::{
    Face, FaceConfig, FaceDetector, HeadPose, QualityTracker, RgbImage, Runtime, RuntimeConfig,
    VadConfig, VoiceDetector, audio, detect_voice, head_pose,
};
use serde::Serialize;

#[derive(Debug, Subcommand)]
pub(crate) enum DetectCommand {
    /// Face boxes, scores, keypoints and head turn per image, and whether the camera could see.
    Faces(FacesArgs),
    /// Speech segments (start, end in seconds) and speech ratio of a WAV file.
    Voice(VoiceArgs),
}

#[derive(Debug, Args)]
pub(crate) struct Common {
    /// The ONNX Runtime library (else PARAAKH_ONNXRUNTIME, else next to paraakh, else the package's ../lib/paraakh).
    #[arg(long, value_name = "FILE")]
    onnxruntime: Option<PathBuf>,
    /// The models directory (else PARAAKH_MODELS, else models/ next to paraakh, else the package's ../share/paraakh/models).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FacesArgs {
    /// PNG or JPEG images; given in order they are also judged as a sequence (a frozen feed).
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Only the short-range model (faster; misses small background faces).
    #[arg(long)]
    near_only: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub(crate) struct VoiceArgs {
    /// A WAV file of any sample rate and channel count.
    wav: PathBuf,
    #[command(flatten)]
    common: Common,
}

#[derive(Serialize)]
struct FaceOut<'a> {
    #[serde(flatten)]
    face: &'a Face,
    head_pose: HeadPose,
}

fn runtime(c: &Common, what: &str) -> anyhow::Result<Runtime> {
    Runtime::load(&RuntimeConfig {
        library: c.onnxruntime.clone(),
        models: c.models.clone(),
    })
    .with_context(|| format!("{what} unavailable"))
}

pub(crate) fn run(cmd: DetectCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DetectCommand::Faces(args) => faces(args),
        DetectCommand::Voice(args) => voice(args),
    }
}

fn faces(args: FacesArgs) -> anyhow::Result<ExitCode> {
    let rt = runtime(&args.common, "face detection")?;
    let config = FaceConfig {
        small_faces: !args.near_only,
        ..FaceConfig::default()
    };
    let mut detector = FaceDetector::new(&rt, config).context("face detection unavailable")?;
    let mut quality = QualityTracker::new();
    let mut reports = Vec::new();
    let mut text = String::new();
    for path in &args.images {
        let img = RgbImage::open(path)?;
        let faces = detector.detect(&img)?;
        let q = quality.measure(&img);
        let out: Vec<FaceOut<'_>> = faces
            .iter()
            .map(|f| FaceOut {
                face: f,
                head_pose: head_pose(f),
            })
            .collect();
        text.push_str(&format!(
            "{}: {}×{}, {} face{}, camera view {:?} (brightness {:.0})\n",
            path.display(),
            img.width(),
            img.height(),
            faces.len(),
            if faces.len() == 1 { "" } else { "s" },
            q.visibility,
            q.brightness
        ));
        for f in &out {
            text.push_str(&format!(
                "  face at ({:.0}, {:.0}) {:.0}×{:.0}, score {:.2}, head {:?} (yaw {:+.2})\n",
                f.face.x,
                f.face.y,
                f.face.w,
                f.face.h,
                f.face.score,
                f.head_pose.gaze,
                f.head_pose.yaw
            ));
        }
        reports.push(serde_json::json!({
            "path": path,
            "width": img.width(),
            "height": img.height(),
            "faces": out,
            "quality": q,
        }));
    }
    if args.common.json {
        crate::render::print_json(&serde_json::json!({ "images": reports }))?;
    } else {
        crate::render::out(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn voice(args: VoiceArgs) -> anyhow::Result<ExitCode> {
    let rt = runtime(&args.common, "voice detection")?;
    let mut detector = VoiceDetector::new(&rt).context("voice detection unavailable")?;
    let (samples, rate) = audio::read_wav(&args.wav)?;
    let samples = audio::resample(&samples, rate, SAMPLE_RATE);
    let report = detect_voice(&mut detector, &samples, VadConfig::default())?;
    if args.common.json {
        crate::render::print_json(&serde_json::json!({
            "path": args.wav,
            "duration_s": report.duration_s,
            "speech_ratio": report.speech_ratio,
            "segments": report.segments,
        }))?;
    } else {
        let mut text = format!(
            "{}: {:.1} s, speech {:.0} % in {} segment{}\n",
            args.wav.display(),
            report.duration_s,
            report.speech_ratio * 100.0,
            report.segments.len(),
            if report.segments.len() == 1 { "" } else { "s" }
        );
        for s in &report.segments {
            text.push_str(&format!("  {:7.2} s – {:7.2} s\n", s.start_s, s.end_s));
        }
        crate::render::out(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}
