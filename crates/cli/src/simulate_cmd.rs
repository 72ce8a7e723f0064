//! `paraakh session simulate`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use paraakh_evidence::record::ClientInfo;
use paraakh_evidence::simulate::{SimulateOptions, simulate};
use paraakh_evidence::{Clock, SystemClock, TenantPublicKey, TenantSecretKey};

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// Directory to record into (must not hold a session).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Event records (a 3-hour exam is about 50,000 records).
    #[arg(long, value_name = "N", default_value_t = 200)]
    events: u64,
    /// Encrypted media blobs (webcam snapshots, screen captures, voice clips).
    #[arg(long, value_name = "N", default_value_t = 10)]
    blobs: u64,
    /// Blob plaintext size in bytes, or a range MIN-MAX.
    #[arg(long, value_name = "BYTES", default_value = "20000-120000", value_parser = parse_range)]
    blob_size: (u64, u64),
    /// Questions answered and submitted.
    #[arg(long, value_name = "N", default_value_t = 5)]
    questions: u64,
    /// Seed for what is recorded (keys are always fresh).
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// The tenant's evidence encryption key to encrypt to (encryption.pub; encryption.key works too).
    /// Without it a throwaway key is used and nobody can decrypt the blobs.
    #[arg(long, value_name = "FILE", alias = "tenant-key")]
    encryption_key: Option<PathBuf>,
    /// Records between checkpoints (64 records are about 13 s of a simulated exam).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 64,
        alias = "checkpoint-every"
    )]
    checkpoint_records: u64,
    /// Receipts arrive this many checkpoints late (the last ones stay machine-attested); with 0 every record is witnessed, the final checkpoint too.
    #[arg(long, value_name = "N", default_value_t = 0)]
    receipt_lag: u64,
    /// Do not move the wall clock during the session.
    #[arg(long)]
    no_clock_jump: bool,
    /// Write the simulated backend's cosigning key (a vkey) here, to pin it with `verify --backend-key`.
    #[arg(long, value_name = "FILE")]
    backend_key_out: Option<PathBuf>,
    /// Print a JSON summary.
    #[arg(long)]
    json: bool,
    /// Record as if offline: no backend key pinned, no receipts (sync it later with `paraakh sync`).
    #[arg(long)]
    offline: bool,
    /// Tenant id recorded in the header.
    #[arg(long, value_name = "ID", default_value = "demo-tenant")]
    tenant: String,
    /// Exam id recorded in the header.
    #[arg(long, value_name = "ID", default_value = "demo-exam")]
    exam: String,
    /// Session id (default: sim-<seed>).
    #[arg(long, value_name = "ID")]
    session_id: Option<String>,
    /// Record with this device key (a file, made there the first time) instead of a fresh one.
    #[arg(long, value_name = "FILE")]
    device_key: Option<PathBuf>,
    /// Before recording, ask this backend to bind the session to the device key (its statement goes into the session; needs --tokens); then record as if offline and upload with `paraakh sync`.
    #[cfg(feature = "sync")]
    #[arg(long, value_name = "URL", requires = "tokens")]
    server: Option<String>,
    /// The session's upload tokens (with --server).
    #[cfg(feature = "sync")]
    #[arg(long, value_name = "FILE", requires = "server")]
    tokens: Option<PathBuf>,
    /// The backend's cosigning key to pin in the session header (with --server).
    #[arg(long, value_name = "FILE")]
    backend_key: Option<PathBuf>,
}

pub(crate) fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let parse = |v: &str| {
        v.trim()
            .parse::<u64>()
            .map_err(|_| format!("{v:?} is not a number of bytes"))
    };
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (parse(a)?, parse(b)?),
        None => (parse(s)?, parse(s)?),
    };
    if lo > hi {
        return Err(format!("the range {s} is empty: MIN must not exceed MAX"));
    }
    Ok((lo, hi))
}

/// The policy hash of the `standard` preset (what the simulated session says it ran under).
fn standard_policy_sha256() -> anyhow::Result<[u8; 32]> {
    let text =
        paraakh_policy::presets::text("standard").context("the standard preset is missing")?;
    let policy = paraakh_policy::parse(text)
        .map_err(|e| anyhow::anyhow!("the standard preset does not parse: {e}"))?;
    Ok(policy.sha256())
}

/// Asks the backend for the statement binding the session to the device key
/// (a fresh device key unless one was given); the session is then recorded
/// as if offline, its records dated from now, one millisecond apart.
#[cfg(feature = "sync")]
fn joined_statement(
    opts: &mut SimulateOptions,
    server: &str,
    tokens: &std::path::Path,
) -> anyhow::Result<()> {
    use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_ED25519};
    let device = match &opts.device {
        Some(d) => std::sync::Arc::clone(d),
        None => std::sync::Arc::new(NoteSigner::generate("paraakh-device", SIG_TYPE_ED25519)?),
    };
    let session = opts
        .session_id
        .clone()
        .unwrap_or_else(|| format!("sim-{:016x}", opts.seed));
    let api = paraakh_sync::Api::new(
        server,
        paraakh_sync::Credentials::from_file(tokens)?,
        paraakh_sync::RetryPolicy {
            give_up_after: std::time::Duration::from_secs(30),
            ..paraakh_sync::RetryPolicy::default()
        },
    )?;
    let statement = paraakh_sync::join::statement(&api, &session, &device.verifier().encode())
        .context("the backend gave no session statement")?;
    opts.statement = Some(statement);
    opts.device = Some(device);
    opts.session_id = Some(session);
    opts.offline = true;
    opts.step_ns = 1_000_000;
    opts.start_utc_ns = SystemClock.now().utc_ns;
    Ok(())
}

pub(crate) fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    if args.checkpoint_records == 0 {
        bail!("--checkpoint-records must be at least 1");
    }
    let tenant = match &args.encryption_key {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            TenantPublicKey::parse(&text)
                .with_context(|| format!("{} is not a tenant encryption key", path.display()))?
        }
        None => {
            crate::render::note(
                "no --encryption-key: blobs and answers are encrypted to a throwaway key, so verify can check \
                 their hashes but nobody can decrypt them (make a key set with `paraakh keys generate`)",
            );
            TenantSecretKey::generate("throwaway.paraakh.example")?.public()
        }
    };
    let mut opts = SimulateOptions::new(tenant, SystemClock.now().utc_ns);
    opts.policy_sha256 = standard_policy_sha256()?;
    if let Some(path) = &args.device_key {
        let (key, _) = paraakh_evidence::keys::load_or_create_signer(
            path,
            "paraakh-device",
            paraakh_evidence::keys::SIG_TYPE_ED25519,
        )
        .with_context(|| format!("cannot use the device key {}", path.display()))?;
        opts.device = Some(std::sync::Arc::new(key));
    }
    opts.backend_key = args
        .backend_key
        .as_deref()
        .map(crate::verify_cmd::read_backend_key)
        .transpose()?;
    opts.events = args.events;
    opts.blobs = args.blobs;
    opts.blob_size = args.blob_size;
    opts.questions = args.questions;
    opts.seed = args.seed;
    opts.checkpoint_every = args.checkpoint_records;
    opts.receipt_lag = args.receipt_lag;
    opts.clock_jump = !args.no_clock_jump;
    opts.offline = args.offline;
    opts.tenant_id = args.tenant.clone();
    opts.exam_id = args.exam.clone();
    opts.session_id = args.session_id.clone();
    #[cfg(feature = "sync")]
    if let (Some(server), Some(tokens)) = (&args.server, &args.tokens) {
        joined_statement(&mut opts, server, tokens)?;
    }
    opts.client = ClientInfo::this_program(concat!("paraakh ", env!("CARGO_PKG_VERSION")))
        .context("cannot read the running program")?;
    let started = std::time::Instant::now();
    let summary = simulate(&args.out, &opts)
        .with_context(|| format!("cannot record into {}", args.out.display()))?;
    let secs = started.elapsed().as_secs_f64();
    if let Some(path) = &args.backend_key_out {
        crate::render::write_atomic(path, format!("{}\n", summary.backend_key).as_bytes())?;
    }
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "dir": args.out,
            "session_id": summary.session_id,
            "records": summary.records,
            "blobs": summary.blobs,
            "blob_bytes": summary.blob_bytes,
            "checkpoints": summary.checkpoints,
            "receipts": summary.receipts,
            "backend_key": summary.backend_key,
            "seconds": secs,
        }))?;
    } else if opts.offline {
        crate::render::out(&format!(
            "Recorded session {} offline in {}{}: {} records, {} blobs ({}), {} checkpoints, no receipts yet.\n\
             Upload it with: paraakh sync {} --server URL --tokens FILE\n",
            summary.session_id,
            args.out.display(),
            if opts.statement.is_some() {
                " (the backend bound it to this device key before it started)"
            } else {
                ""
            },
            crate::render::thousands(summary.records),
            crate::render::thousands(summary.blobs),
            crate::render::bytes(summary.blob_bytes),
            summary.checkpoints,
            args.out.display(),
        ))?;
    } else {
        crate::render::out(&format!(
            "Recorded session {} in {}: {} records, {} blobs ({}), {} checkpoints, {} receipts in {:.1} s.\n\
             The simulated backend cosigned with {}\n\
             Check it with: paraakh verify {}\n",
            summary.session_id,
            args.out.display(),
            crate::render::thousands(summary.records),
            crate::render::thousands(summary.blobs),
            crate::render::bytes(summary.blob_bytes),
            summary.checkpoints,
            summary.receipts,
            secs,
            summary.backend_key,
            args.out.display(),
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
