//! Which computer a session belongs to, and the backend's signed word on it.
//! A session is bound to one device key: by its join link, by the token the
//! admin issued for a known computer, or by the first statement or upload
//! that names one. From then on records certified by any other device key
//! are refused, and each statement the backend signs (at join, when the
//! questions are released, at the start) names that key, a fresh nonce and
//! the backend's time. A revoked link ends the session's rights.
//!
//! ```text
//! tenants/<t>/sessions/<s>/binding              the device key, when and how it was bound
//! tenants/<t>/sessions/<s>/statements/<nonce>   each statement the backend signed
//! tenants/<t>/sessions/<s>/revoked              the revocation that ended its rights
//! ```

use std::collections::HashSet;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions};
use paraakh_evidence::keys::NoteVerifier;
use paraakh_evidence::note::SignedNote;
use paraakh_evidence::statement::{SessionStatement, StatementEvent};
use serde::{Deserialize, Serialize};

use crate::IngestError;
use crate::config::BackendKeys;
use crate::tokens::now_secs;

/// How a session came to be bound to its device key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundBy {
    /// A join link, from the computer that joined.
    Join,
    /// The admin issued the session's token for a known computer.
    Token,
    /// The first statement the client asked for.
    Statement,
    /// The first upload (a session recorded before any statement).
    Upload,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Binding {
    /// The device's Ed25519 public key, standard base64.
    device_key: String,
    bound_at: i64,
    by: BoundBy,
}

/// Why a session's rights ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// SHA-256 (hex) of the revoked link's token id.
    pub link: String,
    /// When (POSIX seconds).
    pub revoked_at: i64,
}

fn session_path(tenant: &str, session: &str, rest: &str) -> Path {
    Path::from(format!("tenants/{tenant}/sessions/{session}/{rest}"))
}

pub(crate) async fn get_opt(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
) -> Result<Option<Bytes>, IngestError> {
    match store.get(path).await {
        Ok(r) => Ok(Some(r.bytes().await?)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes `bytes` at `path` unless something is there; returns what is
/// there afterwards. A conditional create where the store offers one, so
/// two replicas racing agree on the first.
pub(crate) async fn create_once(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
    bytes: Bytes,
) -> Result<Bytes, IngestError> {
    if let Some(existing) = get_opt(store, path).await? {
        return Ok(existing);
    }
    let create = PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    match store.put_opts(path, bytes.clone().into(), create).await {
        Ok(_) => Ok(bytes),
        Err(object_store::Error::AlreadyExists { .. }) => get_opt(store, path)
            .await?
            .ok_or_else(|| IngestError::Config(format!("{path} vanished while it was written"))),
        Err(object_store::Error::NotImplemented { .. }) => {
            store.put(path, bytes.clone().into()).await?;
            Ok(bytes)
        }
        Err(e) => Err(e.into()),
    }
}

/// The device key a verifier key (C2SP note key) names.
pub fn device_key_of(vkey: &str) -> Result<[u8; 32], IngestError> {
    NoteVerifier::parse(vkey)
        .map(|v| *v.public_key())
        .map_err(|e| IngestError::BadRequest(format!("device_key is not a note verifier key: {e}")))
}

/// The device key `session` is bound to, if any.
pub async fn bound_device(
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    session: &str,
) -> Result<Option<[u8; 32]>, IngestError> {
    get_opt(store, &session_path(tenant, session, "binding"))
        .await?
        .map(|bytes| binding_key(session, &bytes))
        .transpose()
}

fn binding_key(session: &str, bytes: &[u8]) -> Result<[u8; 32], IngestError> {
    let damaged = || IngestError::Config(format!("the stored binding of {session} is damaged"));
    let binding: Binding = serde_json::from_slice(bytes).map_err(|_| damaged())?;
    B64.decode(&binding.device_key)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
        .ok_or_else(damaged)
}

/// Binds `session` to `device` unless it is bound already; a session bound
/// to another device key is refused (409).
pub async fn bind(
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    session: &str,
    device: &[u8; 32],
    by: BoundBy,
) -> Result<(), IngestError> {
    let fresh = Binding {
        device_key: B64.encode(device),
        bound_at: now_secs(),
        by,
    };
    let bytes = serde_json::to_vec(&fresh).map_err(|e| IngestError::Config(e.to_string()))?;
    let stored = create_once(
        store,
        &session_path(tenant, session, "binding"),
        bytes.into(),
    )
    .await?;
    if &binding_key(session, &stored)? == device {
        Ok(())
    } else {
        Err(IngestError::Conflict {
            message: format!(
                "session {session} belongs to another computer (another device key): its evidence can only come from the computer that joined"
            ),
            offset: None,
        })
    }
}

/// Statements kept per session: beyond, the newest is given again (a
/// client asking over and over cannot fill the store).
pub const MAX_STATEMENTS: usize = 64;

/// Signs and keeps a statement binding `session` to `device` (or, past
/// [`MAX_STATEMENTS`], gives the newest one again).
#[allow(clippy::too_many_arguments)] // every field of the statement
pub async fn issue_statement(
    keys: &BackendKeys,
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    exam: &str,
    session: &str,
    device: [u8; 32],
    event: StatementEvent,
    client_time_ns: Option<i64>,
) -> Result<SignedNote, IngestError> {
    let prefix = session_path(tenant, session, "statements");
    let held: Vec<object_store::ObjectMeta> = store.list(Some(&prefix)).try_collect().await?;
    if held.len() >= MAX_STATEMENTS
        && let Some(newest) = held.iter().max_by_key(|m| m.last_modified)
    {
        let bytes = store.get(&newest.location).await?.bytes().await?;
        return SignedNote::parse(&bytes)
            .map_err(|e| IngestError::Config(format!("a stored statement is damaged: {e}")));
    }
    let statement = SessionStatement::new(tenant, exam, session, device, event, client_time_ns)
        .map_err(|e| IngestError::Config(e.to_string()))?;
    let time = u64::try_from(now_secs()).unwrap_or(0);
    let note = statement
        .sign(&keys.cosigner, time)
        .map_err(|e| IngestError::Config(format!("cannot sign a statement: {e}")))?;
    let path = session_path(tenant, session, &format!("statements/{}", statement.nonce));
    store.put(&path, Bytes::from(note.encode()).into()).await?;
    Ok(note)
}

/// The nonces of every statement the backend made for `session`.
pub async fn statement_nonces(
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    session: &str,
) -> Result<HashSet<String>, IngestError> {
    let prefix = session_path(tenant, session, "statements");
    Ok(store
        .list(Some(&prefix))
        .map_ok(|m| m.location.filename().unwrap_or_default().to_owned())
        .try_collect()
        .await?)
}

/// Ends `session`'s rights (uploads, tokens, the questions) for good.
pub async fn revoke(
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    session: &str,
    link: &str,
) -> Result<(), IngestError> {
    let record = Revocation {
        link: link.to_owned(),
        revoked_at: now_secs(),
    };
    let bytes = serde_json::to_vec(&record).map_err(|e| IngestError::Config(e.to_string()))?;
    create_once(
        store,
        &session_path(tenant, session, "revoked"),
        bytes.into(),
    )
    .await?;
    Ok(())
}

/// The revocation that ended `session`'s rights, if any.
pub async fn revocation(
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    session: &str,
) -> Result<Option<Revocation>, IngestError> {
    let Some(bytes) = get_opt(store, &session_path(tenant, session, "revoked")).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        IngestError::Config(format!(
            "the stored revocation of {session} is damaged: {e}"
        ))
    })
}

/// Refuses anything more for a revoked session (403 `revoked`).
pub async fn refuse_if_revoked(
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    session: &str,
) -> Result<(), IngestError> {
    match revocation(store, tenant, session).await? {
        Some(r) => Err(IngestError::Revoked(format!(
            "the exam centre revoked this session's link (POSIX time {}): it can no longer upload, renew its token or receive the questions; contact your exam centre",
            r.revoked_at
        ))),
        None => Ok(()),
    }
}
