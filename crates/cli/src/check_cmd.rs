//! `paraakh check`: the system check before an exam.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use paraakh_engine::preflight::{self, PreflightOptions, Status};

use crate::render;

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    policy: crate::policy_cmd::PolicyArgs,
    /// The tenant's exam server, to check it can be reached (https://host[:port]).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Where evidence will be kept (default: the installation's data directory).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Expected exam length, for the free space needed (default 3h).
    #[arg(long, value_name = "DURATION", value_parser = crate::grammar::duration, conflicts_with = "minutes")]
    exam_length: Option<Duration>,
    /// Deprecated: use --exam-length (this one counts minutes).
    #[arg(long, value_name = "N", hide = true)]
    minutes: Option<u32>,
    /// How long to listen to the microphone (more than 0, at most 30s).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = crate::grammar::duration, alias = "listen")]
    listen_for: Duration,
    /// The ONNX Runtime library (else PARAAKH_ONNXRUNTIME, else next to paraakh, else the package's ../lib/paraakh).
    #[arg(long, value_name = "FILE")]
    onnxruntime: Option<PathBuf>,
    /// The models directory (else PARAAKH_MODELS, else models/ next to paraakh, else the package's ../share/paraakh/models).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Webcam to check: a camera index, or images / a .y4m video to replay (default: camera 0).
    #[arg(long, value_name = "SRC")]
    camera: Option<String>,
    /// Microphone to check: `default`, `device:NAME`, or a WAV file to replay.
    #[arg(long, value_name = "SRC")]
    microphone: Option<String>,
    /// Screens to check: `desktop`, or a directory of images to replay.
    #[arg(long, value_name = "SRC")]
    screen: Option<String>,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

impl CheckArgs {
    /// `--minutes N` is `--exam-length` in minutes.
    pub(crate) fn resolve(&mut self) {
        if let Some(minutes) = self.minutes.take() {
            self.exam_length = Some(Duration::from_secs(u64::from(minutes) * 60));
        }
    }
}

pub(crate) fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    if !(args.listen_for > Duration::ZERO && args.listen_for <= Duration::from_secs(30)) {
        bail!(
            "--listen-for must be more than 0 and at most 30s, not {}",
            crate::grammar::seconds(args.listen_for)
        );
    }
    let exam_length = args.exam_length.unwrap_or(Duration::from_secs(3 * 3600));
    // Whole minutes, rounded up: the free space needed grows with them.
    let exam_minutes = u32::try_from(exam_length.as_secs().div_ceil(60)).unwrap_or(u32::MAX);
    let policy = args.policy.load()?;
    let options = PreflightOptions {
        policy,
        detection: paraakh_detect::RuntimeConfig {
            library: args.onnxruntime.clone(),
            models: args.models.clone(),
        },
        server: args.server.clone(),
        data_dir: args
            .data_dir
            .clone()
            .unwrap_or_else(crate::keys_cmd::default_data_dir),
        listen_seconds: args.listen_for.as_secs_f64(),
        exam_minutes,
        sources: paraakh_engine::sources::Sources::parse(
            Some(args.camera.as_deref().unwrap_or("0")),
            Some(args.microphone.as_deref().unwrap_or("default")),
            Some(args.screen.as_deref().unwrap_or("desktop")),
        ),
    };
    let report = preflight::run(&options);
    if args.json {
        render::print_json(&serde_json::json!({
            "ready": !report.blocks(),
            "policy": report.policy,
            "items": report.items,
            "session": report.session,
        }))?;
    } else {
        let mut out = format!("System check under the policy \"{}\":\n\n", report.policy);
        for item in &report.items {
            let mark = match item.status {
                Status::Ok => "ok     ",
                Status::Warning => "WARNING",
                Status::Blocking => "BLOCKS ",
            };
            out.push_str(&format!("{mark}  {}: {}\n", item.title, item.detail));
            if let Some(fix) = &item.fix {
                out.push_str(&format!("         → {fix}\n"));
            }
        }
        out.push_str(if report.blocks() {
            "\nThe exam cannot start until the items marked BLOCKS are fixed.\n"
        } else {
            "\nReady: the exam can start.\n"
        });
        render::out(&out)?;
    }
    Ok(if report.blocks() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
