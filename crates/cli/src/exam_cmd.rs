//! `paraakh sign exam` and `paraakh exam show`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use paraakh_evidence::Clock as _;
use paraakh_evidence::keys::{NoteSigner, NoteVerifier, SIG_TYPE_ED25519, TenantPublicKey};
use paraakh_policy::exam::{ExamPackage, ExamSource, sign_exam};

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The exam directory: exam.toml and the signed policy it names.
    dir: PathBuf,
    /// The tenant's signing key (signing.key); it must also have signed the policy.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The tenant's evidence encryption key (encryption.pub).
    #[arg(long, value_name = "FILE")]
    encryption_key: PathBuf,
    /// A start code the proctor will read out; `generate` makes one.
    /// Without it the content key comes only from the backend.
    #[arg(long, value_name = "CODE")]
    start_code: Option<String>,
    /// Where to write the package (default: DIR/<exam id>.paraakh-exam).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print one JSON document (package, content_key_file, start_code, ...; problems when refused).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The exam package.
    package: PathBuf,
    /// The tenant's signing key(s) to trust (signing.pub).
    #[arg(long, value_name = "FILE", required = true)]
    trust: Vec<PathBuf>,
    /// The tenant this installation serves the exam for.
    #[arg(long, value_name = "ID")]
    tenant: String,
    /// Unlock with this start code and show the questions (checks the exam's time window).
    #[arg(long, value_name = "CODE")]
    start_code: Option<String>,
    /// Check the window against this POSIX time instead of now.
    #[arg(long, hide = true)]
    now: Option<i64>,
    /// Print one JSON document (valid, exam_id, ..., content; error when refused).
    #[arg(long)]
    json: bool,
}

fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))
}

pub(crate) fn sign(args: SignArgs) -> anyhow::Result<ExitCode> {
    let source_path = args.dir.join("exam.toml");
    let source: ExamSource = toml::from_str(&read_text(&source_path, "exam")?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", source_path.display()))?;
    let policy_path = args.dir.join(&source.policy);
    let policy = std::fs::read(&policy_path).with_context(|| {
        format!(
            "cannot read the signed policy {} (exam.toml names it)",
            policy_path.display()
        )
    })?;
    let key = NoteSigner::parse(read_text(&args.key, "signing key")?.trim()).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (pass the tenant's signing.key)",
            args.key.display()
        )
    })?;
    if key.sig_type() != SIG_TYPE_ED25519 {
        bail!("{} is not a tenant signing key", args.key.display());
    }
    let evidence = TenantPublicKey::parse(
        read_text(&args.encryption_key, "encryption key")?.trim(),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (pass the tenant's encryption.pub)",
            args.encryption_key.display()
        )
    })?;
    let code = args
        .start_code
        .map(|c| if c == "generate" { None } else { Some(c) });
    let packaged = match sign_exam(&source, &policy, &evidence, &key, code) {
        Ok(p) => p,
        Err(e) => {
            crate::render::refusal(&format!("not packaged: {e}"));
            if args.json {
                crate::render::print_json(&serde_json::json!({
                    "valid": false,
                    "dir": args.dir,
                    "problems": [{"path": "", "message": e.to_string()}],
                }))?;
            }
            return Ok(ExitCode::from(1));
        }
    };
    let out = args
        .out
        .unwrap_or_else(|| args.dir.join(format!("{}.paraakh-exam", source.id)));
    crate::render::write_atomic(&out, &packaged.package)?;
    let mut key_file = out.clone().into_os_string();
    key_file.push(".content-key");
    let key_file = PathBuf::from(key_file);
    crate::render::write_secret(
        &key_file,
        &format!("{}\n", hex(packaged.content_key.as_ref())),
    )?;
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "valid": true,
            "package": out,
            "content_key_file": key_file,
            "exam_id": source.id,
            "title": source.title,
            "questions": source.questions.len(),
            "start_code": packaged.start_code,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "Packaged {:?} ({} questions) into {}\n\
         The content key for your backend is in {} (keep it secret; it unlocks the exam).\n",
        source.title,
        source.questions.len(),
        out.display(),
        key_file.display()
    );
    if let Some(code) = &packaged.start_code {
        text.push_str(&format!(
            "Start code for the proctor to read out at the start: {code}\n"
        ));
    }
    crate::render::out(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn utc(secs: i64) -> String {
    paraakh_evidence::clock::format_utc(secs.saturating_mul(1_000_000_000))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The tenant's signing keys (signing.pub files).
pub(crate) fn read_trusted(paths: &[PathBuf]) -> anyhow::Result<Vec<NoteVerifier>> {
    paths
        .iter()
        .map(|p| {
            NoteVerifier::parse(read_text(p, "trusted key")?.trim()).map_err(|e| {
                anyhow::anyhow!("{}: {e} (pass the tenant's signing.pub)", p.display())
            })
        })
        .collect()
}

pub(crate) fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.package)
        .with_context(|| format!("cannot read {}", args.package.display()))?;
    let trusted = read_trusted(&args.trust)?;
    let pkg = match ExamPackage::verify(&bytes, &trusted, &args.tenant) {
        Ok(p) => p,
        Err(e) => return refused(&args, &e.to_string()),
    };
    let now = args
        .now
        .unwrap_or_else(|| paraakh_evidence::SystemClock.now().utc_ns / 1_000_000_000);
    let content = match &args.start_code {
        None => None,
        Some(code) => match pkg.unlock_with_code(code, now) {
            Ok(c) => Some(c),
            Err(e) => return refused(&args, &e.to_string()),
        },
    };
    let m = &pkg.manifest;
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "valid": true,
            "exam_id": m.exam_id, "tenant": m.tenant, "title": m.title,
            "opens_at": m.opens_at, "closes_at": m.closes_at, "duration_minutes": m.duration_minutes,
            "policy": pkg.policy.name, "policy_sha256": m.policy_sha256,
            "content": content,
        }))?;
    } else {
        let mut text = format!(
            "Exam {:?} ({}) for tenant {}: signed by a trusted key and intact.\n\
             Opens {} for {} minutes, closes {}. Policy: {:?} ({}).\n",
            m.title,
            m.exam_id,
            m.tenant,
            utc(m.opens_at),
            m.duration_minutes,
            utc(m.closes_at),
            pkg.policy.name,
            &m.policy_sha256[..16]
        );
        match content {
            None => text.push_str(
                "The questions stay encrypted until the start (pass --start-code to unlock).\n",
            ),
            Some(c) => {
                text.push_str(&format!("Unlocked: {} questions.\n", c.questions.len()));
                for q in &c.questions {
                    text.push_str(&format!("  {} [{}] {}\n", q.id, q.kind, q.prompt));
                }
            }
        }
        crate::render::out(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The verdict on a package that is not trusted, altered, not for this
/// tenant, or does not open with the code: the result of the check, on
/// stdout; exit 1.
fn refused(args: &ShowArgs, error: &str) -> anyhow::Result<ExitCode> {
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "valid": false,
            "package": args.package,
            "error": error,
        }))?;
    } else {
        crate::render::out(&format!("{}: {error}\n", args.package.display()))?;
    }
    Ok(ExitCode::from(1))
}
