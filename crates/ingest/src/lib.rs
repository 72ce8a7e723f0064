//! The reference tenant backend for Paraakh evidence uploads
//! (`paraakh ingest serve`). It implements the upload protocol
//! (`docs/upload-protocol.md`, served as OpenAPI at `/openapi.yaml`): checks
//! the bearer token (tenant, role, session), every record, each checkpoint's
//! signature and its consistency with the records it holds, and each blob's
//! hash; stores everything in an object store; and answers checkpoints with
//! cosignatures (receipts). Every request is idempotent.

#![forbid(unsafe_code)]

pub mod binding;
pub mod config;
mod error;
pub mod evidence_url;
pub mod export;
pub mod index;
pub mod join;
pub mod limits;
mod listen;
pub mod log;
pub mod retention;
pub mod review_api;
pub mod review_page;
pub mod roles;
mod server;
pub mod store;
pub mod stores;
pub mod tokens;

pub use config::BackendKeys;
pub use error::IngestError;
pub use limits::Limits;
pub use listen::serve;
pub use server::{Backend, OPENAPI};
pub use stores::Stores;

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;

/// Opens the object store at `url`: `file:///path` or a plain path, or
/// `s3://bucket[/prefix]` for any S3-compatible store (configured by the
/// usual `AWS_*` variables: `AWS_ENDPOINT`, `AWS_REGION`,
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP`); or
/// when none is given, the one last given for `data` (`DATA/store.url`), else
/// `DATA/store`.
pub fn open_store(
    data: &std::path::Path,
    url: Option<&str>,
) -> Result<Arc<dyn ObjectStore>, IngestError> {
    open_location(location(data, url)?)
}

/// Opens the object store at `url` (`file:///PATH`, a path, or
/// `s3://BUCKET[/PREFIX][?endpoint=…&region=…&allow_http=true]`).
pub fn open_url(url: &str) -> Result<Arc<dyn ObjectStore>, IngestError> {
    open_location(parse_location(url)?)
}

fn open_location(location: Location) -> Result<Arc<dyn ObjectStore>, IngestError> {
    match location {
        Location::S3(u) => open_s3(&u),
        Location::Local(path) => {
            std::fs::create_dir_all(&path).map_err(|e| {
                IngestError::Config(format!("cannot create {}: {e}", path.display()))
            })?;
            let store = LocalFileSystem::new_with_prefix(&path)?;
            Ok(Arc::new(store))
        }
    }
}

enum Location {
    Local(std::path::PathBuf),
    S3(String),
}

fn location(data: &std::path::Path, url: Option<&str>) -> Result<Location, IngestError> {
    // The store a backend was started with is remembered in its data
    // directory, so that `token` and `export` use the same one by default.
    let remembered = data.join("store.url");
    let saved;
    let url = match url {
        Some(u) => {
            std::fs::create_dir_all(data)
                .and_then(|()| std::fs::write(&remembered, u))
                .map_err(|e| {
                    IngestError::Config(format!("cannot write {}: {e}", remembered.display()))
                })?;
            Some(u)
        }
        None => {
            saved = std::fs::read_to_string(&remembered).ok();
            saved.as_deref().map(str::trim)
        }
    };
    match url {
        None => Ok(Location::Local(data.join("store"))),
        Some(u) => parse_location(u),
    }
}

fn parse_location(u: &str) -> Result<Location, IngestError> {
    Ok(match u {
        u if u.starts_with("file://") => {
            let parsed = url::Url::parse(u)
                .map_err(|e| IngestError::Config(format!("bad store URL {u:?}: {e}")))?;
            Location::Local(
                parsed
                    .to_file_path()
                    .map_err(|()| IngestError::Config(format!("bad store URL {u:?}")))?,
            )
        }
        u if u.starts_with("s3://") => Location::S3(u.to_owned()),
        u if u.contains("://") => {
            return Err(IngestError::Config(format!(
                "the store URL {u:?} is not supported; use file:///PATH or s3://BUCKET[/PREFIX]"
            )));
        }
        p => Location::Local(std::path::PathBuf::from(p)),
    })
}

/// Removes what a killed backend left half-written in a file-system store:
/// `object_store` writes each object under a name with `#N` and renames it
/// when complete, so such files are never objects. Call it before serving
/// (never while another backend process writes to the same store).
/// Returns how many were removed.
pub fn sweep_half_written(data: &std::path::Path, url: Option<&str>) -> Result<usize, IngestError> {
    let Location::Local(root) = location(data, url)? else {
        return Ok(0);
    };
    let mut removed = 0;
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => dirs.push(path),
                Ok(t) if t.is_file() && entry.file_name().to_string_lossy().contains('#') => {
                    std::fs::remove_file(&path).map_err(|e| {
                        IngestError::Config(format!("cannot remove {}: {e}", path.display()))
                    })?;
                    removed += 1;
                }
                _ => {}
            }
        }
    }
    Ok(removed)
}

/// The store's own signer of presigned URLs, when the store at `url` (or
/// the one remembered for `data`) is S3; `None` for a file-system store,
/// whose evidence URLs the backend signs itself.
pub fn open_signer(
    data: &std::path::Path,
    url: Option<&str>,
) -> Result<Option<evidence_url::StoreSigner>, IngestError> {
    signer_of(location(data, url)?)
}

/// The presigned-URL signer of the store at `url`, when it is S3.
pub fn signer_of_url(url: &str) -> Result<Option<evidence_url::StoreSigner>, IngestError> {
    signer_of(parse_location(url)?)
}

fn signer_of(location: Location) -> Result<Option<evidence_url::StoreSigner>, IngestError> {
    let Location::S3(u) = location else {
        return Ok(None);
    };
    let (s3, prefix) = s3_builder(&u)?;
    Ok(Some(evidence_url::StoreSigner {
        signer: Arc::new(s3),
        prefix,
    }))
}

fn s3_builder(url: &str) -> Result<(object_store::aws::AmazonS3, String), IngestError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| IngestError::Config(format!("bad store URL {url:?}: {e}")))?;
    let bucket = parsed.host_str().unwrap_or_default();
    if bucket.is_empty() {
        return Err(IngestError::Config(format!(
            "the store URL {url:?} names no bucket: use s3://BUCKET[/PREFIX]"
        )));
    }
    // reqwest is built without a crypto provider; ring is this project's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
    // Where this store is, when it is not where the AWS_* variables say: a
    // tenant's store in its own region or on its own server. Credentials
    // stay in the environment, never in a URL that `ps` shows.
    for (key, value) in parsed.query_pairs() {
        builder = match key.as_ref() {
            "endpoint" => builder.with_endpoint(value.as_ref()),
            "region" => builder.with_region(value.as_ref()),
            "allow_http" => builder.with_allow_http(value == "true"),
            other => {
                return Err(IngestError::Config(format!(
                    "the store URL {url:?} has {other:?}: an s3:// URL takes endpoint=, region= and allow_http=true"
                )));
            }
        };
    }
    let s3 = builder
        .build()
        .map_err(|e| IngestError::Config(format!("cannot use the S3 store {url:?}: {e}")))?;
    Ok((s3, parsed.path().trim_matches('/').to_owned()))
}

fn open_s3(url: &str) -> Result<Arc<dyn ObjectStore>, IngestError> {
    let (s3, prefix) = s3_builder(url)?;
    if prefix.is_empty() {
        Ok(Arc::new(s3))
    } else {
        Ok(Arc::new(object_store::prefix::PrefixStore::new(
            s3,
            prefix.as_str(),
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn half_written_files_are_swept_and_objects_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("store/tenants/acme/uploads/ab");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("00000000000000000000#1"), b"half").unwrap();
        std::fs::write(dir.join("00000000000000000001"), b"whole").unwrap();
        assert_eq!(super::sweep_half_written(tmp.path(), None).unwrap(), 1);
        assert!(dir.join("00000000000000000001").exists());
        assert!(!dir.join("00000000000000000000#1").exists());
        assert_eq!(super::sweep_half_written(tmp.path(), None).unwrap(), 0);
    }
}
