//! `paraakh policy show`, `paraakh policy proctor-code` and `paraakh sign policy`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use paraakh_evidence::keys::{NoteSigner, NoteVerifier, SIG_TYPE_ED25519};
use paraakh_evidence::merkle::sha256;
use paraakh_evidence::record::to_hex;
use paraakh_policy::envelope::{Envelope, LAUNCH_TYPE, POLICY_TYPE, keyid};
use paraakh_policy::{PolicyError, describe, load};

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// A policy file (TOML), or a signed policy (DSSE envelope).
    file: PathBuf,
    /// The tenant signing key(s) to trust for a signed policy (signing.pub).
    #[arg(long, value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The file (TOML) to sign: a policy (`sign policy`) or a launch file (`sign launch`).
    file: PathBuf,
    /// The signing key (the tenant's, or a centre's: signing.key from `paraakh keys generate`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Where to write the signed file (default: FILE.signed).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print one JSON document (valid, out, signed_by, ...; problems when refused).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ProctorCodeArgs {
    /// Hash the code on the first line of stdin instead of making a new one.
    #[arg(long)]
    code_stdin: bool,
    /// Print one JSON document ({"code", "unlock_code"}).
    #[arg(long)]
    json: bool,
}

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

fn trusted_keys(paths: &[PathBuf]) -> anyhow::Result<Vec<NoteVerifier>> {
    paths
        .iter()
        .map(|p| {
            let text = String::from_utf8(read(p, "trusted key")?)
                .with_context(|| format!("{} is not a text key file", p.display()))?;
            NoteVerifier::parse(text.trim())
                .and_then(|v| v.require_type(SIG_TYPE_ED25519))
                .map_err(|e| {
                    anyhow::anyhow!("{}: {e} (pass the tenant's signing.pub)", p.display())
                })
        })
        .collect()
}

fn problems_json(e: &PolicyError) -> serde_json::Value {
    match e {
        PolicyError::Invalid(problems) => serde_json::Value::Array(
            problems
                .iter()
                .map(|p| serde_json::json!({"path": p.path, "message": p.message}))
                .collect(),
        ),
        other => serde_json::json!([{"path": "", "message": other.to_string()}]),
    }
}

/// A policy file's text: the file itself, or the payload of a signed policy
/// checked against the `trust`ed keys (with the key id that signed it).
/// `Err` says what is wrong with the file.
/// The exam's policy as commands take it: a file (signed or not) or a preset.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PolicyArgs {
    /// The exam's policy: a TOML file or a signed policy (then --trust).
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    pub(crate) policy: Option<PathBuf>,
    /// The tenant signing key(s) to trust for a signed policy.
    #[arg(long, value_name = "FILE")]
    pub(crate) trust: Vec<PathBuf>,
    /// Use a preset instead: strict, standard, lenient or practice.
    #[arg(long, value_name = "NAME", default_value = "standard")]
    pub(crate) preset: String,
}

// The auditor's build (no capture, no sync) has no command that takes a policy this way.
#[cfg_attr(not(any(feature = "check", feature = "sync")), allow(dead_code))]
impl PolicyArgs {
    /// The policy text and where it came from.
    pub(crate) fn text(&self) -> anyhow::Result<(String, String)> {
        Ok(match &self.policy {
            Some(file) => match policy_text(file, &self.trust)? {
                Ok((text, _signed_by)) => (text, file.display().to_string()),
                Err(msg) => anyhow::bail!("{msg}"),
            },
            None => {
                let text = paraakh_policy::presets::text(&self.preset).with_context(|| {
                    format!(
                        "no preset \"{}\": use strict, standard, lenient or practice",
                        self.preset
                    )
                })?;
                (text.to_owned(), format!("preset {}", self.preset))
            }
        })
    }

    /// The effective policy.
    pub(crate) fn load(&self) -> anyhow::Result<paraakh_policy::Policy> {
        let (text, origin) = self.text()?;
        paraakh_policy::parse(&text).with_context(|| format!("{origin} is not a valid policy"))
    }
}

pub(crate) fn policy_text(
    file: &Path,
    trust: &[PathBuf],
) -> anyhow::Result<Result<(String, Option<String>), String>> {
    let bytes = read(file, "policy")?;
    let signed = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let mut signed_by = None;
    let payload = if signed {
        if trust.is_empty() {
            bail!(
                "{} is a signed policy; pass --trust with the tenant's signing.pub to check who signed it",
                file.display()
            );
        }
        let trusted = trusted_keys(trust)?;
        let checked = Envelope::parse(&bytes).and_then(|env| {
            env.verify(POLICY_TYPE, &trusted)?;
            Ok(env)
        });
        match checked {
            Ok(env) => {
                signed_by = env
                    .signatures
                    .iter()
                    .find(|s| trusted.iter().any(|t| keyid(t) == s.keyid))
                    .map(|s| s.keyid.clone());
                env.payload
            }
            Err(e) => return Ok(Err(format!("{}: {e}", file.display()))),
        }
    } else {
        bytes
    };
    Ok(String::from_utf8(payload)
        .map(|t| (t, signed_by))
        .map_err(|_| "the policy is not UTF-8 text".to_owned()))
}

pub(crate) fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let (text, signed_by) = match policy_text(&args.file, &args.trust)? {
        Ok(found) => found,
        Err(msg) => {
            return refuse(
                &args,
                &msg,
                serde_json::json!([{"path": "", "message": msg}]),
            );
        }
    };
    let loaded = match load(&text) {
        Ok(l) => l,
        Err(e) => {
            return refuse(
                &args,
                &format!("{}: {e}", args.file.display()),
                problems_json(&e),
            );
        }
    };
    let hash = to_hex(&sha256(&loaded.policy.canonical_json()));
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "valid": true,
            "file": args.file,
            "signed_by": signed_by,
            "sha256": hash,
            "set_by_file": loaded.set_by_file,
            "policy": loaded.policy,
        }))?;
    } else {
        let mut out = describe(&loaded);
        match &signed_by {
            Some(k) => out.push_str(&format!("\nSigned by {k}.")),
            None => out.push_str("\nNot signed: sign it with `paraakh sign policy` before use."),
        }
        out.push_str(&format!("\nSHA-256 of the effective policy: {hash}\n"));
        crate::render::out(&out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn refuse(args: &ShowArgs, message: &str, problems: serde_json::Value) -> anyhow::Result<ExitCode> {
    if args.json {
        crate::render::print_json(
            &serde_json::json!({"valid": false, "file": args.file, "problems": problems}),
        )?;
    } else {
        crate::render::out(&format!("{message}\n"))?;
    }
    Ok(ExitCode::from(1))
}

pub(crate) fn sign(args: SignArgs) -> anyhow::Result<ExitCode> {
    let bytes = read(&args.file, "policy")?;
    let text = String::from_utf8(bytes.clone())
        .with_context(|| format!("{} is not UTF-8 text", args.file.display()))?;
    let loaded = match load(&text) {
        Ok(l) => l,
        Err(e) => {
            return not_signed(
                &args,
                &format!("{}: {e}", args.file.display()),
                problems_json(&e),
            );
        }
    };
    let key = signing_key(&args.key, "the tenant's signing.key")?;
    let out = write_signed(&args, POLICY_TYPE, bytes, &key)?;
    let hash = to_hex(&sha256(&loaded.policy.canonical_json()));
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "valid": true,
            "file": args.file,
            "out": out,
            "name": loaded.policy.name,
            "signed_by": keyid(&key.verifier()),
            "sha256": hash,
        }))?;
    } else {
        crate::render::out(&format!(
            "Signed {:?} with {} into {}\nSHA-256 of the effective policy: {hash}\n",
            loaded.policy.name,
            keyid(&key.verifier()),
            out.display(),
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A file `sign policy` or `sign launch` refuses: why on stderr (and as
/// JSON on stdout with `--json`), exit 1.
fn not_signed(
    args: &SignArgs,
    message: &str,
    problems: serde_json::Value,
) -> anyhow::Result<ExitCode> {
    crate::render::refusal(&format!("not signed: {message}"));
    if args.json {
        crate::render::print_json(
            &serde_json::json!({"valid": false, "file": args.file, "problems": problems}),
        )?;
    }
    Ok(ExitCode::from(1))
}

fn signing_key(path: &Path, what: &str) -> anyhow::Result<NoteSigner> {
    let key_text =
        String::from_utf8(read(path, "signing key")?).context("the signing key is not text")?;
    let key = NoteSigner::parse(key_text.trim())
        .map_err(|e| anyhow::anyhow!("{}: {e} (pass {what})", path.display()))?;
    if key.sig_type() != SIG_TYPE_ED25519 {
        bail!("{} is not a signing key (pass {what})", path.display());
    }
    Ok(key)
}

/// Writes `bytes` signed as `payload_type` to `--out` (default FILE.signed).
fn write_signed(
    args: &SignArgs,
    payload_type: &str,
    bytes: Vec<u8>,
    key: &NoteSigner,
) -> anyhow::Result<PathBuf> {
    let envelope = Envelope::sign(payload_type, bytes, key);
    let out = args.out.clone().unwrap_or_else(|| {
        let mut name = args.file.clone().into_os_string();
        name.push(".signed");
        PathBuf::from(name)
    });
    crate::render::write_atomic(&out, envelope.to_json().as_bytes())?;
    Ok(out)
}

/// `paraakh sign launch`: a proctoring centre signs a launch file with its
/// key (one the machines' managed configuration lists in `centre_keys`), so
/// the app accepts the settings in it that differ from the exam's policy.
pub(crate) fn sign_launch(args: SignArgs) -> anyhow::Result<ExitCode> {
    let bytes = read(&args.file, "launch file")?;
    let text = std::str::from_utf8(&bytes)
        .with_context(|| format!("{} is not UTF-8 text", args.file.display()))?;
    if let Err(e) = toml::from_str::<toml::Table>(text) {
        let message = format!("{} is not a TOML launch file: {e}", args.file.display());
        let problems = serde_json::json!([{"path": "", "message": e.to_string()}]);
        return not_signed(&args, &message, problems);
    }
    let key = signing_key(&args.key, "the centre's signing key")?;
    let out = write_signed(&args, LAUNCH_TYPE, bytes, &key)?;
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "valid": true,
            "file": args.file,
            "out": out,
            "signed_by": keyid(&key.verifier()),
            "key_name": key.name(),
            "centre_key": key.verifier().encode(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::render::out(&format!(
        "Signed the launch file {} with {} ({}) into {}\nThe machines accept it when their managed configuration lists this key in centre_keys:\n  centre_keys = [\"{}\"]\n",
        args.file.display(),
        key.name(),
        keyid(&key.verifier()),
        out.display(),
        key.verifier().encode()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// A proctor code for the policy: only its Argon2id hash goes into the
/// policy; the code itself is printed once (or was typed) and kept nowhere.
pub(crate) fn proctor_code(args: ProctorCodeArgs) -> anyhow::Result<ExitCode> {
    let code = if args.code_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the code from stdin")?;
        line.trim().to_owned()
    } else {
        paraakh_policy::exam::new_start_code()?
    };
    let hash = paraakh_policy::proctor::ProctorCodeHash::new(&code)
        .map_err(|e| anyhow::anyhow!("{e}; nothing was written"))?
        .to_string();
    let shown = (!args.code_stdin).then_some(code);
    if args.json {
        crate::render::print_json(&serde_json::json!({"code": shown, "unlock_code": hash}))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    if let Some(code) = &shown {
        out.push_str(&format!(
            "Proctor code: {code}\nGive it to your proctors; it is not stored anywhere, only its hash below.\n\n"
        ));
    }
    out.push_str(&format!(
        "Add to the exam's policy, then sign it again:\n\n[proctor]\nunlock_code = {hash:?}\n\
         resume_needs_code = true   # an interrupted exam waits for the proctor (false: it goes on by itself)\n\
         # resume_free_minutes = 5  # ... unless it was stopped for less than this\n"
    ));
    crate::render::out(&out)?;
    Ok(ExitCode::SUCCESS)
}
