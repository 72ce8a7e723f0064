//! `paraakh session simulate`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use paraakh_evidence::record::{ClientInfo, HexHash};
use paraakh_evidence::simulate::{SimulateOptions, simulate};
use paraakh_evidence::{Clock, SystemClock, TenantPublicKey, TenantSecretKey};

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// Directory to record into (must not hold a session).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Event records (a 3-hour exam is about 50,000 records).
    #[arg(long, default_value_t = 200)]
    events: u64,
    /// Encrypted media blobs (webcam snapshots, screen captures, voice clips).
    #[arg(long, default_value_t = 10)]
    blobs: u64,
    /// Blob plaintext size in bytes, or a range MIN-MAX.
    #[arg(long, default_value = "20000-120000", value_parser = parse_range)]
    blob_size: (u64, u64),
    /// Questions answered and submitted.
    #[arg(long, default_value_t = 5)]
    questions: u64,
    /// Seed for what is recorded (keys are always fresh).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Tenant encryption key to encrypt to (encryption.pub, or encryption.key).
    /// Without it a throwaway key is used and nobody can decrypt the blobs.
    #[arg(long, value_name = "FILE")]
    tenant_key: Option<PathBuf>,
    /// Records between checkpoints (64 records are about 13 s of a simulated exam).
    #[arg(long, default_value_t = 64)]
    checkpoint_every: u64,
    /// Receipts arrive this many checkpoints late (the last ones stay client-attested only).
    #[arg(long, default_value_t = 1)]
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
    #[arg(long, default_value = "demo-tenant")]
    tenant: String,
    /// Exam id recorded in the header.
    #[arg(long, default_value = "demo-exam")]
    exam: String,
    /// Session id (default: sim-<seed>).
    #[arg(long)]
    session_id: Option<String>,
}

fn parse_range(s: &str) -> Result<(u64, u64), String> {
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

/// SHA-256 of the running executable: the client build hash recorded in the header.
pub(crate) fn own_build_hash() -> anyhow::Result<HexHash> {
    let exe = std::env::current_exe().context("cannot find the running executable")?;
    let bytes = std::fs::read(&exe).with_context(|| format!("cannot read {}", exe.display()))?;
    Ok(HexHash(paraakh_evidence::merkle::sha256(&bytes)))
}

pub(crate) fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    if args.checkpoint_every == 0 {
        bail!("--checkpoint-every must be at least 1");
    }
    let tenant = match &args.tenant_key {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            TenantPublicKey::parse(&text)
                .with_context(|| format!("{} is not a tenant encryption key", path.display()))?
        }
        None => {
            crate::render::note(
                "no --tenant-key: blobs and answers are encrypted to a throwaway key, so verify can check \
                 their hashes but nobody can decrypt them (make a key set with `paraakh keys generate`)",
            );
            TenantSecretKey::generate("throwaway.paraakh.example")?.public()
        }
    };
    let mut opts = SimulateOptions::new(tenant, SystemClock.now().utc_ns);
    opts.events = args.events;
    opts.blobs = args.blobs;
    opts.blob_size = args.blob_size;
    opts.questions = args.questions;
    opts.seed = args.seed;
    opts.checkpoint_every = args.checkpoint_every;
    opts.receipt_lag = args.receipt_lag;
    opts.clock_jump = !args.no_clock_jump;
    opts.offline = args.offline;
    opts.tenant_id = args.tenant;
    opts.exam_id = args.exam;
    opts.session_id = args.session_id;
    opts.client = ClientInfo {
        version: concat!("paraakh ", env!("CARGO_PKG_VERSION")).to_owned(),
        build_sha256: own_build_hash()?,
    };
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
    } else if args.offline {
        crate::render::out(&format!(
            "Recorded session {} offline in {}: {} records, {} blobs ({}), {} checkpoints, no receipts yet.\n\
             Upload it with: paraakh sync {} --server URL --tokens FILE\n",
            summary.session_id,
            args.out.display(),
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
