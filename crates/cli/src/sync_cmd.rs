//! `paraakh sync`: uploads what the backend lacks of each session; with
//! `--all`, every session in the data directory (the agent an installer
//! runs as a service), then deletes what the policy lets go.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use paraakh_evidence::keys::NoteVerifier;
use paraakh_sync::{
    Api, Credentials, Outbox, Progress, RetryPolicy, SyncOptions, agent, retention, sync_session,
};

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Session directories to upload.
    #[arg(required_unless_present = "all")]
    dirs: Vec<PathBuf>,
    /// Every session of every tenant in the data directory, each with the upload details it stored when it started; then retention.
    #[arg(long, conflicts_with_all = ["dirs", "server", "tokens", "backend_key", "purge"])]
    all: bool,
    /// With --all: the installation's data directory (default: the managed configuration's, else $XDG_DATA_HOME/paraakh).
    #[arg(long, value_name = "DIR", requires = "all")]
    data_dir: Option<PathBuf>,
    /// The tenant's backend (http:// or https://).
    #[arg(long, value_name = "URL", required_unless_present = "all")]
    server: Option<String>,
    /// Upload tokens: a token file, or a directory holding <session-id>.json for each session.
    #[arg(long, value_name = "PATH", required_unless_present = "all")]
    tokens: Option<PathBuf>,
    /// The backend's cosigning key (vkey file), when a session's header does not pin one.
    #[arg(long, value_name = "FILE")]
    backend_key: Option<PathBuf>,
    /// Bytes of a blob per request (at most this much is sent again after an interruption).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    chunk_size: usize,
    /// Stop retrying after this long without an answer (default 10m; 60s with --all, per backend).
    #[arg(long, value_name = "DURATION", value_parser = crate::grammar::duration)]
    give_up_after: Option<Duration>,
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
    if args.all {
        return run_all(&args);
    }
    let (Some(server), Some(tokens)) = (args.server.clone(), args.tokens.clone()) else {
        // clap requires both without --all.
        anyhow::bail!("--server and --tokens are required (or --all)");
    };
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
        give_up_after: args.give_up_after.unwrap_or(Duration::from_secs(600)),
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
        match sync_one(&server, &tokens, dir, &opts, retry, retention.as_ref()) {
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
            "server": server,
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
    server: &str,
    tokens: &Path,
    dir: &Path,
    opts: &SyncOptions,
    retry: RetryPolicy,
    retention: Option<&paraakh_policy::model::Retention>,
) -> anyhow::Result<(serde_json::Value, String)> {
    let session = Outbox::open(dir)?.header().session_id.clone();
    let credentials = Credentials::from_file(&token_file(tokens, &session))?;
    let api = Api::new(server, credentials, retry)?;
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
            retention::Decision::Keep {
                reason,
                alert,
                delete_after,
            } => {
                let warn = if *alert {
                    " (WARNING: waiting for a sync longer than the policy allows; tell the proctor)"
                } else {
                    ""
                };
                let until = delete_after
                    .map(|at| {
                        format!(
                            "; deleted by a sync --purge on or after {} (UTC)",
                            agent::utc_date(at)
                        )
                    })
                    .unwrap_or_default();
                text.push_str(&format!("{session}: kept locally: {reason}{until}{warn}\n"));
            }
        }
        doc["retention"] = serde_json::to_value(&decision)?;
    }
    Ok((doc, text))
}

/// One line for a person: where the session stands, and why.
fn outcome_line(o: &agent::SessionOutcome) -> String {
    let name = match &o.session_id {
        Some(id) => format!("{}/{id}", o.tenant),
        None => format!("{} (tenant)", o.tenant),
    };
    let state = match (o.state, o.waiting_for) {
        (agent::State::Sent, _) => "sent".to_owned(),
        (agent::State::Purged, _) => "deleted here".to_owned(),
        (agent::State::Kept, _) => "kept".to_owned(),
        (agent::State::Waiting, Some(why)) => format!("waiting ({})", why.words()),
        (agent::State::Waiting, None) => "waiting".to_owned(),
    };
    let warn = if o.alert { " [tell the proctor]" } else { "" };
    let sent = o
        .report
        .as_ref()
        .filter(|r| r.records_sent > 0 || r.blobs_sent > 0)
        .map(|r| {
            format!(
                " [sent {} records and {} blobs, {}]",
                r.records_sent,
                r.blobs_sent,
                crate::render::bytes(r.bytes_sent)
            )
        })
        .unwrap_or_default();
    format!("{name}: {state}{warn}: {}{sent}\n", o.reason)
}

/// `paraakh sync --all`: every session in the data directory, each with
/// the upload details it stored when it started.
fn run_all(args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(crate::keys_cmd::default_data_dir);
    let opts = agent::AgentOptions {
        sync: SyncOptions {
            chunk_bytes: args
                .chunk_size
                .clamp(4096, paraakh_protocol::MAX_CHUNK_BYTES),
            ..SyncOptions::default()
        },
        retry: RetryPolicy {
            give_up_after: args.give_up_after.unwrap_or(Duration::from_secs(60)),
            ..RetryPolicy::default()
        },
        now: None,
        // Everything else as the agent's defaults have it.
        ..agent::AgentOptions::default()
    };
    let json = args.json;
    let mut print = |o: &agent::SessionOutcome| {
        if !json {
            // A report a person reads as it happens; a closed pipe ends nothing.
            let _ = crate::render::out(&outcome_line(o));
        }
    };
    let outcomes = agent::sync_all(&data_dir, &opts, &mut print)
        .with_context(|| format!("cannot sync the sessions in {}", data_dir.display()))?;
    let count = |s: agent::State| outcomes.iter().filter(|o| o.state == s).count();
    let waiting = count(agent::State::Waiting);
    if json {
        crate::render::print_json(&serde_json::json!({
            "data_dir": data_dir,
            "waiting": waiting,
            "sessions": outcomes,
        }))?;
    } else if outcomes.is_empty() {
        crate::render::note(&format!("no sessions in {}", data_dir.display()));
    } else {
        crate::render::note(&format!(
            "{} sessions: {} sent, {} kept until their date, {} deleted here, {waiting} waiting",
            outcomes.len(),
            count(agent::State::Sent),
            count(agent::State::Kept),
            count(agent::State::Purged),
        ));
    }
    Ok(if waiting > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
