//! The upload protocol over HTTP (axum on hyper). Each request's token is
//! checked before its body is read, and bodies are read within the limits
//! (size, time). Work on one session takes the session's lock, so repeated
//! or concurrent requests apply in order and exactly once; sessions do not
//! wait for each other, and the checking itself (parsing, hashing,
//! signatures) runs off the async workers. Idle sessions leave memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use paraakh_evidence::frame::{FileKind, parse_all};
use paraakh_evidence::layout;
use paraakh_evidence::note::SignedNote;
use paraakh_evidence::record::to_hex;
use paraakh_evidence::statement::StatementEvent;
use paraakh_protocol::{
    self as protocol, CheckpointRequest, CheckpointResponse, MissingBlob, SessionStatus,
    StatementRequest, StatementResponse, TokenRequest, UPLOAD_LENGTH, UPLOAD_OFFSET,
};
use ring::digest;

use crate::binding::{self, BoundBy};
use crate::config::BackendKeys;
use crate::index::{Index, Upload};
use crate::limits::Limits;
use crate::log::{Batch, Expect, Scope, SessionLog};
use crate::store::SessionStore;
use crate::{IngestError, evidence_url, join, review_api, review_page, tokens};

/// The OpenAPI document of the protocol, served at `/openapi.yaml`.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");

pub(crate) type Slot = Arc<tokio::sync::Mutex<Option<SessionLog>>>;

/// A session's state in memory and when it was last asked for.
#[derive(Debug)]
struct Held {
    slot: Slot,
    used: Instant,
}

/// The running backend: keys, storage, limits and the sessions in memory.
#[derive(Debug)]
pub struct Backend {
    keys: BackendKeys,
    /// Each tenant's object store.
    stores: crate::Stores,
    sessions: Mutex<HashMap<(String, String), Held>>,
    /// Joins are rare: one at a time, so a link binds to one computer even
    /// where the store has no conditional writes.
    joins: tokio::sync::Mutex<()>,
    /// Bytes each tenant holds (counted from the store once, then kept up to date).
    usage: tokio::sync::Mutex<HashMap<String, u64>>,
    access_ttl_secs: i64,
    /// Memory for request bodies, in MiB permits.
    bodies: Arc<tokio::sync::Semaphore>,
    limits: Limits,
    /// Sessions, review state and access log (see `index`); without it the
    /// upload protocol works and the tenant's routes say it is missing.
    index: Option<Arc<Index>>,
    /// Tenants' evidence keys given to render review pages (tenant → key).
    tenant_secrets: HashMap<String, paraakh_evidence::TenantSecretKey>,
}

impl Backend {
    /// A backend over `store` signing with `keys`.
    pub fn new(
        keys: BackendKeys,
        store: Arc<dyn ObjectStore>,
        access_ttl_secs: i64,
        limits: Limits,
    ) -> Self {
        Self {
            keys,
            stores: crate::Stores::single(store),
            sessions: Mutex::new(HashMap::new()),
            joins: tokio::sync::Mutex::new(()),
            usage: tokio::sync::Mutex::new(HashMap::new()),
            access_ttl_secs,
            bodies: Arc::new(tokio::sync::Semaphore::new(
                limits.body_memory_mib.max(1) as usize
            )),
            limits,
            index: None,
            tenant_secrets: HashMap::new(),
        }
    }

    /// The same backend handing out the store's own presigned URLs for
    /// evidence (an S3 store's; see [`crate::open_signer`]).
    pub fn with_store_signer(mut self, signer: Option<crate::evidence_url::StoreSigner>) -> Self {
        self.stores = self.stores.with_signer(signer);
        self
    }

    /// The same backend keeping each tenant's objects where `stores` says.
    pub fn with_stores(mut self, stores: crate::Stores) -> Self {
        self.stores = stores;
        self
    }

    /// The store of `tenant`'s objects.
    pub(crate) fn store(&self, tenant: &str) -> &Arc<dyn ObjectStore> {
        self.stores.of(tenant)
    }

    pub(crate) fn store_signer(&self, tenant: &str) -> Option<&crate::evidence_url::StoreSigner> {
        self.stores.signer_of(tenant)
    }

    /// The same backend decrypting review pages' evidence with these
    /// tenants' evidence keys. Each must be the evidence key a tenant of
    /// this backend is configured with.
    pub fn with_tenant_secrets(
        mut self,
        keys: Vec<paraakh_evidence::TenantSecretKey>,
    ) -> Result<Self, IngestError> {
        for key in keys {
            let public = key.public();
            let tenant = self
                .keys
                .tenants
                .iter()
                .find(|t| t.encryption_key.as_ref().is_some_and(|k| k.key() == public.key()))
                .ok_or_else(|| {
                    IngestError::Config(format!(
                        "the evidence key {:?} is no tenant's here: give the encryption.key whose encryption.pub a tenant was started with",
                        public.name()
                    ))
                })?;
            self.tenant_secrets.insert(tenant.tenant.clone(), key);
        }
        Ok(self)
    }

    /// A copy of `tenant`'s evidence key, if this backend was given it.
    pub(crate) fn tenant_secret(&self, tenant: &str) -> Option<paraakh_evidence::TenantSecretKey> {
        self.tenant_secrets
            .get(tenant)
            .and_then(|k| paraakh_evidence::TenantSecretKey::parse(&k.encode()).ok())
    }

    /// The same backend keeping its index in `index`.
    pub fn with_index(mut self, index: Arc<Index>) -> Self {
        self.index = Some(index);
        self
    }

    pub(crate) fn index(&self) -> Option<Arc<Index>> {
        self.index.clone()
    }

    pub(crate) fn keys(&self) -> &BackendKeys {
        &self.keys
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
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
            .route("/v1/sessions/{id}/statement", post(post_statement))
            .route("/v1/review/sessions", get(review_api::list_sessions))
            .route("/v1/review/sessions/{id}", get(review_api::view_session))
            .route(
                "/v1/review/sessions/{id}/decisions",
                post(review_api::decide),
            )
            .route("/v1/access-log", get(review_api::access_log))
            .route(
                "/v1/review/sessions/{id}/hold",
                axum::routing::put(review_api::hold).delete(review_api::release),
            )
            .route(
                "/v1/review/sessions/{id}/evidence/{sha256}",
                post(evidence_url::issue),
            )
            .route(
                "/v1/evidence/{tenant}/{id}/{sha256}",
                get(evidence_url::fetch),
            )
            .route(
                "/review/login",
                get(review_page::login_form).post(review_page::login),
            )
            .route("/review/sessions/{id}", get(review_page::session_page))
            .route(protocol::JOIN_PATH, post(post_join))
            .route(protocol::TOKEN_PATH, post(post_token))
            .route(protocol::BACKEND_KEY_PATH, get(get_backend_key))
            .route(protocol::OPENAPI_PATH, get(get_openapi))
            .route("/healthz", get(|| async { "ok\n" }))
            .with_state(self)
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Held>> {
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn slot(&self, scope: &Scope) -> Slot {
        let mut sessions = self.sessions();
        let held = sessions
            .entry((scope.tenant.clone(), scope.session.clone()))
            .or_insert_with(|| Held {
                slot: Slot::default(),
                used: Instant::now(),
            });
        held.used = Instant::now();
        Arc::clone(&held.slot)
    }

    /// Drops a session's state (it is rebuilt from storage on the next
    /// request), keeping its lock: two states of one session never coexist.
    async fn forget(&self, scope: &Scope) {
        let slot = self
            .sessions()
            .get(&(scope.tenant.clone(), scope.session.clone()))
            .map(|held| Arc::clone(&held.slot));
        if let Some(slot) = slot {
            *slot.lock().await = None;
        }
    }

    /// Drops the state of sessions nobody asked for lately and nobody uses
    /// now. Returns how many are still in memory.
    pub fn evict_idle(&self) -> usize {
        let idle = self.limits.idle_session;
        let mut sessions = self.sessions();
        sessions.retain(|_, held| Arc::strong_count(&held.slot) > 1 || held.used.elapsed() < idle);
        sessions.len()
    }

    pub(crate) fn session_store(&self, scope: &Scope) -> SessionStore {
        SessionStore::new(
            Arc::clone(self.store(&scope.tenant)),
            &scope.tenant,
            &scope.session,
        )
    }

    /// What the session must be, from outside its records.
    async fn expect(&self, scope: &Scope) -> Result<Expect, IngestError> {
        let tenant_key = self
            .keys
            .tenant(&scope.tenant)
            .and_then(|t| t.encryption_key.as_ref())
            .map(|k| *k.key());
        // An exam handed out here: its policy bounds what a client records.
        let policy_bound = match &scope.exam {
            Some(exam) => {
                match join::exam_entry(self.store(&scope.tenant), &scope.tenant, exam).await {
                    Ok(entry) => entry.max_blob_bytes,
                    Err(IngestError::NotFound(_) | IngestError::BadRequest(_)) => None,
                    Err(e) => return Err(e),
                }
            }
            None => None,
        };
        Ok(Expect {
            tenant_key,
            device: binding::bound_device(self.store(&scope.tenant), &scope.tenant, &scope.session)
                .await?,
            nonces: binding::statement_nonces(
                self.store(&scope.tenant),
                &scope.tenant,
                &scope.session,
            )
            .await?,
            max_blob_bytes: policy_bound.map_or(self.limits.max_blob_bytes, |b| {
                b.min(self.limits.max_blob_bytes)
            }),
            quota_bytes: self.limits.session_quota_bytes,
            max_checkpoints: self.limits.max_checkpoints,
        })
    }

    /// Rebuilds a session's state from storage, checking everything again:
    /// linear in its size (each checkpoint costs O(log n)).
    async fn load(&self, scope: &Scope) -> Result<SessionLog, IngestError> {
        let store = self.session_store(scope);
        let expect = self.expect(scope).await?;
        let batches = store.record_batches().await?;
        let checkpoints = store.notes("checkpoints").await?;
        let receipts = store.notes("receipts").await?;
        let scope = scope.clone();
        let log = off_workers(move || {
            let mut log = SessionLog::new(scope.clone(), expect);
            for (first, end, framed) in batches {
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
                    log.replay(&frame.payload)?;
                }
            }
            for (size, text) in checkpoints {
                let note = SignedNote::parse(&text).map_err(|e| {
                    IngestError::Config(format!("a stored checkpoint is damaged: {e}"))
                })?;
                log.check_checkpoint(&note)?;
                log.hold_checkpoint(size, note);
            }
            for (size, text) in receipts {
                log.hold_receipt(size, String::from_utf8_lossy(&text).into_owned());
            }
            Ok(log)
        })
        .await?;
        // A crash between storing a blob and removing its parts leaves the
        // parts behind: they are removed when the session is loaded again.
        for sha256 in store.blob_names().await? {
            store.delete_parts(&sha256).await?;
        }
        Ok(log)
    }

    /// Counts `bytes` more against the tenant's quota, or refuses them.
    async fn charge(&self, tenant: &str, bytes: u64) -> Result<(), IngestError> {
        let quota = self.limits.tenant_quota_bytes;
        if quota == u64::MAX {
            return Ok(());
        }
        let mut usage = self.usage.lock().await;
        let used = match usage.get(tenant) {
            Some(u) => *u,
            None => crate::store::tenant_bytes(self.store(tenant), tenant).await?,
        };
        if used.saturating_add(bytes) > quota {
            usage.insert(tenant.to_owned(), used);
            return Err(IngestError::QuotaExceeded(format!(
                "tenant {tenant} holds {used} bytes of its quota of {quota}: the exam centre must raise the quota or let old evidence go"
            )));
        }
        usage.insert(tenant.to_owned(), used + bytes);
        Ok(())
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

    /// Applies a checkpoint request: checks it off the async workers, keeps
    /// what it adds, cosigns. A refused fork is kept as evidence.
    async fn checkpoints(
        &self,
        scope: &Scope,
        batch: Batch,
    ) -> Result<CheckpointResponse, IngestError> {
        let store = self.session_store(scope);
        let slot = self.slot(scope);
        let mut guard = slot.lock().await;
        // Taken out of the slot: after a storage error or a refusal that
        // touched it, the state is rebuilt from storage, so memory never runs
        // ahead of what was stored.
        let log = match guard.take() {
            // Records beyond what this replica holds in memory: another
            // replica took some meanwhile; read what is stored.
            Some(log) if batch.first_seq <= log.size() => log,
            _ => self.load(scope).await?,
        };
        let now = u64::try_from(tokens::now_secs()).unwrap_or(0);
        let (log, applied) = off_workers(move || {
            let mut log = log;
            let result = log.apply(&batch, now);
            Ok((log, result))
        })
        .await?;
        let applied = match applied {
            Ok(a) => a,
            Err(refusal) => {
                if !refusal.touched {
                    // Refused before anything changed: no reload needed.
                    *guard = Some(log);
                }
                if let Some(conflict) = &refusal.conflict {
                    store
                        .put_conflict(conflict, self.limits.max_conflicts)
                        .await?;
                }
                return Err(refusal.error);
            }
        };
        if let Some(device) = applied.bind_device {
            // Recorded before any session statement: bound by its first upload.
            binding::bind(
                self.store(&scope.tenant),
                &scope.tenant,
                &scope.session,
                &device,
                BoundBy::Upload,
            )
            .await?;
        }
        if !applied.framed.is_empty() {
            self.charge(&scope.tenant, applied.framed.len() as u64)
                .await?;
            store.put_records(applied.first_new, applied.framed).await?;
        }
        for (size, note) in &applied.checkpoints {
            store.put_note("checkpoints", *size, &note.encode()).await?;
        }
        let mut log = log;
        let receipt = match log.cosign_latest(&self.keys.cosigner, now)? {
            Some((size, receipt, true)) => {
                store.put_note("receipts", size, &receipt).await?;
                log.hold_receipt(size, receipt.clone());
                Some((size, receipt))
            }
            Some((size, receipt, false)) => Some((size, receipt)),
            None => None,
        };
        if let Some(index) = self.index() {
            // What is held, not what changed: a retried request heals a
            // row an earlier failure left behind.
            let (tenant, session, exam) = (
                scope.tenant.clone(),
                scope.session.clone(),
                scope.exam.clone(),
            );
            let (records, ended, max_severity, serious_events) = (
                log.size(),
                log.ended(),
                log.max_severity(),
                log.serious_events(),
            );
            off_workers(move || {
                index.record_upload(&Upload {
                    tenant: &tenant,
                    session_id: &session,
                    exam_id: exam.as_deref(),
                    records,
                    ended,
                    max_severity,
                    serious_events,
                    at: tokens::now_secs(),
                })
            })
            .await?;
        }
        let (missing_blobs, _) = self.missing_blobs(scope, &log).await?;
        let response = CheckpointResponse {
            records: log.size(),
            cosigned_size: receipt.as_ref().map_or(0, |(s, _)| *s),
            receipt: receipt.map(|(_, r)| r),
            missing_blobs,
        };
        *guard = Some(log);
        Ok(response)
    }
}

/// Runs CPU work (parsing, hashing, signatures) on the blocking pool, so
/// the async workers keep answering (health checks, other sessions).
pub(crate) async fn off_workers<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IngestError> + Send + 'static,
) -> Result<T, IngestError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| IngestError::Config(format!("a check failed to run: {e}")))?
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

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// A request's body, and its share of the memory for bodies (held until
/// the request is done with it).
pub(crate) struct ReadBody {
    pub(crate) bytes: Bytes,
    _memory: tokio::sync::OwnedSemaphorePermit,
}

/// Reads a request's body after its token was checked: at most `limit`
/// bytes (a larger announced length is refused without reading), within
/// the body time limit, and within the memory all bodies may take together.
pub(crate) async fn read_body(
    backend: &Backend,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<ReadBody, IngestError> {
    let too_large = || {
        IngestError::TooLarge(format!(
            "the request body is larger than the {limit} bytes this request may carry"
        ))
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let timeout = backend.limits.body_timeout;
    let needed = announced.unwrap_or(limit as u64).div_ceil(1 << 20).max(1);
    let needed = u32::try_from(needed)
        .unwrap_or(u32::MAX)
        .min(backend.limits.body_memory_mib.max(1));
    let memory = match tokio::time::timeout(
        timeout,
        Arc::clone(&backend.bodies).acquire_many_owned(needed),
    )
    .await
    {
        Ok(Ok(permit)) => permit,
        _ => {
            return Err(IngestError::Busy(
                "the backend is busy receiving other requests; try again in a moment".into(),
            ));
        }
    };
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(ReadBody {
            bytes,
            _memory: memory,
        }),
        Ok(Err(e)) => Err(IngestError::BadRequest(format!(
            "the request body is larger than {limit} bytes or could not be read: {e}"
        ))),
        Err(_) => Err(IngestError::Timeout(format!(
            "the request body did not arrive within {} s",
            timeout.as_secs()
        ))),
    }
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

/// Runs `f` on the session's state (which it only reads), loading it
/// first if needed. Only [`Backend::checkpoints`] changes the state.
async fn with_session<T>(
    backend: &Backend,
    scope: &Scope,
    f: impl AsyncFnOnce(&SessionLog) -> Result<T, IngestError>,
) -> Result<T, IngestError> {
    let slot = backend.slot(scope);
    let mut guard = slot.lock().await;
    if guard.is_none() {
        *guard = Some(backend.load(scope).await?);
    }
    let Some(log) = guard.as_ref() else {
        return Err(IngestError::Config("session state vanished".into()));
    };
    f(log).await
}

/// A candidate's token for a session whose rights were not revoked.
async fn candidate(
    backend: &Backend,
    headers: &HeaderMap,
    id: &str,
    write: bool,
) -> Result<(paraakh_policy::jwt::Claims, Scope), IngestError> {
    let claims = tokens::authorize(&backend.keys, bearer(headers), id, write)?;
    let scope = scope(&claims, id)?;
    if claims.role == paraakh_policy::jwt::Role::Candidate {
        binding::refuse_if_revoked(backend.store(&scope.tenant), &scope.tenant, &scope.session)
            .await?;
    }
    refuse_if_deleted(backend, &scope).await?;
    Ok((claims, scope))
}

/// A session the retention deleted (perhaps by another replica, or `ingest
/// sweep`) takes nothing more, whatever state of it is in memory here.
async fn refuse_if_deleted(backend: &Backend, scope: &Scope) -> Result<(), IngestError> {
    let Some(index) = backend.index() else {
        return Ok(());
    };
    let (tenant, session) = (scope.tenant.clone(), scope.session.clone());
    let row = off_workers(move || index.session(&tenant, &session)).await?;
    if let Some(at) = row.and_then(|r| r.deleted_at) {
        backend.forget(scope).await;
        return Err(IngestError::Closed(format!(
            "session {} was deleted under the tenant's retention (at {at}): nothing more of it is taken",
            scope.session
        )));
    }
    Ok(())
}

async fn get_session(
    State(backend): State<Arc<Backend>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Result<axum::Json<SessionStatus>, IngestError> {
    let (_, scope) = candidate(&backend, &headers, &id, false).await?;
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
    body: Body,
) -> Result<axum::Json<CheckpointResponse>, IngestError> {
    let (_, scope) = candidate(&backend, &headers, &id, true).await?;
    let body = read_body(&backend, &headers, body, backend.limits.max_batch_bytes).await?;
    let ReadBody { bytes, _memory } = body;
    let batch = off_workers(move || {
        let request: CheckpointRequest = serde_json::from_slice(&bytes).map_err(|e| {
            IngestError::BadRequest(format!("the request body is not a checkpoint request: {e}"))
        })?;
        Batch::decode(&request)
    })
    .await?;
    // The decoded batch takes about the body's memory until it is applied.
    let response = detached(async move {
        let _memory = _memory;
        backend.checkpoints(&scope, batch).await
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
    let (_, scope) = candidate(&backend, &headers, &id, false).await?;
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
    body: Body,
) -> Result<Response, IngestError> {
    let (_, scope) = candidate(&backend, &headers, &id, true).await?;
    valid_sha256(&sha256)?;
    let range = headers
        .get(header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(protocol::parse_content_range)
        .ok_or_else(|| {
            IngestError::BadRequest(
                "a blob chunk needs `Content-Range: bytes START-END/TOTAL`".into(),
            )
        })?;
    let ReadBody {
        bytes: body,
        _memory,
    } = read_body(&backend, &headers, body, protocol::MAX_CHUNK_BYTES).await?;
    let (start, end, total) = range;
    if end - start != body.len() as u64 {
        return Err(IngestError::BadRequest(format!(
            "Content-Range announces {} bytes; the body has {}",
            end - start,
            body.len()
        )));
    }
    detached(async move {
        let _memory = _memory;
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
            backend.charge(&scope.tenant, body.len() as u64).await?;
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
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<protocol::Tokens>, IngestError> {
    let body = read_body(&backend, &headers, body, backend.limits.max_small_body)
        .await?
        .bytes;
    let request: TokenRequest = serde_json::from_slice(&body)
        .map_err(|e| IngestError::BadRequest(format!("the body is not a token request: {e}")))?;
    // A refresh token starts with its tenant's id, which names the store.
    let tenant = request.refresh_token.split('.').next().unwrap_or_default();
    let tokens = tokens::refresh(
        &backend.keys,
        backend.store(tenant),
        &request.refresh_token,
        backend.access_ttl_secs,
    )
    .await?;
    Ok(axum::Json(tokens))
}

async fn post_join(
    State(backend): State<Arc<Backend>>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<protocol::JoinResponse>, IngestError> {
    // The link is checked before anything else is read.
    let (claims, tenant) = join::verify_link(&backend.keys, bearer(&headers))?;
    let tenant = tenant.tenant.clone();
    let body = read_body(&backend, &headers, body, backend.limits.max_small_body)
        .await?
        .bytes;
    let request: protocol::JoinRequest = serde_json::from_slice(&body)
        .map_err(|e| IngestError::BadRequest(format!("the body is not a join request: {e}")))?;
    detached(async move {
        let _one_at_a_time = backend.joins.lock().await;
        join::join(
            &backend.keys,
            backend.store(&tenant),
            &tenant,
            &claims,
            &request,
            backend.access_ttl_secs,
            backend.limits.refresh_ttl_secs,
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
    body: Body,
) -> Result<axum::Json<protocol::ExamKeyResponse>, IngestError> {
    let (claims, scope) = candidate(&backend, &headers, &session, true).await?;
    let body = read_body(&backend, &headers, body, backend.limits.max_small_body)
        .await?
        .bytes;
    let request: protocol::ExamKeyRequest = if body.is_empty() {
        protocol::ExamKeyRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            IngestError::BadRequest(format!("the body is not an exam-key request: {e}"))
        })?
    };
    let mut response = join::exam_key(backend.store(&scope.tenant), &claims).await?;
    if let (Some(device), Some(exam)) = (
        binding::bound_device(backend.store(&scope.tenant), &scope.tenant, &scope.session).await?,
        &claims.exam,
    ) {
        let note = binding::issue_statement(
            &backend.keys,
            backend.store(&scope.tenant),
            &scope.tenant,
            exam,
            &scope.session,
            device,
            StatementEvent::ExamKey,
            request.client_time_ns,
        )
        .await?;
        backend.forget(&scope).await;
        response.statement = Some(note.encode());
    }
    Ok(axum::Json(response))
}

async fn post_statement(
    State(backend): State<Arc<Backend>>,
    UrlPath(session): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<StatementResponse>, IngestError> {
    let (claims, scope) = candidate(&backend, &headers, &session, true).await?;
    let body = read_body(&backend, &headers, body, backend.limits.max_small_body)
        .await?
        .bytes;
    let request: StatementRequest = serde_json::from_slice(&body).map_err(|e| {
        IngestError::BadRequest(format!("the body is not a statement request: {e}"))
    })?;
    let device = binding::device_key_of(&request.device_key)?;
    let exam = claims
        .exam
        .clone()
        .ok_or_else(|| IngestError::Forbidden("the token names no exam".into()))?;
    binding::bind(
        backend.store(&scope.tenant),
        &scope.tenant,
        &scope.session,
        &device,
        BoundBy::Statement,
    )
    .await?;
    let note = binding::issue_statement(
        &backend.keys,
        backend.store(&scope.tenant),
        &scope.tenant,
        &exam,
        &scope.session,
        device,
        StatementEvent::Start,
        request.client_time_ns,
    )
    .await?;
    // A state in memory learns the binding and the nonce when it is rebuilt.
    backend.forget(&scope).await;
    Ok(axum::Json(StatementResponse {
        statement: note.encode(),
    }))
}

async fn get_backend_key(State(backend): State<Arc<Backend>>) -> String {
    format!("{}\n", backend.keys.cosigner.verifier().encode())
}

async fn get_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod replicas;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use object_store::memory::InMemory;

    use super::*;

    #[test]
    fn idle_sessions_leave_memory_unless_a_request_holds_them() {
        let dir = tempfile::tempdir().unwrap();
        BackendKeys::init(dir.path(), "ingest.test", &["acme".to_owned()], None).unwrap();
        let backend = Backend::new(
            BackendKeys::load(dir.path()).unwrap(),
            Arc::new(InMemory::new()),
            60,
            Limits {
                idle_session: std::time::Duration::ZERO,
                ..Limits::default()
            },
        );
        let scope = |s: &str| Scope {
            tenant: "acme".into(),
            session: s.into(),
            exam: None,
        };
        let held = backend.slot(&scope("s-busy"));
        drop(backend.slot(&scope("s-idle")));
        assert_eq!(backend.evict_idle(), 1, "only the session in use stays");
        // The one in use keeps its lock: a new request gets the same slot.
        assert!(Arc::ptr_eq(&held, &backend.slot(&scope("s-busy"))));
        drop(held);
        assert_eq!(backend.evict_idle(), 0);
    }
}
