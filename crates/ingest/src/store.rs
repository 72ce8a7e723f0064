//! Where sessions live: one prefix per tenant and session in an object
//! store (a local directory by default, any S3-compatible store by URL).
//! Every write is one whole object, so a crash leaves either the old or the
//! new state, never half of one.
//!
//! ```text
//! tenants/<t>/sessions/<s>/records/<first>         framed records from first (written once)
//! tenants/<t>/sessions/<s>/records/<first>-<end>   the same, as backends before 0.2 named it
//! tenants/<t>/sessions/<s>/checkpoints/<size>      a signed checkpoint
//! tenants/<t>/sessions/<s>/receipts/<size>         the cosigned checkpoint
//! tenants/<t>/sessions/<s>/blobs/<sha256>          a complete blob
//! tenants/<t>/sessions/<s>/uploads/<sha256>/<off>  a received part of a blob
//! tenants/<t>/sessions/<s>/conflicts/<time>-<n>    a checkpoint refused as a fork
//! tenants/<t>/sessions/<s>/binding, statements/, revoked   see `binding`
//! tenants/<t>/refresh/<sha256 of token>            a refresh token's session
//! ```

use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::IngestError;

/// Numbers in object names are zero-padded so names sort as numbers.
fn num(n: u64) -> String {
    format!("{n:020}")
}

fn parse_num(s: &str) -> Option<u64> {
    (s.len() == 20).then(|| s.parse().ok()).flatten()
}

/// Bytes a tenant holds in `store` (every object under its prefix).
pub async fn tenant_bytes(store: &Arc<dyn ObjectStore>, tenant: &str) -> Result<u64, IngestError> {
    let prefix = Path::from(format!("tenants/{tenant}"));
    Ok(store
        .list(Some(&prefix))
        .try_fold(0u64, |sum, m| async move { Ok(sum + m.size) })
        .await?)
}

/// The first record of a batch object by its name (`<first>`, or the older
/// `<first>-<end>`).
fn batch_first(name: &str) -> Option<u64> {
    parse_num(name.split_once('-').map_or(name, |(first, _)| first))
}

/// The framed records of a batch.
fn batch_frames(batch: &[u8]) -> Vec<paraakh_evidence::frame::Frame> {
    paraakh_evidence::frame::parse_all(batch, paraakh_evidence::frame::FileKind::Log).0
}

/// One session's objects.
#[derive(Debug, Clone)]
pub struct SessionStore {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

impl SessionStore {
    /// The objects of `session` of `tenant` (both already validated ids).
    pub fn new(store: Arc<dyn ObjectStore>, tenant: &str, session: &str) -> Self {
        Self {
            store,
            prefix: format!("tenants/{tenant}/sessions/{session}"),
        }
    }

    fn path(&self, rest: &str) -> Path {
        Path::from(format!("{}/{rest}", self.prefix))
    }

    async fn list_names(&self, dir: &str) -> Result<Vec<String>, IngestError> {
        let prefix = self.path(dir);
        let mut names: Vec<String> = self
            .store
            .list(Some(&prefix))
            .map_ok(|m| m.location.filename().unwrap_or_default().to_owned())
            .try_collect()
            .await?;
        names.sort();
        Ok(names)
    }

    async fn get(&self, path: &Path) -> Result<Bytes, IngestError> {
        Ok(self.store.get(path).await?.bytes().await?)
    }

    async fn put(&self, path: &Path, data: impl Into<PutPayload>) -> Result<(), IngestError> {
        self.store.put(path, data.into()).await?;
        Ok(())
    }

    /// Record batches in order: `(first, end, framed bytes)`.
    pub async fn record_batches(&self) -> Result<Vec<(u64, u64, Bytes)>, IngestError> {
        let mut out = Vec::new();
        for name in self.list_names("records").await? {
            let Some(first) = batch_first(&name) else {
                continue;
            };
            let batch = self.get(&self.path(&format!("records/{name}"))).await?;
            let end = first + batch_frames(&batch).len() as u64;
            out.push((first, end, batch));
        }
        Ok(out)
    }

    /// Writes `data` at `rest` only if nothing is there; `conflict` says
    /// why when something is. A store without create-only writes takes a
    /// plain write (safe with one replica only).
    async fn put_new(
        &self,
        rest: &str,
        data: PutPayload,
        conflict: impl FnOnce() -> String,
    ) -> Result<(), IngestError> {
        let path = self.path(rest);
        let create = object_store::PutOptions {
            mode: object_store::PutMode::Create,
            ..object_store::PutOptions::default()
        };
        match self.store.put_opts(&path, data.clone(), create).await {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => Err(IngestError::Conflict {
                message: conflict(),
                offset: None,
            }),
            Err(object_store::Error::NotImplemented { .. }) => self.put(&path, data).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Stores the framed records that follow record `first - 1`, only if
    /// no batch starts there yet: two replicas appending to one session at
    /// once cannot both extend it from the same place (the other is told
    /// to send again, and reads what is held first).
    pub async fn put_records(&self, first: u64, framed: Vec<u8>) -> Result<(), IngestError> {
        self.put_new(&format!("records/{}", num(first)), framed.into(), || {
            format!(
                "records from {first} of this session were stored by another request at the same moment: ask what is held and send the rest"
            )
        })
        .await
    }

    /// Stored notes under `dir` (`checkpoints` or `receipts`) by size.
    pub async fn notes(&self, dir: &str) -> Result<Vec<(u64, Bytes)>, IngestError> {
        let mut out = Vec::new();
        for name in self.list_names(dir).await? {
            if let Some(size) = parse_num(&name) {
                out.push((size, self.get(&self.path(&format!("{dir}/{name}"))).await?));
            }
        }
        Ok(out)
    }

    /// Stores a note of `size` under `dir`.
    pub async fn put_note(&self, dir: &str, size: u64, text: &str) -> Result<(), IngestError> {
        let path = self.path(&format!("{dir}/{}", num(size)));
        self.put(&path, Bytes::from(text.to_owned())).await
    }

    /// The bytes of record `seq`, if held.
    pub async fn record(&self, seq: u64) -> Result<Option<Vec<u8>>, IngestError> {
        // Batches follow each other: the one holding `seq` is the last
        // that starts at or before it.
        let holder = self
            .list_names("records")
            .await?
            .into_iter()
            .filter_map(|name| Some((batch_first(&name)?, name)))
            .filter(|(first, _)| *first <= seq)
            .max_by_key(|(first, _)| *first);
        let Some((first, name)) = holder else {
            return Ok(None);
        };
        let batch = self.get(&self.path(&format!("records/{name}"))).await?;
        let at = usize::try_from(seq - first).unwrap_or(usize::MAX);
        Ok(batch_frames(&batch).into_iter().nth(at).map(|f| f.payload))
    }

    /// Reviewers' decisions (signed notes), by position.
    pub async fn decisions(&self) -> Result<Vec<(u64, Bytes)>, IngestError> {
        self.notes("review").await
    }

    /// Stores decision `position`, only if no other is there: two replicas
    /// deciding at once cannot both take one place.
    pub async fn put_decision(&self, position: u64, note: &str) -> Result<(), IngestError> {
        self.put_new(
            &format!("review/{}", num(position)),
            Bytes::from(note.to_owned()).into(),
            || {
                format!(
                    "another decision took place {position} of the review log at the same moment: send yours again"
                )
            },
        )
        .await
    }

    /// Names of complete blobs.
    pub async fn blob_names(&self) -> Result<Vec<String>, IngestError> {
        self.list_names("blobs").await
    }

    /// The path of a complete blob.
    pub fn blob_path(&self, sha256: &str) -> Path {
        self.path(&format!("blobs/{sha256}"))
    }

    /// Whether a complete blob is held.
    pub async fn has_blob(&self, sha256: &str) -> Result<bool, IngestError> {
        match self.store.head(&self.blob_path(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Received parts of a blob upload: `(offset, length)`, in order.
    pub async fn parts(&self, sha256: &str) -> Result<Vec<(u64, u64)>, IngestError> {
        let prefix = self.path(&format!("uploads/{sha256}"));
        let mut parts: Vec<(u64, u64)> = self
            .store
            .list(Some(&prefix))
            .try_filter_map(|m| async move {
                Ok(m.location
                    .filename()
                    .and_then(parse_num)
                    .map(|offset| (offset, m.size)))
            })
            .try_collect()
            .await?;
        parts.sort_unstable();
        Ok(parts)
    }

    /// Bytes of a blob received without gaps from offset 0.
    pub async fn upload_offset(&self, sha256: &str) -> Result<u64, IngestError> {
        let mut offset = 0;
        for (start, len) in self.parts(sha256).await? {
            if start == offset {
                offset += len;
            } else if start > offset {
                break;
            }
        }
        Ok(offset)
    }

    /// Stores a received part.
    pub async fn put_part(
        &self,
        sha256: &str,
        offset: u64,
        data: Bytes,
    ) -> Result<(), IngestError> {
        let path = self.path(&format!("uploads/{sha256}/{}", num(offset)));
        self.put(&path, data).await
    }

    /// One received part.
    pub async fn part(&self, sha256: &str, offset: u64) -> Result<Bytes, IngestError> {
        self.get(&self.path(&format!("uploads/{sha256}/{}", num(offset))))
            .await
    }

    /// Removes every received part of a blob.
    pub async fn delete_parts(&self, sha256: &str) -> Result<(), IngestError> {
        for (offset, _) in self.parts(sha256).await? {
            let path = self.path(&format!("uploads/{sha256}/{}", num(offset)));
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Keeps a checkpoint refused as a fork, unless `max` are kept already
    /// (a machine cannot fill the store with them). Returns whether it was kept.
    pub async fn put_conflict(
        &self,
        conflict: &paraakh_evidence::conflict::Conflict,
        max: usize,
    ) -> Result<bool, IngestError> {
        let held = self.list_names("conflicts").await?.len();
        if held >= max {
            return Ok(false);
        }
        let path = self.path(&format!(
            "conflicts/{}-{}",
            num(conflict.received),
            num(held as u64)
        ));
        self.put(&path, Bytes::from(conflict.to_bytes())).await?;
        Ok(true)
    }

    /// The statement the backend made with `nonce`, as it signed it.
    pub async fn statement(&self, nonce: &str) -> Result<Option<Bytes>, IngestError> {
        if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        match self
            .store
            .get(&self.path(&format!("statements/{nonce}")))
            .await
        {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The refused checkpoints kept, oldest first.
    pub async fn conflicts(&self) -> Result<Vec<Bytes>, IngestError> {
        let mut out = Vec::new();
        for name in self.list_names("conflicts").await? {
            out.push(self.get(&self.path(&format!("conflicts/{name}"))).await?);
        }
        Ok(out)
    }

    /// The store itself (for streaming a blob in or out).
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }
}
