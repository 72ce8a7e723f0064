//! The reference tenant backend for Paraakh evidence uploads
//! (`paraakh ingest serve`). It implements the upload protocol
//! (`docs/upload-protocol.md`, served as OpenAPI at `/openapi.yaml`): checks
//! the bearer token (tenant, role, session), every record, each checkpoint's
//! signature and its consistency with the records it holds, and each blob's
//! hash; stores everything in an object store; and answers checkpoints with
//! cosignatures (receipts). Every request is idempotent.

#![forbid(unsafe_code)]

pub mod config;
mod error;
pub mod export;
pub mod log;
mod server;
pub mod store;
pub mod tokens;

pub use config::BackendKeys;
pub use error::IngestError;
pub use server::{Backend, OPENAPI};

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;

/// Opens the object store at `url` (`file:///path`, or a plain path), or
/// `DATA/store` when none is given.
pub fn open_store(
    data: &std::path::Path,
    url: Option<&str>,
) -> Result<Arc<dyn ObjectStore>, IngestError> {
    let path = match url {
        None => data.join("store"),
        Some(u) if u.starts_with("file://") => {
            let parsed = url::Url::parse(u)
                .map_err(|e| IngestError::Config(format!("bad store URL {u:?}: {e}")))?;
            parsed
                .to_file_path()
                .map_err(|()| IngestError::Config(format!("bad store URL {u:?}")))?
        }
        Some(u) if u.contains("://") => {
            return Err(IngestError::Config(format!(
                "the store URL {u:?} is not supported by this build; use file:///PATH"
            )));
        }
        Some(p) => std::path::PathBuf::from(p),
    };
    std::fs::create_dir_all(&path)
        .map_err(|e| IngestError::Config(format!("cannot create {}: {e}", path.display())))?;
    let store = LocalFileSystem::new_with_prefix(&path)?;
    Ok(Arc::new(store))
}
