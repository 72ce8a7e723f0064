//! Where each tenant's objects live: one object store for every tenant by
//! default, or a store of its own for a tenant whose evidence must stay in
//! a region (`--tenant-store acme=s3://acme-eu/evidence?endpoint=…`). Every
//! object path starts with `tenants/<tenant>/`, so choosing the store by
//! the path's tenant keeps each tenant's objects in its own store and
//! nowhere else. A tenant's store is remembered in
//! `DATA/tenants/<tenant>/store.url`, as `--store` is in `DATA/store.url`,
//! so `token`, `export` and `sweep` use the same one without being told.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use object_store::ObjectStore;
use paraakh_evidence::layout;

use crate::IngestError;
use crate::evidence_url::StoreSigner;

/// An object store, shared.
pub type Store = Arc<dyn ObjectStore>;

/// A store and, when it is S3, its signer of presigned URLs.
#[derive(Debug, Clone)]
struct Placed {
    store: Arc<dyn ObjectStore>,
    signer: Option<StoreSigner>,
}

/// The object store of each tenant.
#[derive(Debug, Clone)]
pub struct Stores {
    default: Placed,
    tenants: BTreeMap<String, Placed>,
}

impl Stores {
    /// One store for every tenant.
    pub fn single(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            default: Placed {
                store,
                signer: None,
            },
            tenants: BTreeMap::new(),
        }
    }

    /// The default store's presigned URLs (an S3 store's).
    pub fn with_signer(mut self, signer: Option<StoreSigner>) -> Self {
        self.default.signer = signer;
        self
    }

    /// `tenant`'s objects in `store` of their own.
    pub fn with_tenant(
        mut self,
        tenant: &str,
        store: Arc<dyn ObjectStore>,
        signer: Option<StoreSigner>,
    ) -> Self {
        self.tenants
            .insert(tenant.to_owned(), Placed { store, signer });
        self
    }

    /// Opens the default store (`url`, as [`crate::open_store`]) and every
    /// tenant's own: those given as `TENANT=URL` in `tenant_urls` (then
    /// remembered) and those remembered before.
    pub fn open(
        data: &Path,
        url: Option<&str>,
        tenant_urls: &[String],
    ) -> Result<Self, IngestError> {
        let mut stores =
            Self::single(crate::open_store(data, url)?).with_signer(crate::open_signer(data, url)?);
        for given in tenant_urls {
            let (tenant, url) = given.split_once('=').ok_or_else(|| {
                IngestError::Config(format!(
                    "--tenant-store {given:?} is not TENANT=URL (e.g. acme=s3://acme-eu/evidence)"
                ))
            })?;
            if !layout::valid_id(tenant) {
                return Err(IngestError::Config(format!(
                    "{tenant:?} in --tenant-store is not a tenant id (letters, digits, '.', '_', '-')"
                )));
            }
            let dir = data.join("tenants").join(tenant);
            std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(dir.join("store.url"), url))
                .map_err(|e| IngestError::Config(format!("cannot write {}: {e}", dir.display())))?;
        }
        if let Ok(entries) = std::fs::read_dir(data.join("tenants")) {
            for entry in entries.flatten() {
                let tenant = entry.file_name().to_string_lossy().into_owned();
                let Ok(url) = std::fs::read_to_string(entry.path().join("store.url")) else {
                    continue;
                };
                let url = url.trim();
                let placed = Placed {
                    store: crate::open_url(url)?,
                    signer: crate::signer_of_url(url)?,
                };
                stores.tenants.insert(tenant, placed);
            }
        }
        Ok(stores)
    }

    /// The store of every tenant without one of its own.
    pub fn shared(&self) -> &Store {
        &self.default.store
    }

    /// The store `tenant`'s objects go to.
    pub fn of(&self, tenant: &str) -> &Store {
        &self.placed(tenant).store
    }

    /// The presigned-URL signer of `tenant`'s store, when it is S3.
    pub fn signer_of(&self, tenant: &str) -> Option<&StoreSigner> {
        self.placed(tenant).signer.as_ref()
    }

    /// The tenants with a store of their own.
    pub fn own_stores(&self) -> impl Iterator<Item = &str> {
        self.tenants.keys().map(String::as_str)
    }

    fn placed(&self, tenant: &str) -> &Placed {
        self.tenants.get(tenant).unwrap_or(&self.default)
    }
}
