//! The installation's trust configuration: which tenants it serves and the
//! keys pinned for each. A proctoring centre deploys a managed file
//! (`/etc/paraakh/config.toml`, root-owned) that the candidate cannot
//! override; a candidate's own machine may add tenants in a user file.
//!
//! ```toml
//! lock = true                         # managed file only: ignore the user's file entirely
//! data_dir = "/var/lib/paraakh"
//! centre_keys = ["centre.example+9c8d7e6f+Ab..."]     # managed file only: keys whose signed launch files may change settings
//!
//! [tenants.acme-university]
//! name = "ACME University"
//! signing_keys = ["acme.example+1a2b3c4d+AcT..."]      # signing.pub: policies, exam packages, revocation lists
//! backend_url = "https://exams.acme.example"
//! backend_key = "ingest.acme.example+5e6f7a8b+BH..."   # receipts (cosignature key, type 0x04)
//! encryption_key = "paraakh-x25519-public-key+acme.example+..."
//! audience = "paraakh-client"
//! max_link_lifetime_days = 14
//!
//! [[tenants.acme-university.jwt_keys]]
//! kid = "2026-11"
//! issuer = "https://exams.acme.example"
//! jwk = { kty = "OKP", crv = "Ed25519", x = "..." }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use paraakh_keys::{NoteVerifier, SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519, TenantPublicKey};
use serde::Deserialize;

use crate::jwt::{JwtKey, PublicKey};
use crate::links::valid_tenant;

/// Where a managed installation keeps its configuration on Linux.
pub const MANAGED_CONFIG: &str = "/etc/paraakh/config.toml";

/// Where this user's data lives unless a managed configuration says
/// otherwise: `$XDG_DATA_HOME/paraakh`, else `~/.local/share/paraakh`, else
/// (a service with no home) `/var/lib/paraakh`. The app and the `paraakh`
/// command both start from here.
pub fn default_data_home() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })
        .unwrap_or_else(|| PathBuf::from("/var/lib"))
        .join("paraakh")
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file exists but cannot be read.
    #[error("cannot read the configuration {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid configuration.
    #[error("the configuration {path} is invalid:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<String>,
    },
}

/// Which file a tenant came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The managed (administrator's) file.
    Managed,
    /// The user's file.
    User,
}

/// What this installation trusts for one tenant.
#[derive(Debug, Clone)]
pub struct TenantTrust {
    /// Tenant id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Keys that sign policies, exam packages and revocation lists.
    pub signing_keys: Vec<NoteVerifier>,
    /// Keys that sign tokens.
    pub jwt_keys: Vec<JwtKey>,
    /// The audience tokens must name.
    pub audience: String,
    /// The backend, if the tenant has one.
    pub backend_url: Option<String>,
    /// The backend's cosigning key (receipts).
    pub backend_key: Option<NoteVerifier>,
    /// The key evidence is encrypted to.
    pub encryption_key: Option<TenantPublicKey>,
    /// Longest join-link lifetime accepted.
    pub max_link_lifetime_secs: i64,
    /// Where it was configured.
    pub source: Source,
}

/// The installation's configuration.
#[derive(Debug, Clone)]
pub struct InstallConfig {
    /// Where tenants' data lives.
    pub data_dir: PathBuf,
    /// Tenants by id.
    pub tenants: BTreeMap<String, TenantTrust>,
    /// A managed file locks the configuration.
    pub locked: bool,
    /// Keys of the proctoring centre (managed file only): a launch file
    /// signed by one may set what the signed policy does not (replayed
    /// sources, its own proctor code, no kiosk); unsigned ones may not.
    pub centre_keys: Vec<NoteVerifier>,
    /// What was ignored from the user's file, and why.
    pub ignored: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    lock: bool,
    data_dir: Option<PathBuf>,
    #[serde(default)]
    centre_keys: Vec<String>,
    #[serde(default)]
    tenants: BTreeMap<String, FileTenant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTenant {
    name: String,
    signing_keys: Vec<String>,
    #[serde(default)]
    jwt_keys: Vec<FileJwtKey>,
    audience: Option<String>,
    backend_url: Option<String>,
    backend_key: Option<String>,
    encryption_key: Option<String>,
    max_link_lifetime_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJwtKey {
    kid: String,
    issuer: String,
    jwk: serde_json::Value,
}

/// A configuration file as read: its own settings and its validated tenants.
type ReadFile = (FileConfig, BTreeMap<String, TenantTrust>);

fn read(path: &Path, source: Source) -> Result<Option<ReadFile>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    parse(&text, source)
        .map(Some)
        .map_err(|problems| ConfigError::Invalid {
            path: path.to_owned(),
            problems,
        })
}

/// Checks the text of a managed configuration as the app and the `paraakh`
/// command will read it (what `paraakh centre setup` writes); returns how
/// many tenants it trusts, or every problem.
pub fn check_managed(text: &str) -> Result<usize, Vec<String>> {
    parse(text, Source::Managed).map(|(_, tenants)| tenants.len())
}

fn parse(text: &str, source: Source) -> Result<ReadFile, Vec<String>> {
    let mut file: FileConfig = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
    if file.lock && source == Source::User {
        return Err(vec![
            "lock: only the managed configuration can lock the installation".into(),
        ]);
    }
    let mut problems = Vec::new();
    if source == Source::User && !file.centre_keys.is_empty() {
        problems.push(
            "centre_keys: only the managed configuration (the administrator's) can trust a centre key"
                .into(),
        );
    }
    for (i, k) in file.centre_keys.iter().enumerate() {
        if let Err(e) = NoteVerifier::parse(k).and_then(|v| v.require_type(SIG_TYPE_ED25519)) {
            problems.push(format!("centre_keys[{i}]: {e}"));
        }
    }
    let mut tenants = BTreeMap::new();
    for (id, t) in std::mem::take(&mut file.tenants) {
        match tenant(&id, t, source) {
            Ok(trust) => {
                tenants.insert(id, trust);
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok((file, tenants))
    } else {
        Err(problems)
    }
}

fn tenant(id: &str, t: FileTenant, source: Source) -> Result<TenantTrust, Vec<String>> {
    let mut problems = Vec::new();
    let at = |what: &str| format!("tenants.{id}.{what}");
    if !valid_tenant(id) {
        problems.push(format!(
            "tenants.{id}: not a valid tenant id (1 to 128 of A-Z a-z 0-9 . _ -)"
        ));
    }
    if t.signing_keys.is_empty() {
        problems.push(format!(
            "{}: at least one signing key must be pinned",
            at("signing_keys")
        ));
    }
    let signing_keys: Vec<NoteVerifier> = t
        .signing_keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| {
            NoteVerifier::parse(k)
                .and_then(|v| v.require_type(SIG_TYPE_ED25519))
                .map_err(|e| problems.push(format!("{}[{i}]: {e}", at("signing_keys"))))
                .ok()
        })
        .collect();
    let mut jwt_keys = Vec::new();
    for (i, k) in t.jwt_keys.into_iter().enumerate() {
        if jwt_keys.iter().any(|j: &JwtKey| j.kid == k.kid) {
            problems.push(format!(
                "{}[{i}].kid: {:?} is pinned twice",
                at("jwt_keys"),
                k.kid
            ));
        }
        match PublicKey::from_jwk(&k.jwk) {
            Ok(key) => jwt_keys.push(JwtKey {
                kid: k.kid,
                issuer: k.issuer,
                key,
            }),
            Err(e) => problems.push(format!("{}[{i}].jwk: {e}", at("jwt_keys"))),
        }
    }
    if let Some(url) = &t.backend_url {
        if url.starts_with("https://*.") {
            problems.push(format!(
                "{}: a backend is one host, not a wildcard",
                at("backend_url")
            ));
        } else if let Err(why) = crate::net::check_origin(url) {
            problems.push(format!("{}: {url:?} {why}", at("backend_url")));
        }
    }
    let backend_key = t.backend_key.as_deref().and_then(|k| {
        NoteVerifier::parse(k)
            .and_then(|v| v.require_type(SIG_TYPE_COSIGNATURE_V1))
            .map_err(|e| problems.push(format!("{}: {e}", at("backend_key"))))
            .ok()
    });
    let encryption_key = t.encryption_key.as_deref().and_then(|k| {
        TenantPublicKey::parse(k)
            .map_err(|e| problems.push(format!("{}: {e}", at("encryption_key"))))
            .ok()
    });
    let days = t.max_link_lifetime_days.unwrap_or(14);
    if !(1..=365).contains(&days) {
        problems.push(format!(
            "{}: must be 1 to 365 days",
            at("max_link_lifetime_days")
        ));
    }
    if problems.is_empty() {
        Ok(TenantTrust {
            id: id.to_owned(),
            name: t.name,
            signing_keys,
            jwt_keys,
            audience: t.audience.unwrap_or_else(|| "paraakh-client".to_owned()),
            backend_url: t.backend_url,
            backend_key,
            encryption_key,
            max_link_lifetime_secs: i64::from(days) * 86_400,
            source,
        })
    } else {
        Err(problems)
    }
}

impl InstallConfig {
    /// Loads the managed file (if it exists) and the user's file (if given and
    /// allowed). The managed file always wins: with `lock = true` the user's
    /// file is ignored; otherwise it may only add tenants the managed file
    /// does not define.
    pub fn load(
        managed: &Path,
        user: Option<&Path>,
        default_data_dir: &Path,
    ) -> Result<Self, ConfigError> {
        let mut config = InstallConfig {
            data_dir: default_data_dir.to_owned(),
            tenants: BTreeMap::new(),
            locked: false,
            centre_keys: Vec::new(),
            ignored: Vec::new(),
        };
        // With a managed file present the user never moves the data directory.
        let mut managed_present = false;
        if let Some((file, tenants)) = read(managed, Source::Managed)? {
            managed_present = true;
            config.locked = file.lock;
            // Checked when read.
            config.centre_keys = file
                .centre_keys
                .iter()
                .filter_map(|k| NoteVerifier::parse(k).ok())
                .collect();
            if let Some(dir) = file.data_dir {
                config.data_dir = dir;
            }
            config.tenants = tenants;
        }
        let Some(user) = user else {
            return Ok(config);
        };
        if config.locked {
            if user.exists() {
                config.ignored.push(format!(
                    "{} is ignored: this installation is managed and locked by {}",
                    user.display(),
                    managed.display()
                ));
            }
            return Ok(config);
        }
        if let Some((file, tenants)) = read(user, Source::User)? {
            match file.data_dir {
                Some(dir) if managed_present => config.ignored.push(format!(
                    "data_dir {} is ignored: this installation is managed",
                    dir.display()
                )),
                Some(dir) => config.data_dir = dir,
                None => {}
            }
            for (id, trust) in tenants {
                match config.tenants.entry(id) {
                    std::collections::btree_map::Entry::Occupied(e) => {
                        config.ignored.push(format!(
                            "tenant {} in {} is ignored: the managed configuration defines it",
                            e.key(),
                            user.display()
                        ))
                    }
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(trust);
                    }
                }
            }
        }
        Ok(config)
    }

    /// The trust settings of one tenant.
    pub fn tenant(&self, id: &str) -> Option<&TenantTrust> {
        self.tenants.get(id)
    }
}
