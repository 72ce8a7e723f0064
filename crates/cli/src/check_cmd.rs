//! `paraakh check`: the system check before an exam.

use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Expected exam length in minutes (for the free space needed).
    #[arg(long, default_value_t = 180)]
    minutes: u32,
    /// Seconds to listen to the microphone.
    #[arg(long, default_value_t = 2.0)]
    listen: f64,
    /// The ONNX Runtime library (else PARAAKH_ONNXRUNTIME, else next to paraakh).
    #[arg(long, value_name = "FILE")]
    onnxruntime: Option<PathBuf>,
    /// The models directory (else PARAAKH_MODELS, else models/ next to paraakh).
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

pub(crate) fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    if !(args.listen.is_finite() && args.listen > 0.0 && args.listen <= 30.0) {
        bail!("--listen must be more than 0 and at most 30 seconds");
    }
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
        listen_seconds: args.listen,
        exam_minutes: args.minutes,
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
