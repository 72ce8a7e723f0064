//! `paraakh keys generate`.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_ED25519, TenantSecretKey, valid_key_name};

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Directory to write the key set into (created if missing; existing keys are never overwritten).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Key name, usually the tenant's domain and purpose (no spaces or '+').
    #[arg(long, default_value = "tenant.paraakh.example")]
    name: String,
    /// Print the written paths and public keys as JSON.
    #[arg(long)]
    json: bool,
}

/// Writes a new file that must not exist yet; secret files are readable by the owner only.
fn write_new(path: &Path, contents: &str, secret: bool) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if secret { 0o600 } else { 0o644 })
        .open(path)
        .with_context(|| {
            format!(
                "cannot create {}; if a key set is already there, keep it or choose another --out directory",
                path.display()
            )
        })?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

pub(crate) fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    if !valid_key_name(&args.name) {
        bail!(
            "the key name {:?} must be non-empty and contain no spaces or '+'",
            args.name
        );
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let files = [
        "signing.key",
        "signing.pub",
        "encryption.key",
        "encryption.pub",
    ]
    .map(|f| args.out.join(f));
    if let Some(existing) = files.iter().find(|p| p.exists()) {
        bail!(
            "{} already exists; a key set is never overwritten. Keep it, or choose another --out directory",
            existing.display()
        );
    }
    let signing = NoteSigner::generate(&args.name, SIG_TYPE_ED25519)?;
    let encryption = TenantSecretKey::generate(&args.name)?;
    let signing_pub = signing.verifier().encode();
    let encryption_pub = encryption.public().encode();
    write_new(&files[0], &signing.encode(), true)?;
    write_new(&files[1], &signing_pub, false)?;
    write_new(&files[2], &encryption.encode(), true)?;
    write_new(&files[3], &encryption_pub, false)?;

    if args.json {
        let doc = serde_json::json!({
            "dir": args.out,
            "name": args.name,
            "signing_key": files[0],
            "signing_public_key": signing_pub,
            "encryption_key": files[2],
            "encryption_public_key": encryption_pub,
        });
        crate::render::print_json(&doc)?;
    } else {
        crate::render::out(&format!(
            "Tenant key set {name} written to {dir}:\n\
             \x20 signing.key     keep secret: signs policies and exam packages\n\
             \x20 signing.pub     give to installations: they accept only what this key signed\n\
             \x20 encryption.key  keep secret, offline if you can: decrypts evidence (paraakh verify --tenant-key)\n\
             \x20 encryption.pub  give to installations: evidence is encrypted to it\n",
            name = args.name,
            dir = args.out.display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
