//! The tenant's side of the backend: list and look at sessions for review,
//! and read the access log. Every route takes a staff token of the tenant
//! and checks its role against the action ([`crate::roles`]); every access
//! is appended to the tenant's access log before anything is answered, so
//! nothing is seen that the log does not hold.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::HeaderMap;
use paraakh_evidence::layout;
use paraakh_policy::jwt::Claims;
use serde::{Deserialize, Serialize};

use crate::index::{AccessEntry, Index, NewAccess, SessionFilter, SessionRow};
use crate::roles::{self, Action};
use crate::server::{Backend, bearer, off_workers};
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
    let claims = tokens::verify_token(backend.keys(), bearer(headers))?;
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
    permitted.map_err(IngestError::Forbidden)?;
    Ok(claims)
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
    Ok(axum::Json(AccessLog {
        tenant: claims.tenant,
        entries,
    }))
}
