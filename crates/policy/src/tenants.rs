//! Tenant isolation on the machine: each tenant's data lives in its own
//! directory (`DATA/tenants/<tenant>/`, mode 0700), and everything that
//! reads sessions goes through a [`TenantDir`], which cannot name, list or
//! follow a path into another tenant's directory.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::links::valid_tenant;

/// Why a tenant directory operation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TenantError {
    /// A tenant or session id that is not a plain name.
    #[error("{what} {id:?} is not a valid id (1 to 128 of A-Z a-z 0-9 . _ -)")]
    BadId {
        /// Tenant or session.
        what: &'static str,
        /// The id.
        id: String,
    },
    /// A path inside the tenant directory leads outside it.
    #[error("{0} leads outside its tenant's directory and is ignored")]
    Escapes(PathBuf),
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TenantError + '_ {
    move |source| TenantError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The root of all tenants' data on this machine.
#[derive(Debug, Clone)]
pub struct DataRoot {
    root: PathBuf,
}

impl DataRoot {
    /// The data root at `root` (created when a tenant is first opened).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Opens (creating, mode 0700) the directory of one tenant. No part of
    /// the path below the data root may be a symlink: a planted link must not
    /// lead one tenant into another's data.
    pub fn tenant(&self, tenant: &str) -> Result<TenantDir, TenantError> {
        if !valid_tenant(tenant) {
            return Err(TenantError::BadId {
                what: "tenant",
                id: tenant.to_owned(),
            });
        }
        fs::create_dir_all(&self.root).map_err(io(&self.root))?;
        let tenants = self.root.join("tenants");
        let path = tenants.join(tenant);
        for dir in [&tenants, &path, &path.join("sessions")] {
            real_dir(dir)?;
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o700)).map_err(io(&path))?;
        let canonical = path.canonicalize().map_err(io(&path))?;
        let expected = tenants.canonicalize().map_err(io(&tenants))?.join(tenant);
        if canonical != expected {
            return Err(TenantError::Escapes(path));
        }
        Ok(TenantDir {
            tenant: tenant.to_owned(),
            path: canonical,
        })
    }
}

/// Makes sure `dir` is a real directory (created mode 0700 if missing), not a symlink.
fn real_dir(dir: &Path) -> Result<(), TenantError> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() || !meta.is_dir() => {
            Err(TenantError::Escapes(dir.to_owned()))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fs::DirBuilder::new()
            .mode(0o700)
            .create(dir)
            .map_err(io(dir)),
        Err(e) => Err(io(dir)(e)),
    }
}

/// One tenant's data directory.
#[derive(Debug, Clone)]
pub struct TenantDir {
    tenant: String,
    path: PathBuf,
}

impl TenantDir {
    /// The tenant id.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sessions_root(&self) -> Result<PathBuf, TenantError> {
        let dir = self.path.join("sessions");
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() && !meta.file_type().is_symlink() => Ok(dir),
            Ok(_) => Err(TenantError::Escapes(dir)),
            Err(e) => Err(io(&dir)(e)),
        }
    }

    /// The directory of one of this tenant's sessions (not created).
    pub fn session_dir(&self, session: &str) -> Result<PathBuf, TenantError> {
        if !valid_tenant(session) {
            return Err(TenantError::BadId {
                what: "session",
                id: session.to_owned(),
            });
        }
        let dir = self.sessions_root()?.join(session);
        // A symlink planted here must not lead into another tenant's data.
        if let Ok(meta) = fs::symlink_metadata(&dir)
            && meta.file_type().is_symlink()
        {
            return Err(TenantError::Escapes(dir));
        }
        Ok(dir)
    }

    /// This tenant's sessions: real directories inside its own `sessions/`
    /// only (symlinks and anything else are skipped).
    pub fn sessions(&self) -> Result<Vec<String>, TenantError> {
        let dir = self.sessions_root()?;
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            if kind.is_dir() && !kind.is_symlink() && valid_tenant(&name) {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }
}
