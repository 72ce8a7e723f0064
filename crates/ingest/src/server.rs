//! The upload protocol over HTTP (axum). Each handler takes the session's
//! lock, so repeated or concurrent requests for one session apply in order
//! and exactly once; sessions do not wait for each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use paraakh_evidence::frame::{FileKind, encode_frame, parse_all};
use paraakh_evidence::layout;
use paraakh_evidence::merkle::leaf_hash;
use paraakh_evidence::note::SignedNote;
use paraakh_evidence::record::to_hex;
use paraakh_protocol::{
    self as protocol, CheckpointRequest, CheckpointResponse, MissingBlob, SessionStatus,
    TokenRequest, UPLOAD_LENGTH, UPLOAD_OFFSET,
};
use ring::digest;

use crate::config::BackendKeys;
use crate::log::{Scope, SessionLog};
use crate::store::SessionStore;
use crate::{IngestError, join, tokens};

/// The OpenAPI document of the protocol, served at `/openapi.yaml`.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");

type Slot = Arc<tokio::sync::Mutex<Option<SessionLog>>>;

/// The running backend: keys, storage and the sessions in memory.
#[derive(Debug)]
pub struct Backend {
    keys: BackendKeys,
    store: Arc<dyn ObjectStore>,
    sessions: Mutex<HashMap<(String, String), Slot>>,
    /// Joins are rare: one at a time, so a link binds to one computer even
    /// where the store has no conditional writes.
    joins: tokio::sync::Mutex<()>,
    access_ttl_secs: i64,
}

impl Backend {
    /// A backend over `store` signing with `keys`.
    pub fn new(keys: BackendKeys, store: Arc<dyn ObjectStore>, access_ttl_secs: i64) -> Self {
        Self {
            keys,
            store,
            sessions: Mutex::new(HashMap::new()),
            joins: tokio::sync::Mutex::new(()),
            access_ttl_secs,
        }
    }

    /// The router serving the protocol.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/v1/sessions/{id}", get(get_session))
            .route("/v1/sessions/{id}/checkpoints", post(post_checkpoints))
            .route(
                "/v1/sessions/{id}/blobs/{sha256}",
                put(put_blob).head(head_blob),
            )
            .route("/v1/sessions/{id}/exam-key", post(post_exam_key))
            .route(protocol::JOIN_PATH, post(post_join))
            .route(protocol::TOKEN_PATH, post(post_token))
            .route(protocol::BACKEND_KEY_PATH, get(get_backend_key))
            .route(protocol::OPENAPI_PATH, get(get_openapi))
            .route("/healthz", get(|| async { "ok\n" }))
            .layer(DefaultBodyLimit::max(protocol::MAX_BATCH_BYTES))
            .with_state(self)
    }

    fn slot(&self, scope: &Scope) -> Slot {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(
            sessions
                .entry((scope.tenant.clone(), scope.session.clone()))
                .or_default(),
        )
    }

    fn session_store(&self, scope: &Scope) -> SessionStore {
        SessionStore::new(Arc::clone(&self.store), &scope.tenant, &scope.session)
    }

    /// Rebuilds a session's state from storage, checking everything again.
    async fn load(&self, scope: &Scope) -> Result<SessionLog, IngestError> {
        let store = self.session_store(scope);
        let mut log = SessionLog::new(scope.clone());
        for (first, end, framed) in store.record_batches().await? {
            if first != log.size() || end <= first {
                return Err(IngestError::Config(format!(
                    "stored record batches of {}/{} do not follow each other at record {first}",
                    scope.tenant, scope.session
                )));
            }
            let (frames, err) = parse_all(&framed, FileKind::Log);
            if let Some(err) = err {
                return Err(IngestError::Config(format!(
                    "a stored record batch is damaged: {err}"
                )));
            }
            for frame in frames {
                log.push(&frame.payload)?;
            }
        }
        for (size, text) in store.notes("checkpoints").await? {
            let note = SignedNote::parse(&text)
                .map_err(|e| IngestError::Config(format!("a stored checkpoint is damaged: {e}")))?;
            log.check_checkpoint(&note)?;
            log.hold_checkpoint(size, note);
        }
        for (size, text) in store.notes("receipts").await? {
            log.hold_receipt(size, String::from_utf8_lossy(&text).into_owned());
        }
        // A crash between storing a blob and removing its parts leaves the
        // parts behind: they are removed when the session is loaded again.
        for sha256 in store.blob_names().await? {
            store.delete_parts(&sha256).await?;
        }
        Ok(log)
    }

    async fn missing_blobs(
        &self,
        scope: &Scope,
        log: &SessionLog,
    ) -> Result<(Vec<MissingBlob>, u64), IngestError> {
        let store = self.session_store(scope);
        let held: std::collections::HashSet<String> =
            store.blob_names().await?.into_iter().collect();
        let mut missing = Vec::new();
        let mut count = 0;
        for (sha256, &size) in log.blobs() {
            if held.contains(sha256) {
                count += 1;
            } else {
                let mut offset = store.upload_offset(sha256).await?;
                // Every byte arrived but the blob was never joined (the
                // server stopped while joining it): join it now.
                if offset >= size {
                    match assemble(&store, sha256, size).await {
                        Ok(()) => {
                            count += 1;
                            continue;
                        }
                        Err(IngestError::Rejected(_)) => offset = 0,
                        Err(e) => return Err(e),
                    }
                }
                missing.push(MissingBlob {
                    sha256: sha256.clone(),
                    size,
                    offset,
                });
            }
        }
        Ok((missing, count))
    }
}

fn scope(claims: &paraakh_policy::jwt::Claims, session: &str) -> Result<Scope, IngestError> {
    if !layout::valid_id(session) {
        return Err(IngestError::BadRequest(format!(
            "{session:?} is not a session id"
        )));
    }
    Ok(Scope {
        tenant: claims.tenant.clone(),
        session: session.to_owned(),
        exam: claims.exam.clone(),
    })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// Runs a request's work to its end even if the client goes away: a
/// dropped connection must not stop a handler between storing something
/// and recording that it did.
async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, IngestError>> + Send + 'static,
) -> Result<T, IngestError> {
    tokio::spawn(work)
        .await
        .map_err(|e| IngestError::Config(format!("a request's work failed: {e}")))?
}

/// Runs `f` on the session's state, loading it first if needed; on any
/// error the state is dropped and rebuilt from storage on the next request,
/// so memory never runs ahead of what was stored.
async fn with_session<T>(
    backend: &Backend,
    scope: &Scope,
    f: impl AsyncFnOnce(&mut SessionLog) -> Result<T, IngestError>,
) -> Result<T, IngestError> {
    let slot = backend.slot(scope);
    let mut guard = slot.lock().await;
    if guard.is_none() {
        *guard = Some(backend.load(scope).await?);
    }
    let Some(log) = guard.as_mut() else {
        return Err(IngestError::Config("session state vanished".into()));
    };
    let result = f(log).await;
    if result.is_err() {
        *guard = None;
    }
    result
}

async fn get_session(
    State(backend): State<Arc<Backend>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Result<axum::Json<SessionStatus>, IngestError> {
    let claims = tokens::authorize(&backend.keys, bearer(&headers), &id, false)?;
    let scope = scope(&claims, &id)?;
    let status = with_session(&backend, &scope, async |log| {
        if log.size() == 0 {
            return Err(IngestError::NotFound(format!(
                "the server holds no records of session {id:?} yet"
            )));
        }
        let (missing_blobs, blobs_held) = backend.missing_blobs(&scope, log).await?;
        Ok(SessionStatus {
            session_id: scope.session.clone(),
            tenant_id: scope.tenant.clone(),
            records: log.size(),
            cosigned_size: log.latest_receipt().map_or(0, |(s, _)| s),
            checkpoints: log.checkpoint_sizes(),
            missing_blobs,
            blobs_held,
            ended: log.ended(),
        })
    })
    .await?;
    Ok(axum::Json(status))
}

async fn post_checkpoints(
    State(backend): State<Arc<Backend>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<CheckpointResponse>, IngestError> {
    let claims = tokens::authorize(&backend.keys, bearer(&headers), &id, true)?;
    let scope = scope(&claims, &id)?;
    let request: CheckpointRequest = serde_json::from_slice(&body).map_err(|e| {
        IngestError::BadRequest(format!("the request body is not a checkpoint request: {e}"))
    })?;
    let mut records = Vec::with_capacity(request.records.len());
    for (i, r) in request.records.iter().enumerate() {
        records.push(B64.decode(r).map_err(|e| {
            IngestError::BadRequest(format!("record {i} of the request is not base64: {e}"))
        })?);
    }
    let mut notes = Vec::with_capacity(request.checkpoints.len());
    for text in &request.checkpoints {
        notes.push(SignedNote::parse(text.as_bytes()).map_err(|e| {
            IngestError::BadRequest(format!("a checkpoint is not a signed note: {e}"))
        })?);
    }
    let response = detached(async move {
    let store = backend.session_store(&scope);
    with_session(&backend, &scope, async |log| {
        let held = log.size();
        if request.first_seq > held {
            return Err(IngestError::Conflict {
                message: format!(
                    "the server holds {held} records of this session; send records from {held}"
                ),
                offset: None,
            });
        }
        // Each stored batch is a small log file of its own (magic line, frames).
        let mut framed = FileKind::Log.magic().to_vec();
        let first_new = log.size();
        for (i, bytes) in records.iter().enumerate() {
            let seq = request.first_seq + i as u64;
            if seq < first_new {
                if log.leaf(seq) != Some(&leaf_hash(bytes)) {
                    return Err(IngestError::Conflict {
                        message: format!(
                            "record {seq} differs from the one the server holds: a held record is never replaced"
                        ),
                        offset: None,
                    });
                }
                continue;
            }
            log.push(bytes)?;
            framed.extend_from_slice(&encode_frame(bytes));
        }
        if log.size() > first_new {
            store.put_records(first_new, log.size(), framed).await?;
        }
        for note in notes {
            let size = log.check_checkpoint(&note)?;
            if log.checkpoint(size).is_none() {
                store.put_note("checkpoints", size, &note.encode()).await?;
                log.hold_checkpoint(size, note);
            }
        }
        let now = u64::try_from(tokens::now_secs()).unwrap_or(0);
        let receipt = match log.cosign_latest(&backend.keys.cosigner, now)? {
            Some((size, receipt, true)) => {
                store.put_note("receipts", size, &receipt).await?;
                log.hold_receipt(size, receipt.clone());
                Some((size, receipt))
            }
            Some((size, receipt, false)) => Some((size, receipt)),
            None => None,
        };
        let (missing_blobs, _) = backend.missing_blobs(&scope, log).await?;
        Ok(CheckpointResponse {
            records: log.size(),
            cosigned_size: receipt.as_ref().map_or(0, |(s, _)| *s),
            receipt: receipt.map(|(_, r)| r),
            missing_blobs,
        })
    })
    .await
    })
    .await?;
    Ok(axum::Json(response))
}

fn valid_sha256(s: &str) -> Result<(), IngestError> {
    if s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(IngestError::BadRequest(format!(
            "{s:?} is not a SHA-256 in lowercase hex"
        )))
    }
}

fn offsets(status: StatusCode, offset: u64, length: u64) -> Response {
    let mut r = status.into_response();
    r.headers_mut()
        .insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    r.headers_mut()
        .insert(UPLOAD_LENGTH, HeaderValue::from(length));
    r
}

fn referenced_size(log: &SessionLog, sha256: &str) -> Result<u64, IngestError> {
    log.blobs().get(sha256).copied().ok_or_else(|| {
        IngestError::NotFound(format!(
            "no record held names blob {sha256}: upload the records first"
        ))
    })
}

async fn head_blob(
    State(backend): State<Arc<Backend>>,
    UrlPath((id, sha256)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, IngestError> {
    let claims = tokens::authorize(&backend.keys, bearer(&headers), &id, false)?;
    let scope = scope(&claims, &id)?;
    valid_sha256(&sha256)?;
    let store = backend.session_store(&scope);
    with_session(&backend, &scope, async |log| {
        let size = referenced_size(log, &sha256)?;
        let offset = if store.has_blob(&sha256).await? {
            size
        } else {
            store.upload_offset(&sha256).await?
        };
        Ok(offsets(StatusCode::OK, offset, size))
    })
    .await
}

async fn put_blob(
    State(backend): State<Arc<Backend>>,
    UrlPath((id, sha256)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IngestError> {
    let claims = tokens::authorize(&backend.keys, bearer(&headers), &id, true)?;
    let scope = scope(&claims, &id)?;
    valid_sha256(&sha256)?;
    if body.len() > protocol::MAX_CHUNK_BYTES {
        return Err(IngestError::TooLarge(format!(
            "a chunk holds at most {} bytes",
            protocol::MAX_CHUNK_BYTES
        )));
    }
    let range = headers
        .get(header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(protocol::parse_content_range)
        .ok_or_else(|| {
            IngestError::BadRequest(
                "a blob chunk needs `Content-Range: bytes START-END/TOTAL`".into(),
            )
        })?;
    let (start, end, total) = range;
    if end - start != body.len() as u64 {
        return Err(IngestError::BadRequest(format!(
            "Content-Range announces {} bytes; the body has {}",
            end - start,
            body.len()
        )));
    }
    detached(async move {
        let store = backend.session_store(&scope);
        with_session(&backend, &scope, async |log| {
            let size = referenced_size(log, &sha256)?;
            if total != size {
                return Err(IngestError::Rejected(format!(
                    "blob {sha256} is {size} bytes by its record, not {total}"
                )));
            }
            if store.has_blob(&sha256).await? {
                return Ok(offsets(StatusCode::OK, size, size));
            }
            let offset = store.upload_offset(&sha256).await?;
            if start != offset {
                return Err(IngestError::Conflict {
                    message: format!(
                        "the server holds {offset} bytes of blob {sha256}; continue from there"
                    ),
                    offset: Some(offset),
                });
            }
            store.put_part(&sha256, start, body.clone()).await?;
            if end < size {
                return Ok(offsets(StatusCode::NO_CONTENT, end, size));
            }
            assemble(&store, &sha256, size).await?;
            Ok(offsets(StatusCode::CREATED, size, size))
        })
        .await
    })
    .await
}

/// Joins a blob's parts into the final object, checking its SHA-256 before
/// the object appears; a blob that does not match its name is discarded.
async fn assemble(store: &SessionStore, sha256: &str, size: u64) -> Result<(), IngestError> {
    let parts = store.parts(sha256).await?;
    let upload = store
        .object_store()
        .put_multipart(&store.blob_path(sha256))
        .await?;
    let mut writer = WriteMultipart::new(upload);
    let mut ctx = digest::Context::new(&digest::SHA256);
    let mut at = 0;
    for (offset, len) in parts {
        if offset != at {
            continue;
        }
        let data = store.part(sha256, offset).await?;
        ctx.update(&data);
        writer.put(data);
        at += len;
    }
    let hash = to_hex(ctx.finish().as_ref());
    if at != size || hash != sha256 {
        writer.abort().await?;
        store.delete_parts(sha256).await?;
        return Err(IngestError::Rejected(format!(
            "the uploaded blob has SHA-256 {hash} and {at} bytes, not {sha256} and {size}: it was discarded, upload it again"
        )));
    }
    writer.finish().await?;
    store.delete_parts(sha256).await
}

async fn post_token(
    State(backend): State<Arc<Backend>>,
    body: Bytes,
) -> Result<axum::Json<protocol::Tokens>, IngestError> {
    let request: TokenRequest = serde_json::from_slice(&body)
        .map_err(|e| IngestError::BadRequest(format!("the body is not a token request: {e}")))?;
    let tokens = tokens::refresh(
        &backend.keys,
        &backend.store,
        &request.refresh_token,
        backend.access_ttl_secs,
    )
    .await?;
    Ok(axum::Json(tokens))
}

async fn post_join(
    State(backend): State<Arc<Backend>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<protocol::JoinResponse>, IngestError> {
    let request: protocol::JoinRequest = serde_json::from_slice(&body)
        .map_err(|e| IngestError::BadRequest(format!("the body is not a join request: {e}")))?;
    let authorization = bearer(&headers).map(str::to_owned);
    detached(async move {
        let _one_at_a_time = backend.joins.lock().await;
        join::join(
            &backend.keys,
            &backend.store,
            authorization.as_deref(),
            &request,
            backend.access_ttl_secs,
        )
        .await
    })
    .await
    .map(axum::Json)
}

async fn post_exam_key(
    State(backend): State<Arc<Backend>>,
    UrlPath(session): UrlPath<String>,
    headers: HeaderMap,
) -> Result<axum::Json<protocol::ExamKeyResponse>, IngestError> {
    let claims = tokens::authorize(&backend.keys, bearer(&headers), &session, true)?;
    join::exam_key(&backend.store, &claims)
        .await
        .map(axum::Json)
}

async fn get_backend_key(State(backend): State<Arc<Backend>>) -> String {
    format!("{}\n", backend.keys.cosigner.verifier().encode())
}

async fn get_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI)
}
