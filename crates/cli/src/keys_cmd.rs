//! `paraakh keys generate` (a tenant's key set) and `paraakh keys device`
//! (this installation's device key, as a backend binds it).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use paraakh_evidence::keys::{
    NoteSigner, SIG_TYPE_ED25519, TenantSecretKey, create_private, load_or_create_signer,
    valid_key_name,
};

#[derive(Debug, Args)]
pub(crate) struct DeviceArgs {
    /// The device key file (made there if missing; default: this installation's, in its data directory).
    #[arg(long, value_name = "FILE")]
    device_key: Option<PathBuf>,
    /// Print one JSON document (device_key, public_key, created).
    #[arg(long)]
    json: bool,
}

/// The installation's data directory: the managed configuration's, else
/// this user's (`paraakh_policy::config::default_data_home`, as the app).
pub(crate) fn default_data_dir() -> PathBuf {
    let fallback = paraakh_policy::config::default_data_home();
    paraakh_policy::config::InstallConfig::load(
        Path::new(paraakh_policy::config::MANAGED_CONFIG),
        None,
        &fallback,
    )
    .map(|c| c.data_dir)
    .unwrap_or(fallback)
}

/// Prints the verifier key of a device key: what a join sends, and what an
/// exam centre registers with `paraakh ingest token --device-public-key` for a
/// computer it manages.
pub(crate) fn device(args: DeviceArgs) -> anyhow::Result<ExitCode> {
    let path = args
        .device_key
        .unwrap_or_else(|| default_data_dir().join("device.key"));
    let (key, made) = load_or_create_signer(&path, "paraakh-device", SIG_TYPE_ED25519)
        .with_context(|| format!("cannot use the device key {}", path.display()))?;
    if made {
        crate::render::note(&format!("made the device key {}", path.display()));
    }
    let public = key.verifier().encode();
    if args.json {
        crate::render::print_json(&serde_json::json!({
            "device_key": path,
            "public_key": public,
            "created": made,
        }))?;
    } else {
        crate::render::out(&format!("{public}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Directory to write the key set into (created if missing; existing keys are never overwritten).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Key name, usually the tenant's domain and purpose (no spaces or '+').
    #[arg(long, value_name = "NAME", default_value = "tenant.paraakh.example")]
    name: String,
    /// Print the written paths and public keys as JSON.
    #[arg(long)]
    json: bool,
}

/// Writes a new file that must not exist yet; secret files are readable by the owner only.
pub(crate) fn write_new(path: &Path, contents: &str, secret: bool) -> anyhow::Result<()> {
    let text = format!("{contents}\n");
    let written = if secret {
        create_private(path, text.as_bytes())
    } else {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
    };
    written.with_context(|| {
        format!(
            "cannot create {}; if a key set is already there, keep it or choose another --out directory",
            path.display()
        )
    })
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
