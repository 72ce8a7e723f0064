//! Joining by link. The tenant adds an exam (its signed package and content
//! key) and hands each candidate a link carrying a token for that exam. The
//! app exchanges the token, from one computer only, for the package, a new
//! session and that session's upload tokens; from the exam's opening the
//! session's own token gets the content key that unseals the questions.
//!
//! ```text
//! tenants/<t>/exams/<exam>/package        the signed package, as added
//! tenants/<t>/exams/<exam>/exam.json      its window and content key
//! tenants/<t>/joins/<sha256(jti)>         the session and computer a link joined
//! tenants/<t>/revoked/<sha256(jti)>       a revoked link
//! ```

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use paraakh_evidence::keys::{NoteVerifier, random_bytes};
use paraakh_evidence::layout;
use paraakh_evidence::merkle::sha256;
use paraakh_evidence::record::to_hex;
use paraakh_evidence::statement::StatementEvent;
use paraakh_policy::exam::{EARLY_UNLOCK_SECS, ExamPackage};
use paraakh_policy::jwt::{self, Claims, Expected, Role, TOKEN_TYPE};
use paraakh_protocol::{ExamKeyResponse, JoinRequest, JoinResponse};
use serde::{Deserialize, Serialize};

use crate::IngestError;
use crate::binding::{self, BoundBy, get_opt};
use crate::config::{BackendKeys, TenantAuth, token_kid};
use crate::tokens::{self, now_secs};

/// Audience of link tokens: the exam app (upload tokens are for
/// [`crate::config::AUDIENCE`], so neither passes for the other).
pub const LINK_AUDIENCE: &str = "paraakh-client";
/// Longest lifetime of a link token.
pub const MAX_LINK_SECS: i64 = 365 * 86_400;

/// What the backend keeps about an exam it hands out.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamEntry {
    /// The exam.
    pub exam_id: String,
    /// Its title.
    pub title: String,
    /// Opening (POSIX seconds).
    pub opens_at: i64,
    /// Closing (POSIX seconds).
    pub closes_at: i64,
    content_key: String,
    /// The largest evidence file its policy lets a client record.
    #[serde(default)]
    pub max_blob_bytes: Option<u64>,
}

impl ExamEntry {
    /// From when the content key is released: as early as the package
    /// itself lets a start code unlock it.
    pub fn key_from(&self) -> i64 {
        self.opens_at.saturating_sub(EARLY_UNLOCK_SECS)
    }
}

/// Which session and computer a link joined.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinEntry {
    session: String,
    exam: String,
    device_key: String,
    candidate: Option<String>,
    joined_at: i64,
}

fn exam_dir(tenant: &str, exam: &str) -> String {
    format!("tenants/{tenant}/exams/{exam}")
}

fn jti_path(tenant: &str, what: &str, jti: &str) -> Path {
    Path::from(format!(
        "tenants/{tenant}/{what}/{}",
        to_hex(&sha256(jti.as_bytes()))
    ))
}

fn check_id(what: &str, id: &str) -> Result<(), IngestError> {
    if layout::valid_id(id) {
        Ok(())
    } else {
        Err(IngestError::BadRequest(format!(
            "{what} {id:?} is not an id (letters, digits, '.', '_', '-', at most 128)"
        )))
    }
}

fn json<T: Serialize>(value: &T) -> Result<Bytes, IngestError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| IngestError::Config(e.to_string()))
}

/// Adds (or replaces) an exam: the package must verify against the tenant's
/// signing keys and `content_key` must unseal it, so a wrong file is refused
/// here rather than in front of a candidate.
pub async fn add_exam(
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    package: &[u8],
    content_key: &[u8; 32],
    signing_keys: &[NoteVerifier],
) -> Result<ExamEntry, IngestError> {
    check_id("tenant", tenant)?;
    let verified = ExamPackage::verify(package, signing_keys, tenant)
        .map_err(|e| IngestError::BadRequest(format!("the exam package is refused: {e}")))?;
    let m = &verified.manifest;
    verified
        .unlock_with_key(content_key, m.opens_at)
        .map_err(|e| {
            IngestError::BadRequest(format!(
                "the content key does not open this package ({e}): give the .content-key file written with it"
            ))
        })?;
    let entry = ExamEntry {
        exam_id: m.exam_id.clone(),
        title: m.title.clone(),
        opens_at: m.opens_at,
        closes_at: m.closes_at,
        content_key: to_hex(content_key),
        max_blob_bytes: Some(verified.policy.max_blob_bytes()),
    };
    let dir = exam_dir(tenant, &entry.exam_id);
    store
        .put(
            &Path::from(format!("{dir}/package")),
            Bytes::copy_from_slice(package).into(),
        )
        .await?;
    store
        .put(
            &Path::from(format!("{dir}/exam.json")),
            json(&entry)?.into(),
        )
        .await?;
    Ok(entry)
}

pub(crate) async fn exam_entry(
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    exam: &str,
) -> Result<ExamEntry, IngestError> {
    check_id("exam", exam)?;
    let path = Path::from(format!("{}/exam.json", exam_dir(tenant, exam)));
    let bytes = get_opt(store, &path).await?.ok_or_else(|| {
        IngestError::NotFound(format!(
            "the exam {exam:?} is not on this server; the organiser adds it with `paraakh ingest exam`"
        ))
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| IngestError::Config(format!("the stored exam {exam:?} is damaged: {e}")))
}

/// A join link for `exam`: `paraakh://join?tenant=T&token=JWT`, valid for
/// `valid_secs`. Returns the link and its token's id (to revoke it).
pub fn issue_link(
    keys: &BackendKeys,
    tenant: &str,
    exam: &str,
    candidate: Option<&str>,
    valid_secs: i64,
) -> Result<(String, String), IngestError> {
    check_id("exam", exam)?;
    if !(60..=MAX_LINK_SECS).contains(&valid_secs) {
        return Err(IngestError::BadRequest(format!(
            "a link is valid for 1 minute to 365 days, not {valid_secs} seconds"
        )));
    }
    let auth = keys.tenant(tenant).ok_or_else(|| {
        IngestError::Config(format!(
            "no token key for tenant {tenant:?}: run `paraakh ingest init --tenant {tenant}`"
        ))
    })?;
    let mut id = [0u8; 16];
    random_bytes(&mut id).map_err(|e| IngestError::Config(e.to_string()))?;
    let now = now_secs();
    let claims = Claims {
        iss: auth.key.issuer.clone(),
        sub: candidate.map(str::to_owned),
        aud: vec![LINK_AUDIENCE.to_owned()],
        exp: now + valid_secs,
        nbf: None,
        iat: now,
        jti: to_hex(&id),
        role: Role::Candidate,
        tenant: tenant.to_owned(),
        exam: Some(exam.to_owned()),
        session: None,
    };
    let token = jwt::sign_eddsa(&claims, &token_kid(tenant), &auth.signer);
    Ok((
        format!("paraakh://join?tenant={tenant}&token={token}"),
        claims.jti,
    ))
}

/// Revokes a link by its token id: it joins nothing any more, and a session
/// it already started loses its rights (uploads, token renewal, the
/// questions), recorded with the session. Returns that session, if any.
pub async fn revoke(
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    jti: &str,
) -> Result<Option<String>, IngestError> {
    check_id("tenant", tenant)?;
    if jti.is_empty() || jti.len() > 256 {
        return Err(IngestError::BadRequest(
            "a token id is 1 to 256 characters".into(),
        ));
    }
    store
        .put(
            &jti_path(tenant, "revoked", jti),
            Bytes::copy_from_slice(jti.as_bytes()).into(),
        )
        .await?;
    let Some(bytes) = get_opt(store, &jti_path(tenant, "joins", jti)).await? else {
        return Ok(None);
    };
    let joined: JoinEntry = serde_json::from_slice(&bytes)
        .map_err(|e| IngestError::Config(format!("a stored join is damaged: {e}")))?;
    binding::revoke(
        store,
        tenant,
        &joined.session,
        &to_hex(&sha256(jti.as_bytes())),
    )
    .await?;
    Ok(Some(joined.session))
}

/// Checks a join link's token (the bearer): returns its claims and tenant.
pub(crate) fn verify_link<'k>(
    keys: &'k BackendKeys,
    authorization: Option<&str>,
) -> Result<(Claims, &'k TenantAuth), IngestError> {
    let token = authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| {
            IngestError::Unauthorized("no link token: send `Authorization: Bearer <token>`".into())
        })?
        .trim();
    let pinned: Vec<_> = keys.tenants.iter().map(|t| t.key.clone()).collect();
    let refused = |e: jwt::JwtError| IngestError::Unauthorized(format!("the link is refused: {e}"));
    let (_, _, key) = jwt::verify_signature(token, &pinned).map_err(refused)?;
    let auth = keys
        .tenant_by_kid(&key.kid)
        .ok_or_else(|| IngestError::Unauthorized("the link's key is not known".into()))?;
    let claims = jwt::verify(
        token,
        std::slice::from_ref(&auth.key),
        &Expected {
            typ: TOKEN_TYPE,
            audience: LINK_AUDIENCE,
            tenant: &auth.tenant,
            roles: &[Role::Candidate],
            exam: None,
            session: None,
            now: now_secs(),
            max_lifetime_secs: MAX_LINK_SECS,
        },
    )
    .map_err(refused)?;
    if claims.exam.is_none() || claims.session.is_some() {
        return Err(IngestError::Forbidden(
            "this token is not a join link (a link names one exam and no session)".into(),
        ));
    }
    Ok((claims, auth))
}

fn new_session_id() -> Result<String, IngestError> {
    let mut r = [0u8; 8];
    random_bytes(&mut r).map_err(|e| IngestError::Config(e.to_string()))?;
    Ok(format!("s-{}", to_hex(&r)))
}

/// Records the first join of a link; a later one from the same computer
/// finds the same session. Conditional create where the store offers it;
/// the caller also serialises joins within this process.
async fn bind_link(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
    fresh: &JoinEntry,
) -> Result<JoinEntry, IngestError> {
    let stored = binding::create_once(store, path, json(fresh)?).await?;
    serde_json::from_slice(&stored)
        .map_err(|e| IngestError::Config(format!("a stored join is damaged: {e}")))
}

/// `POST /v1/join` for a link already checked ([`verify_link`]): binds it
/// to the computer, and returns the package with the session's upload
/// tokens and the backend's statement binding the session to this computer.
pub async fn join(
    keys: &BackendKeys,
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    claims: &Claims,
    request: &JoinRequest,
    access_ttl_secs: i64,
    refresh_ttl_secs: i64,
) -> Result<JoinResponse, IngestError> {
    let exam = claims.exam.clone().unwrap_or_default();
    let device = binding::device_key_of(&request.device_key)?;
    if get_opt(store, &jti_path(tenant, "revoked", &claims.jti))
        .await?
        .is_some()
    {
        return Err(IngestError::Revoked(
            "this link was revoked by your exam centre; ask them for a new one".into(),
        ));
    }
    let entry = exam_entry(store, tenant, &exam).await?;
    if now_secs() > entry.closes_at {
        return Err(IngestError::Closed(format!(
            "the exam {:?} has closed; contact your exam centre",
            entry.title
        )));
    }
    let fresh = JoinEntry {
        session: new_session_id()?,
        exam: exam.clone(),
        device_key: request.device_key.clone(),
        candidate: claims.sub.clone(),
        joined_at: now_secs(),
    };
    let bound = bind_link(store, &jti_path(tenant, "joins", &claims.jti), &fresh).await?;
    if bound.device_key != request.device_key {
        return Err(IngestError::Conflict {
            message: "this link was already used on another computer; a link starts one exam on one computer — ask your exam centre if you need to change computers".into(),
            offset: None,
        });
    }
    let package = get_opt(
        store,
        &Path::from(format!("{}/package", exam_dir(tenant, &exam))),
    )
    .await?
    .ok_or_else(|| IngestError::Config(format!("the package of exam {exam:?} is missing")))?;
    binding::bind(store, tenant, &bound.session, &device, BoundBy::Join).await?;
    let statement = binding::issue_statement(
        keys,
        store,
        tenant,
        &exam,
        &bound.session,
        device,
        StatementEvent::Join,
        request.client_time_ns,
    )
    .await?;
    let tokens = tokens::issue(
        keys,
        store,
        tenant,
        &bound.session,
        &exam,
        access_ttl_secs,
        refresh_ttl_secs,
    )
    .await?;
    Ok(JoinResponse {
        tenant_id: tenant.to_owned(),
        exam_id: exam,
        session_id: bound.session,
        package: B64.encode(&package),
        tokens,
        opens_at: entry.opens_at,
        key_from: entry.key_from(),
        statement: Some(statement.encode()),
    })
}

/// `POST /v1/sessions/{id}/exam-key` for an authorised candidate: the
/// content key, from [`ExamEntry::key_from`] until the exam closes.
pub async fn exam_key(
    store: &Arc<dyn ObjectStore>,
    claims: &Claims,
) -> Result<ExamKeyResponse, IngestError> {
    let exam = claims
        .exam
        .as_deref()
        .ok_or_else(|| IngestError::Forbidden("the token names no exam".into()))?;
    let entry = exam_entry(store, &claims.tenant, exam).await?;
    let now = now_secs();
    if now < entry.key_from() {
        let wait = u64::try_from(entry.key_from() - now).unwrap_or(1);
        return Err(IngestError::NotYet {
            message: format!(
                "the exam {:?} is not open yet; its questions are released {} seconds from now",
                entry.title, wait
            ),
            retry_after: wait.min(60),
        });
    }
    if now > entry.closes_at {
        return Err(IngestError::Closed(format!(
            "the exam {:?} has closed; contact your exam centre",
            entry.title
        )));
    }
    Ok(ExamKeyResponse {
        content_key: entry.content_key,
        statement: None,
    })
}
