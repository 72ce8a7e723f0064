//! `paraakh sync`: uploads what the backend lacks of each session.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use paraakh_evidence::keys::NoteVerifier;
use paraakh_sync::{
    Api, Credentials, Outbox, Progress, RetryPolicy, SyncOptions, retention, sync_session,
};

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Session directories to upload.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The tenant's backend (http:// or https://).
    #[arg(long, value_name = "URL")]
    server: String,
    /// Upload tokens: a token file, or a directory holding <session-id>.json for each session.
    #[arg(long, value_name = "PATH")]
    tokens: PathBuf,
    /// The backend's cosigning key (vkey file), when a session's header does not pin one.
    #[arg(long, value_name = "FILE")]
    backend_key: Option<PathBuf>,
    /// Bytes of a blob per request (at most this much is sent again after an interruption).
    #[arg(long, default_value_t = 1 << 20)]
    chunk_size: usize,
    /// Stop retrying after this many seconds without an answer.
    #[arg(long, default_value_t = 600)]
    give_up_after: u64,
    /// Afterwards, delete sessions the backend holds completely once the policy's keep period is over.
    #[arg(long)]
    purge: bool,
    /// The policy whose retention rules --purge applies.
    #[command(flatten)]
    policy: crate::policy_cmd::PolicyArgs,
    /// Print one JSON document (a report per session).
    #[arg(long)]
    json: bool,
}

fn token_file(tokens: &Path, session: &str) -> PathBuf {
    if tokens.is_dir() {
        tokens.join(format!("{session}.json"))
    } else {
        tokens.to_owned()
    }
}

/// A one-line progress bar on a terminal; nothing when stderr is not one.
fn progress_bar(name: String) -> impl FnMut(Progress) {
    let tty = std::io::stderr().is_terminal();
    move |p: Progress| {
        if !tty || p.total == 0 {
            return;
        }
        let frac = p.done as f64 / p.total as f64;
        let filled = (frac * 30.0).round() as usize;
        #[allow(clippy::print_stderr)]
        {
            eprint!(
                "\r{name} [{}{}] {:>3.0}% {} of {}",
                "#".repeat(filled),
                "-".repeat(30 - filled.min(30)),
                frac * 100.0,
                crate::render::bytes(p.done),
                crate::render::bytes(p.total)
            );
            if p.done >= p.total {
                eprintln!();
            }
        }
    }
}

pub(crate) fn run(args: SyncArgs) -> anyhow::Result<ExitCode> {
    let backend_key = args
        .backend_key
        .as_deref()
        .map(crate::verify_cmd::read_backend_key)
        .transpose()?;
    let opts = SyncOptions {
        chunk_bytes: args
            .chunk_size
            .clamp(4096, paraakh_protocol::MAX_CHUNK_BYTES),
        backend_key,
        ..SyncOptions::default()
    };
    let retry = RetryPolicy {
        give_up_after: Duration::from_secs(args.give_up_after),
        ..RetryPolicy::default()
    };
    let retention = if args.purge {
        Some(args.policy.load()?.retention)
    } else {
        None
    };
    let mut reports = Vec::new();
    let (mut all_complete, mut failed) = (true, false);
    for dir in &args.dirs {
        match sync_one(&args, dir, &opts, retry, retention.as_ref()) {
            Ok((report, text)) => {
                all_complete &= report["report"]["complete"] == true;
                if !args.json {
                    crate::render::out(&text)?;
                }
                reports.push(report);
            }
            Err(e) => {
                // One session's failure does not stop the others.
                failed = true;
                all_complete = false;
                crate::render::note(&format!("{}: {e:#}", dir.display()));
                reports.push(serde_json::json!({"dir": dir, "error": format!("{e:#}")}));
            }
        }
    }
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "server": args.server,
            "complete": all_complete,
            "sessions": reports,
        }))?;
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if all_complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn sync_one(
    args: &SyncArgs,
    dir: &Path,
    opts: &SyncOptions,
    retry: RetryPolicy,
    retention: Option<&paraakh_policy::model::Retention>,
) -> anyhow::Result<(serde_json::Value, String)> {
    let session = Outbox::open(dir)?.header().session_id.clone();
    let credentials = Credentials::from_file(&token_file(&args.tokens, &session))?;
    let api = Api::new(&args.server, credentials, retry)?;
    let started = std::time::Instant::now();
    let mut bar = progress_bar(session.clone());
    let report = sync_session(&api, dir, opts, &mut bar)
        .with_context(|| format!("cannot sync {}", dir.display()))?;
    let secs = started.elapsed().as_secs_f64();
    let state = if report.complete {
        "everything is on the server and covered by a receipt"
    } else if report.sendable_records == 0 {
        "nothing is signed yet (no checkpoint): nothing to send"
    } else {
        "not complete: run sync again"
    };
    let mut text = format!(
        "{session}: sent {} records and {} blobs ({} in {:.1} s, {} re-sent, {} retries); receipt covers {} of {} records; {state}\n",
        report.records_sent,
        report.blobs_sent,
        crate::render::bytes(report.bytes_sent),
        secs,
        crate::render::bytes(report.bytes_resent),
        report.retries,
        report.cosigned_size,
        report.sendable_records,
    );
    let mut doc = serde_json::json!({"dir": dir, "seconds": secs, "report": &report});
    if let Some(retention) = retention {
        let backend = NoteVerifier::parse(&report.backend_key)
            .context("the backend key of this sync cannot be read back")?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let decision = retention::decide(dir, retention, &backend, report.complete, now)?;
        match &decision {
            retention::Decision::Purge { reason } => {
                retention::purge(dir)?;
                text.push_str(&format!("{session}: deleted locally: {reason}\n"));
            }
            retention::Decision::Keep { reason, alert } => {
                let warn = if *alert {
                    " (WARNING: waiting for a sync longer than the policy allows; tell the proctor)"
                } else {
                    ""
                };
                text.push_str(&format!("{session}: kept locally: {reason}{warn}\n"));
            }
        }
        doc["retention"] = serde_json::to_value(&decision)?;
    }
    Ok((doc, text))
}
