//! The backend's own keys, kept in its data directory:
//!
//! ```text
//! DATA/backend.key              cosigning key (C2SP type 0x04): signs receipts
//! DATA/backend.pub              its verifier key, pinned by clients and auditors
//! DATA/tenants/<t>/token.key    Ed25519 key that issues and checks tenant t's tokens
//! DATA/tenants/<t>/encryption.pub   the tenant's evidence key: sessions must be encrypted to it
//! DATA/store/                   the object store when no --store URL is given
//! ```
//!
//! The reference backend issues its own tokens; a production backend would
//! take the tenant's identity provider's keys instead.

use std::fs;
use std::path::{Path, PathBuf};

use paraakh_evidence::keys::{
    NoteSigner, SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519, TenantPublicKey, create_private,
};
use paraakh_evidence::layout;
use paraakh_policy::jwt::{JwtKey, ed25519_key};

use crate::IngestError;

/// Audience of the tokens the backend accepts.
pub const AUDIENCE: &str = "paraakh-ingest";

/// One tenant's token key.
#[derive(Debug)]
pub struct TenantAuth {
    /// Tenant id.
    pub tenant: String,
    /// Issues tokens.
    pub signer: NoteSigner,
    /// Checks tokens (pinned form of `signer`).
    pub key: JwtKey,
    /// The tenant's evidence encryption key, when configured: a session
    /// encrypted to any other key is refused.
    pub encryption_key: Option<TenantPublicKey>,
}

/// Everything the backend signs and checks with.
#[derive(Debug)]
pub struct BackendKeys {
    /// Cosigns checkpoints.
    pub cosigner: NoteSigner,
    /// Tenants this backend serves.
    pub tenants: Vec<TenantAuth>,
}

fn config_err(what: &str, path: &Path, e: impl std::fmt::Display) -> IngestError {
    IngestError::Config(format!("{what} {}: {e}", path.display()))
}

fn write_secret(path: &Path, text: &str) -> Result<(), IngestError> {
    create_private(path, format!("{text}\n").as_bytes())
        .map_err(|e| config_err("cannot create", path, e))
}

fn read_signer(path: &Path, sig_type: u8) -> Result<NoteSigner, IngestError> {
    let text = fs::read_to_string(path).map_err(|e| {
        config_err(
            "cannot read",
            path,
            format!("{e}; run `paraakh ingest init --data-dir DIR` first"),
        )
    })?;
    let signer = NoteSigner::parse(text.trim()).map_err(|e| config_err("bad key in", path, e))?;
    if signer.sig_type() != sig_type {
        return Err(config_err(
            "wrong key type in",
            path,
            format!("expected type {sig_type:#04x}"),
        ));
    }
    Ok(signer)
}

fn token_issuer(tenant: &str) -> String {
    format!("paraakh-ingest/{tenant}")
}

/// The key id of a tenant's token key.
pub fn token_kid(tenant: &str) -> String {
    format!("{tenant}-1")
}

impl BackendKeys {
    /// Creates the backend key (if missing) and a token key for each tenant
    /// not yet known; with `encryption_key`, records it as each given
    /// tenant's evidence key. Returns the backend's verifier key.
    pub fn init(
        data: &Path,
        name: &str,
        tenants: &[String],
        encryption_key: Option<&TenantPublicKey>,
    ) -> Result<String, IngestError> {
        fs::create_dir_all(data).map_err(|e| config_err("cannot create", data, e))?;
        let key_path = data.join("backend.key");
        if !key_path.exists() {
            let signer = NoteSigner::generate(name, SIG_TYPE_COSIGNATURE_V1)
                .map_err(|e| IngestError::Config(e.to_string()))?;
            write_secret(&key_path, &signer.encode())?;
            let pub_path = data.join("backend.pub");
            fs::write(&pub_path, format!("{}\n", signer.verifier().encode()))
                .map_err(|e| config_err("cannot write", &pub_path, e))?;
        }
        for tenant in tenants {
            if !layout::valid_id(tenant) {
                return Err(IngestError::Config(format!(
                    "{tenant:?} is not a tenant id (letters, digits, '.', '_', '-')"
                )));
            }
            let dir = data.join("tenants").join(tenant);
            fs::create_dir_all(&dir).map_err(|e| config_err("cannot create", &dir, e))?;
            let path = dir.join("token.key");
            if !path.exists() {
                let signer = NoteSigner::generate(&token_issuer(tenant), SIG_TYPE_ED25519)
                    .map_err(|e| IngestError::Config(e.to_string()))?;
                write_secret(&path, &signer.encode())?;
            }
            if let Some(key) = encryption_key {
                let path = dir.join("encryption.pub");
                fs::write(&path, format!("{}\n", key.encode()))
                    .map_err(|e| config_err("cannot write", &path, e))?;
            }
        }
        Ok(read_signer(&key_path, SIG_TYPE_COSIGNATURE_V1)?
            .verifier()
            .encode())
    }

    /// Loads the keys from `data`.
    pub fn load(data: &Path) -> Result<Self, IngestError> {
        let cosigner = read_signer(&data.join("backend.key"), SIG_TYPE_COSIGNATURE_V1)?;
        let mut tenants = Vec::new();
        let dir = data.join("tenants");
        if let Ok(entries) = fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let tenant = entry.file_name().to_string_lossy().into_owned();
                let path: PathBuf = entry.path().join("token.key");
                if !layout::valid_id(&tenant) || !path.exists() {
                    continue;
                }
                let signer = read_signer(&path, SIG_TYPE_ED25519)?;
                let key = ed25519_key(&token_kid(&tenant), &token_issuer(&tenant), &signer);
                let enc_path = entry.path().join("encryption.pub");
                let encryption_key = match fs::read_to_string(&enc_path) {
                    Ok(text) => Some(
                        TenantPublicKey::parse(text.trim())
                            .map_err(|e| config_err("bad key in", &enc_path, e))?,
                    ),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => return Err(config_err("cannot read", &enc_path, e)),
                };
                tenants.push(TenantAuth {
                    tenant,
                    signer,
                    key,
                    encryption_key,
                });
            }
        }
        tenants.sort_by(|a, b| a.tenant.cmp(&b.tenant));
        Ok(Self { cosigner, tenants })
    }

    /// The tenant whose key has `kid`.
    pub fn tenant_by_kid(&self, kid: &str) -> Option<&TenantAuth> {
        self.tenants.iter().find(|t| t.key.kid == kid)
    }

    /// A tenant by id.
    pub fn tenant(&self, tenant: &str) -> Option<&TenantAuth> {
        self.tenants.iter().find(|t| t.tenant == tenant)
    }
}
