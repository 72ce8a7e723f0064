//! The tenant's side of the backend: list and look at sessions for review,
//! and read the access log. Every route takes a staff token of the tenant
//! and checks its role against the action ([`crate::roles`]); every access
//! is appended to the tenant's access log before anything is answered, so
//! nothing is seen that the log does not hold.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::HeaderMap;
use paraakh_evidence::keys::NoteSigner;
use paraakh_evidence::record::to_hex;
use paraakh_evidence::review::{self, NewDecision, SignedDecision, Verdict};
use paraakh_evidence::{Severity, layout};
use paraakh_policy::jwt::Claims;
use serde::{Deserialize, Serialize};

use crate::index::{AccessEntry, Index, NewAccess, SessionFilter, SessionRow};
use crate::log::Scope;
use crate::review_page::{by_cookie, credentials};
use crate::roles::{self, Action};
use crate::server::{Backend, ReadBody, off_workers, read_body};
use crate::{IngestError, tokens};

/// A page of the tenant's sessions.
#[derive(Debug, Serialize)]
pub struct SessionList {
    /// The sessions, in id order.
    pub sessions: Vec<SessionRow>,
    /// Give this as `after` for the next page (absent on the last page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// Where to start reading the access log.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// The first entry (default 0).
    pub from: Option<u64>,
    /// At most this many (default 1000, at most 10000).
    pub limit: Option<u32>,
}

/// A part of the access log.
#[derive(Debug, Serialize)]
pub struct AccessLog {
    /// The tenant.
    pub tenant: String,
    /// The entries, in order.
    pub entries: Vec<AccessEntry>,
    /// The chain's head after the last entry given, cosigned by the
    /// backend (C2SP tlog-cosignature/v1 under its cosigning key):
    /// `paraakh access log v1`, `tenant T`, `size N`, `head HASH`. An
    /// auditor who kept it can show a later log was rewritten.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

fn index(backend: &Backend) -> Result<Arc<Index>, IngestError> {
    backend.index().ok_or_else(|| {
        IngestError::Config(
            "this backend runs without an index: start it with `paraakh ingest serve`".into(),
        )
    })
}

/// Checks the token, then its role for `action`, and appends the attempt
/// to the tenant's log either way (allowed or refused); returns the token's
/// claims when allowed. A token that does not verify names no tenant: it is
/// refused without an entry.
async fn access(
    backend: &Arc<Backend>,
    headers: &HeaderMap,
    action: Action,
    target: String,
) -> Result<Claims, IngestError> {
    let claims = tokens::verify_token(backend.keys(), credentials(headers).as_deref())?;
    log_attempt(backend, &claims, action, target).await?;
    Ok(claims)
}

/// Appends an attempt by `claims` to the tenant's log, allowed or refused by
/// its role; the refusal is the error.
pub(crate) async fn log_attempt(
    backend: &Arc<Backend>,
    claims: &Claims,
    action: Action,
    target: String,
) -> Result<(), IngestError> {
    let permitted = roles::permit(claims.role, action);
    let index = index(backend)?;
    let entry = NewAccess {
        tenant: claims.tenant.clone(),
        at: tokens::now_secs(),
        actor: claims.sub.clone().unwrap_or_else(|| {
            format!("candidate of {}", claims.session.as_deref().unwrap_or("?"))
        }),
        role: claims.role.as_str().to_owned(),
        action: action.as_str().to_owned(),
        target,
        allowed: permitted.is_ok(),
    };
    off_workers(move || index.log_access(&entry)).await?;
    permitted.map_err(IngestError::Forbidden)
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, IngestError> {
    q.map(|Query(t)| t)
        .map_err(|e| IngestError::BadRequest(format!("the query is not understood: {e}")))
}

/// `GET /v1/review/sessions`: the tenant's sessions, filtered.
pub(crate) async fn list_sessions(
    State(backend): State<Arc<Backend>>,
    headers: HeaderMap,
    filter: Result<Query<SessionFilter>, QueryRejection>,
) -> Result<axum::Json<SessionList>, IngestError> {
    let filter = query(filter)?;
    let target = serde_json::to_string(&filter).unwrap_or_default();
    let claims = access(&backend, &headers, Action::ListSessions, target).await?;
    let index = index(&backend)?;
    let limit = filter.limit.unwrap_or(100).clamp(1, 1000) as usize;
    let sessions = off_workers(move || index.list(&claims.tenant, &filter)).await?;
    let next_after = (sessions.len() == limit)
        .then(|| sessions.last().map(|s| s.session_id.clone()))
        .flatten();
    Ok(axum::Json(SessionList {
        sessions,
        next_after,
    }))
}

/// `GET /v1/review/sessions/{id}`: one session of the tenant.
pub(crate) async fn view_session(
    State(backend): State<Arc<Backend>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Result<axum::Json<SessionRow>, IngestError> {
    if !layout::valid_id(&id) {
        return Err(IngestError::BadRequest(format!(
            "{id:?} is not a session id"
        )));
    }
    let claims = access(&backend, &headers, Action::ViewSession, id.clone()).await?;
    let index = index(&backend)?;
    let tenant = claims.tenant.clone();
    let row = off_workers(move || index.session(&tenant, &id)).await?;
    // Another tenant's session is not found: its existence is not told either.
    row.map(axum::Json).ok_or_else(|| {
        IngestError::NotFound(format!("tenant {} holds no such session", claims.tenant))
    })
}

/// `GET /v1/access-log`: the tenant's access log (this read is in it too).
pub(crate) async fn access_log(
    State(backend): State<Arc<Backend>>,
    headers: HeaderMap,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Result<axum::Json<AccessLog>, IngestError> {
    let q = query(q)?;
    let from = q.from.unwrap_or(0);
    let claims = access(
        &backend,
        &headers,
        Action::ReadAccessLog,
        format!("from={from}"),
    )
    .await?;
    let index = index(&backend)?;
    let tenant = claims.tenant.clone();
    let entries =
        off_workers(move || index.access_log(&tenant, from, q.limit.unwrap_or(1000))).await?;
    let checkpoint = match entries.last() {
        Some(last) => {
            let text = paraakh_review::access_log::checkpoint_text(
                &claims.tenant,
                last.seq + 1,
                &last.hash,
            );
            let mut note = paraakh_evidence::note::SignedNote::sign(&text, &[])
                .map_err(|e| IngestError::Config(e.to_string()))?;
            note.cosign(
                &backend.keys().cosigner,
                u64::try_from(tokens::now_secs()).unwrap_or(0),
            )
            .map_err(|e| IngestError::Config(e.to_string()))?;
            Some(note.encode())
        }
        None => None,
    };
    Ok(axum::Json(AccessLog {
        tenant: claims.tenant,
        entries,
        checkpoint,
    }))
}

/// A reviewer's decision, as posted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// The event record.
    pub event_seq: u64,
    /// Its leaf hash as the reviewer's copy has it (hex): refused if the
    /// backend's record differs.
    #[serde(default)]
    pub event_hash: Option<String>,
    /// `confirmed`, `dismissed` or `second_review`.
    pub verdict: String,
    /// Why.
    #[serde(default)]
    pub note: String,
}

/// A recorded decision.
#[derive(Debug, Serialize, Deserialize)]
pub struct DecisionReply {
    /// Its place in the review log.
    pub position: u64,
    /// The event.
    pub event_seq: u64,
    /// The decision.
    pub verdict: Verdict,
    /// The reviewer (the token's subject).
    pub reviewer: String,
    /// The reviewer's key that signed it (held by the backend for them).
    pub reviewer_key: String,
    /// When the backend cosigned it (POSIX seconds).
    pub cosigned_at: u64,
}

/// The key that signs `subject`'s decisions for `tenant`: derived from the
/// backend's key, so every replica holding it signs with the same one.
fn reviewer_key(backend: &Backend, tenant: &str, subject: &str) -> Result<NoteSigner, IngestError> {
    let label = format!("paraakh reviewer key v1\n{tenant}\n{subject}\n");
    backend
        .keys()
        .cosigner
        .derive(subject, label.as_bytes())
        .map_err(|_| {
            IngestError::Forbidden(format!(
                "{subject:?} cannot name a reviewer's key (no spaces or '+'): issue the token with another --subject"
            ))
        })
}

/// `POST /v1/review/sessions/{id}/decisions`: a reviewer's decision on an
/// event, signed with the reviewer's key, cosigned by the backend and
/// appended to the session's review log.
pub(crate) async fn decide(
    State(backend): State<Arc<Backend>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<DecisionReply>, IngestError> {
    if !layout::valid_id(&id) {
        return Err(IngestError::BadRequest(format!(
            "{id:?} is not a session id"
        )));
    }
    let claims = tokens::verify_token(backend.keys(), credentials(&headers).as_deref())?;
    // A signed-in page sends JSON; a cross-site form cannot.
    if by_cookie(&headers)
        && !headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
    {
        return Err(IngestError::Forbidden(
            "a decision sent with the sign-in cookie must be JSON (application/json)".into(),
        ));
    }
    let body: ReadBody = read_body(&backend, &headers, body, 64 << 10).await?;
    let request: DecisionRequest = serde_json::from_slice(&body.bytes).map_err(|e| {
        IngestError::BadRequest(format!(
            "the body is not a decision ({{event_seq, verdict, note}}): {e}"
        ))
    })?;
    let target = format!("{id} record {}: {}", request.event_seq, request.verdict);
    log_attempt(&backend, &claims, Action::Decide, target).await?;
    let verdict = Verdict::parse(&request.verdict).ok_or_else(|| {
        IngestError::BadRequest(format!(
            "{:?} is not a decision: confirmed, dismissed or second_review",
            request.verdict
        ))
    })?;
    let subject = claims.sub.clone().unwrap_or_default();
    let reviewer = reviewer_key(&backend, &claims.tenant, &subject)?;
    let scope = Scope {
        tenant: claims.tenant.clone(),
        session: id.clone(),
        exam: None,
    };
    // One decision of a session at a time here; another replica's is kept
    // out by the conditional write.
    let slot = backend.slot(&scope);
    let _held = slot.lock().await;
    let store = backend.session_store(&scope);
    let record = store.record(request.event_seq).await?.ok_or_else(|| {
        IngestError::NotFound(format!(
            "tenant {} holds no record {} of session {id}",
            claims.tenant, request.event_seq
        ))
    })?;
    let origin = layout::origin(&claims.tenant, &id);
    let event = review::event_ref(origin, request.event_seq, &record)
        .map_err(|e| IngestError::BadRequest(e.to_string()))?;
    if let Some(hash) = &request.event_hash
        && *hash != to_hex(&event.leaf)
    {
        return Err(IngestError::Conflict {
            message: format!(
                "record {} here is not the one your copy shows (its hash differs): reload the session",
                request.event_seq
            ),
            offset: None,
        });
    }
    let mut leaves = Vec::new();
    for (position, note) in store.decisions().await? {
        let d = SignedDecision::parse(&note).map_err(|e| {
            IngestError::Config(format!(
                "decision {position} of session {id} is damaged: {e}"
            ))
        })?;
        if d.decision.position != position || position != leaves.len() as u64 {
            return Err(IngestError::Config(format!(
                "the review log of session {id} has a gap before decision {position}"
            )));
        }
        leaves.push(d.leaf());
    }
    let now = tokens::now_secs();
    let time = u64::try_from(now).unwrap_or(0);
    let mut signed = review::sign(
        &leaves,
        &event,
        &reviewer,
        &NewDecision {
            event_seq: request.event_seq,
            verdict,
            note: &request.note,
            time,
        },
    )
    .map_err(|e| IngestError::BadRequest(e.to_string()))?;
    signed
        .note
        .cosign(&backend.keys().cosigner, time)
        .map_err(|e| IngestError::Config(e.to_string()))?;
    let position = signed.decision.position;
    store.put_decision(position, &signed.note.encode()).await?;
    if let Some(index) = backend.index() {
        let (tenant, session, seq) = (claims.tenant.clone(), id.clone(), request.event_seq);
        let serious = event.severity >= Severity::High;
        off_workers(move || {
            index.record_decision(&tenant, &session, seq, serious, verdict.as_str(), position)
        })
        .await?;
    }
    Ok(axum::Json(DecisionReply {
        position,
        event_seq: request.event_seq,
        verdict,
        reviewer: subject,
        reviewer_key: reviewer.verifier().encode(),
        cosigned_at: time,
    }))
}

/// `PUT /v1/review/sessions/{id}/hold`: a legal hold (admin): the retention
/// sweep never deletes the session while it lasts.
pub(crate) async fn hold(
    State(backend): State<Arc<Backend>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Result<axum::Json<SessionRow>, IngestError> {
    set_hold(&backend, id, &headers, true).await
}

/// `DELETE /v1/review/sessions/{id}/hold`: the hold lifted (admin).
pub(crate) async fn release(
    State(backend): State<Arc<Backend>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Result<axum::Json<SessionRow>, IngestError> {
    set_hold(&backend, id, &headers, false).await
}

async fn set_hold(
    backend: &Arc<Backend>,
    id: String,
    headers: &HeaderMap,
    held: bool,
) -> Result<axum::Json<SessionRow>, IngestError> {
    if !layout::valid_id(&id) {
        return Err(IngestError::BadRequest(format!(
            "{id:?} is not a session id"
        )));
    }
    let what = if held {
        "legal hold on"
    } else {
        "legal hold lifted"
    };
    let claims = access(
        backend,
        headers,
        Action::ManageRetention,
        format!("{id}: {what}"),
    )
    .await?;
    let index = index(backend)?;
    let tenant = claims.tenant.clone();
    let row = off_workers(move || {
        if index.set_hold(&tenant, &id, held)? {
            index.session(&tenant, &id)
        } else {
            Ok(None)
        }
    })
    .await?;
    row.map(axum::Json).ok_or_else(|| {
        IngestError::NotFound(format!(
            "tenant {} holds no such session (or it was deleted)",
            claims.tenant
        ))
    })
}
