//! `paraakh review`: the reviewer's report of a session (one HTML page, or
//! JSON), and `review decide` / `review key`: signed decisions and the
//! reviewer's own key.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use paraakh_evidence::keys::{NoteSigner, NoteVerifier, SIG_TYPE_ED25519, valid_key_name};
use paraakh_evidence::review::{NewDecision, Verdict};
use paraakh_evidence::{Status, TenantSecretKey, VerifyOptions};
use paraakh_review::html::{DecisionMode, PageOptions};

use crate::verify_cmd::{read_backend_key, read_key};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct ReviewCommand {
    #[command(subcommand)]
    command: Option<ReviewSub>,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(Debug, Subcommand)]
enum ReviewSub {
    /// Record a signed decision on an event in the session's review log (confirmed, dismissed, second-review).
    Decide(DecideArgs),
    /// Make a reviewer's signing key (the secret FILE and FILE.pub beside it).
    Key(KeyArgs),
    /// Check a tenant's access log saved from the backend (GET /v1/access-log pages): the chain from the first entry and the backend's cosigned checkpoints.
    AccessLog(AccessLogArgs),
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// The session directory (as recorded, or as exported by the backend).
    #[arg(required = true)]
    dir: Option<PathBuf>,
    /// The tenant's encryption secret key (encryption.key): the evidence is decrypted into the page.
    #[arg(long, value_name = "FILE", required = true)]
    tenant_key: Option<PathBuf>,
    /// The backend's cosigning key you trust (a vkey file): only it makes evidence witnessed.
    #[arg(long, value_name = "FILE")]
    backend_key: Option<PathBuf>,
    /// A reviewer key you trust (a .pub file; repeat for each): decisions by other keys are findings and not counted.
    #[arg(long, value_name = "FILE")]
    reviewer_key: Vec<PathBuf>,
    /// Accept evidence only the candidate's machine vouches for (the page still says which).
    #[arg(long)]
    accept_machine_attested: bool,
    /// How long a record may wait for the backend's receipt and still count as witnessed.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = crate::grammar::duration)]
    max_receipt_delay: Duration,
    /// Write the report as one self-contained HTML page here.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the report as one JSON document (without the media).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct DecideArgs {
    /// The session directory.
    dir: PathBuf,
    /// The event record decided on (its number, as the report shows it).
    #[arg(long, value_name = "SEQ")]
    event: u64,
    /// The decision.
    #[arg(long, value_name = "VERDICT", value_parser = ["confirmed", "dismissed", "second-review", "second_review"])]
    verdict: String,
    /// Why, in your words (plain text, at most 4000 bytes).
    #[arg(long, value_name = "TEXT", default_value = "")]
    note: String,
    /// Your reviewer signing key, the secret one (made by `paraakh review key`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct KeyArgs {
    /// The reviewer's name as decisions show it, e.g. alice@acme.example (no spaces or '+').
    #[arg(long, value_name = "NAME")]
    name: String,
    /// The secret key file to make (FILE.pub is written beside it); never overwritten.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print the paths and the public key as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct AccessLogArgs {
    /// The saved pages (JSON as GET /v1/access-log returns them), every page from from=0.
    #[arg(required = true)]
    pages: Vec<PathBuf>,
    /// The backend's cosigning key you trust (a vkey file, backend.pub).
    #[arg(long, value_name = "FILE")]
    backend_key: PathBuf,
    /// Print one JSON document (tenant, entries, refused, by_action, head, checkpoints_verified, vouched_size, first_at, last_at, problems, intact).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: ReviewCommand) -> anyhow::Result<ExitCode> {
    match cmd.command {
        Some(ReviewSub::Decide(args)) => decide(args),
        Some(ReviewSub::Key(args)) => key(args),
        Some(ReviewSub::AccessLog(args)) => access_log(args),
        None => report(cmd.report),
    }
}

pub(crate) fn reviewer_verifier(path: &Path) -> anyhow::Result<NoteVerifier> {
    read_key(path, "reviewer public key", |t| {
        NoteVerifier::parse(t).and_then(|v| v.require_type(SIG_TYPE_ED25519))
    })
}

fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    // clap requires both unless a subcommand is given.
    let (Some(dir), Some(tenant_key)) = (args.dir, args.tenant_key) else {
        bail!("give the session directory and --tenant-key FILE");
    };
    if args.out.is_none() && !args.json {
        bail!("say where the report goes: --out report.html, or --json to print it");
    }
    let tenant = read_key(
        &tenant_key,
        "tenant encryption secret key",
        TenantSecretKey::parse,
    )?;
    let opts = VerifyOptions {
        backend_key: args
            .backend_key
            .as_deref()
            .map(read_backend_key)
            .transpose()?,
        reviewer_keys: args
            .reviewer_key
            .iter()
            .map(|p| reviewer_verifier(p))
            .collect::<anyhow::Result<_>>()?,
        accept_machine_attested: args.accept_machine_attested,
        max_receipt_delay: Some(args.max_receipt_delay),
        ..VerifyOptions::default()
    };
    let review = paraakh_review::build(&dir, Some(tenant), opts)?;
    if let Some(out) = &args.out {
        let page = paraakh_review::html::render(
            &review,
            &PageOptions {
                dir: dir.display().to_string(),
                decisions: DecisionMode::Command,
                generator: format!("paraakh {}", env!("CARGO_PKG_VERSION")),
            },
        );
        crate::render::write_atomic(out, page.as_bytes())
            .with_context(|| format!("cannot write the report {}", out.display()))?;
        if !args.json {
            crate::render::out(&format!(
                "Report written to {} ({}): {} events, {} decisions; {}\n",
                out.display(),
                crate::render::bytes(page.len() as u64),
                review.events.len(),
                review.verification.review.decisions.len(),
                outcome_words(&review)
            ))?;
        }
    }
    if args.json {
        crate::render::print_json(&review)?;
    }
    Ok(match review.verification.status {
        Status::Intact => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

fn outcome_words(r: &paraakh_review::SessionReview) -> String {
    use paraakh_evidence::verify::review::Outcome;
    let review = &r.verification.review;
    match review.outcome {
        Outcome::PendingReview => format!(
            "pending review ({} high or critical events without a decision)",
            review.pending.len()
        ),
        Outcome::Reviewed => "reviewed".into(),
        Outcome::NothingToReview => "nothing to review".into(),
    }
}

fn decide(args: DecideArgs) -> anyhow::Result<ExitCode> {
    let signer = read_key(&args.key, "reviewer signing key", NoteSigner::parse)?;
    if signer.sig_type() != SIG_TYPE_ED25519 {
        bail!(
            "{} is not a reviewer's signing key (make one with `paraakh review key`)",
            args.key.display()
        );
    }
    let verdict = Verdict::parse(&args.verdict)
        .with_context(|| format!("unknown verdict {:?}", args.verdict))?;
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let decided = paraakh_evidence::review::append(
        &args.dir,
        &signer,
        &NewDecision {
            event_seq: args.event,
            verdict,
            note: &args.note,
            time,
        },
    )?;
    let d = &decided.decision;
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "position": d.position,
            "event_seq": d.event_seq,
            "event_hash": paraakh_evidence::record::to_hex(&d.event_hash),
            "verdict": d.verdict,
            "reviewer": d.reviewer.name(),
            "reviewer_key": d.reviewer.encode(),
            "time": d.time,
        }))?;
    } else {
        crate::render::out(&format!(
            "Decision {} recorded: event {} {} by {}, signed with your key.\n",
            d.position,
            d.event_seq,
            d.verdict.as_str(),
            d.reviewer.name()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn key(args: KeyArgs) -> anyhow::Result<ExitCode> {
    if !valid_key_name(&args.name) {
        bail!(
            "the reviewer name {:?} must be non-empty and contain no spaces or '+'",
            args.name
        );
    }
    let public_path = {
        let mut p = args.out.clone().into_os_string();
        p.push(".pub");
        PathBuf::from(p)
    };
    if let Some(existing) = [&args.out, &public_path].into_iter().find(|p| p.exists()) {
        bail!(
            "{} already exists; a key is never overwritten. Keep it, or choose another --out",
            existing.display()
        );
    }
    let signer = NoteSigner::generate(&args.name, SIG_TYPE_ED25519)?;
    let public = signer.verifier().encode();
    crate::keys_cmd::write_new(&args.out, &signer.encode(), true)?;
    crate::keys_cmd::write_new(&public_path, &public, false)?;
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "name": args.name,
            "key": args.out,
            "public_key_file": public_path,
            "public_key": public,
        }))?;
    } else {
        crate::render::out(&format!(
            "Reviewer key for {} written to {} (keep it secret: it signs your decisions) and {} (give it to whoever checks decisions: paraakh verify --reviewer-key).\n",
            args.name,
            args.out.display(),
            public_path.display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn access_log(args: AccessLogArgs) -> anyhow::Result<ExitCode> {
    use paraakh_review::access_log::{AccessLogPage, check};
    let backend = read_backend_key(&args.backend_key)?;
    let pages = args
        .pages
        .iter()
        .map(|path| {
            let text = std::fs::read(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_slice::<AccessLogPage>(&text).with_context(|| {
                format!(
                    "{} is not a page of an access log (save the JSON of GET /v1/access-log as it comes)",
                    path.display()
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let checked = check(&pages, &backend);
    let intact = checked.intact();
    if args.json {
        let mut doc = serde_json::to_value(&checked)?;
        doc["intact"] = intact.into();
        crate::render::print_json(&doc)?;
    } else {
        let mut text = format!(
            "Access log of tenant {}: {} entries ({} refused)",
            checked.tenant, checked.entries, checked.refused
        );
        if let (Some(first), Some(last)) = (checked.first_at, checked.last_at) {
            let utc = |t: i64| paraakh_evidence::clock::format_utc(t.saturating_mul(1_000_000_000));
            text.push_str(&format!(", {} to {}", utc(first), utc(last)));
        }
        text.push_str(".\n");
        if intact {
            text.push_str(&format!(
                "Intact: the chain recomputes from the first entry, and the backend {} cosigned its head at {} entries.\n",
                backend.name(),
                checked.vouched_size
            ));
        } else {
            text.push_str("NOT intact:\n");
            for p in &checked.problems {
                text.push_str(&format!("  - {p}\n"));
            }
        }
        for (action, n) in &checked.by_action {
            text.push_str(&format!("  {action}: {n}\n"));
        }
        crate::render::out(&text)?;
    }
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
