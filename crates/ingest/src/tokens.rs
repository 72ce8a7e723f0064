//! Upload tokens: a short-lived access JWT for one session, and a refresh
//! token (stored only as its SHA-256) that gets a new one — so a client that
//! was offline for days still uploads without asking the candidate again.
//! A refresh token ends at its lifetime, or when its session is revoked.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use paraakh_evidence::keys::random_bytes;
use paraakh_evidence::layout;
use paraakh_evidence::merkle::sha256;
use paraakh_evidence::record::to_hex;
use paraakh_policy::jwt::{self, Claims, Expected, Role, TOKEN_TYPE};
use paraakh_protocol::Tokens;
use serde::{Deserialize, Serialize};

use crate::IngestError;
use crate::config::{AUDIENCE, BackendKeys, token_kid};
use crate::roles::{self, Action};

/// Longest access-token lifetime accepted.
pub const MAX_ACCESS_SECS: i64 = 3600;

/// Current POSIX time in seconds.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What a refresh token grants.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Grant {
    tenant: String,
    session: String,
    exam: String,
    /// When the refresh token stops working (POSIX seconds). Grants made
    /// before refresh tokens had a lifetime get one at their next use.
    #[serde(default)]
    expires_at: Option<i64>,
}

/// Lifetime given to a grant made before refresh tokens had one.
const LEGACY_REFRESH_SECS: i64 = 30 * 86_400;

fn grant_path(tenant: &str, token: &str) -> Path {
    Path::from(format!(
        "tenants/{tenant}/refresh/{}",
        to_hex(&sha256(token.as_bytes()))
    ))
}

fn access_token(keys: &BackendKeys, grant: &Grant, ttl_secs: i64) -> Result<String, IngestError> {
    let tenant = keys.tenant(&grant.tenant).ok_or_else(|| {
        IngestError::Config(format!("no token key for tenant {:?}", grant.tenant))
    })?;
    let mut jti = [0u8; 16];
    random_bytes(&mut jti).map_err(|e| IngestError::Config(e.to_string()))?;
    let now = now_secs();
    let claims = Claims {
        iss: tenant.key.issuer.clone(),
        sub: None,
        aud: vec![AUDIENCE.to_owned()],
        exp: now + ttl_secs.clamp(1, MAX_ACCESS_SECS),
        nbf: None,
        iat: now,
        jti: to_hex(&jti),
        role: Role::Candidate,
        tenant: grant.tenant.clone(),
        exam: Some(grant.exam.clone()),
        session: Some(grant.session.clone()),
    };
    Ok(jwt::sign_eddsa(
        &claims,
        &token_kid(&grant.tenant),
        &tenant.signer,
    ))
}

/// Issues an access token and a refresh token (valid `refresh_ttl_secs`)
/// for uploading `session`.
pub async fn issue(
    keys: &BackendKeys,
    store: &Arc<dyn ObjectStore>,
    tenant: &str,
    session: &str,
    exam: &str,
    ttl_secs: i64,
    refresh_ttl_secs: i64,
) -> Result<Tokens, IngestError> {
    for id in [tenant, session, exam] {
        if !layout::valid_id(id) {
            return Err(IngestError::BadRequest(format!(
                "{id:?} is not an id (letters, digits, '.', '_', '-', at most 128)"
            )));
        }
    }
    let grant = Grant {
        tenant: tenant.to_owned(),
        session: session.to_owned(),
        exam: exam.to_owned(),
        expires_at: Some(now_secs().saturating_add(refresh_ttl_secs.max(60))),
    };
    let access = access_token(keys, &grant, ttl_secs)?;
    let mut secret = [0u8; 32];
    random_bytes(&mut secret).map_err(|e| IngestError::Config(e.to_string()))?;
    let refresh = format!("{tenant}.{}", B64URL.encode(secret));
    let body = serde_json::to_vec(&grant).map_err(|e| IngestError::Config(e.to_string()))?;
    store
        .put(&grant_path(tenant, &refresh), Bytes::from(body).into())
        .await?;
    Ok(Tokens {
        access_token: access,
        refresh_token: Some(refresh),
        expires_in: u64::try_from(ttl_secs.clamp(1, MAX_ACCESS_SECS)).unwrap_or(1),
    })
}

/// Exchanges a refresh token for a new access token.
pub async fn refresh(
    keys: &BackendKeys,
    store: &Arc<dyn ObjectStore>,
    refresh_token: &str,
    ttl_secs: i64,
) -> Result<Tokens, IngestError> {
    let unknown = || IngestError::Unauthorized("the refresh token is not known here".into());
    let (tenant, _) = refresh_token.split_once('.').ok_or_else(unknown)?;
    if !layout::valid_id(tenant) || refresh_token.len() > 256 {
        return Err(unknown());
    }
    let stored = match store.get(&grant_path(tenant, refresh_token)).await {
        Ok(r) => r.bytes().await?,
        Err(object_store::Error::NotFound { .. }) => return Err(unknown()),
        Err(e) => return Err(e.into()),
    };
    let mut grant: Grant = serde_json::from_slice(&stored).map_err(|e| {
        IngestError::Unauthorized(format!(
            "the refresh token's record cannot be read ({e}); ask your exam centre for a new token"
        ))
    })?;
    match grant.expires_at {
        Some(at) if now_secs() > at => {
            return Err(IngestError::Unauthorized(format!(
                "the refresh token expired at POSIX time {at}; ask your exam centre for a new token"
            )));
        }
        Some(_) => {}
        None => {
            grant.expires_at = Some(now_secs().saturating_add(LEGACY_REFRESH_SECS));
            let body =
                serde_json::to_vec(&grant).map_err(|e| IngestError::Config(e.to_string()))?;
            store
                .put(&grant_path(tenant, refresh_token), Bytes::from(body).into())
                .await?;
        }
    }
    crate::binding::refuse_if_revoked(store, &grant.tenant, &grant.session).await?;
    Ok(Tokens {
        access_token: access_token(keys, &grant, ttl_secs)?,
        refresh_token: None,
        expires_in: u64::try_from(ttl_secs.clamp(1, MAX_ACCESS_SECS)).unwrap_or(1),
    })
}

/// Checks a bearer token for access to `session`: writes are uploads (a
/// candidate token naming this session), reads the session's status (any
/// role of the tenant; a candidate only its own session).
pub fn authorize(
    keys: &BackendKeys,
    authorization: Option<&str>,
    session: &str,
    write: bool,
) -> Result<Claims, IngestError> {
    let action = if write {
        Action::Upload
    } else {
        Action::SessionStatus
    };
    let claims = authorize_action(keys, authorization, action)?;
    if claims.role == Role::Candidate && claims.session.as_deref() != Some(session) {
        return Err(IngestError::Forbidden(format!(
            "the token is for session {:?}, not {session:?}: an upload token covers one session only",
            claims.session.as_deref().unwrap_or("none")
        )));
    }
    Ok(claims)
}

/// Checks a bearer token of one of the backend's tenants for `action`
/// (see [`crate::roles`]): [`verify_token`], then its role.
pub fn authorize_action(
    keys: &BackendKeys,
    authorization: Option<&str>,
    action: Action,
) -> Result<Claims, IngestError> {
    let claims = verify_token(keys, authorization)?;
    roles::permit(claims.role, action).map_err(IngestError::Forbidden)?;
    Ok(claims)
}

/// Checks a bearer token of one of the backend's tenants: signature, type,
/// audience, lifetime, and that a staff token names its holder. Its role is
/// not checked yet.
pub fn verify_token(
    keys: &BackendKeys,
    authorization: Option<&str>,
) -> Result<Claims, IngestError> {
    let token = authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| {
            IngestError::Unauthorized(
                "no bearer token: send `Authorization: Bearer <token>`".into(),
            )
        })?
        .trim();
    let pinned: Vec<_> = keys.tenants.iter().map(|t| t.key.clone()).collect();
    let (_, _, key) = jwt::verify_signature(token, &pinned)
        .map_err(|e| IngestError::Unauthorized(format!("the token is refused: {e}")))?;
    let tenant = keys
        .tenant_by_kid(&key.kid)
        .ok_or_else(|| IngestError::Unauthorized("the token's key is not known".into()))?;
    let claims = jwt::verify(
        token,
        std::slice::from_ref(&tenant.key),
        &Expected {
            typ: TOKEN_TYPE,
            audience: AUDIENCE,
            tenant: &tenant.tenant,
            roles: &Role::ALL,
            exam: None,
            session: None,
            now: now_secs(),
            max_lifetime_secs: MAX_ACCESS_SECS,
        },
    )
    .map_err(|e| IngestError::Unauthorized(format!("the token is refused: {e}")))?;
    if claims.role != Role::Candidate && claims.sub.as_deref().is_none_or(str::is_empty) {
        return Err(IngestError::Unauthorized(
            "a staff token must name its holder (\"sub\"): the access log records who".into(),
        ));
    }
    Ok(claims)
}

/// Issues an access token for a member of the tenant's staff — a proctor,
/// reviewer, auditor or admin — named by `subject` (the access log records
/// it). Staff tokens have no refresh token: ask for a new one.
pub fn issue_staff(
    keys: &BackendKeys,
    tenant: &str,
    role: Role,
    subject: &str,
    ttl_secs: i64,
) -> Result<Tokens, IngestError> {
    if role == Role::Candidate {
        return Err(IngestError::BadRequest(
            "a candidate's token is for one session: give --session-id and --exam".into(),
        ));
    }
    if subject.is_empty() || subject.len() > 256 || subject.chars().any(char::is_control) {
        return Err(IngestError::BadRequest(format!(
            "{subject:?} cannot name a token's holder: 1 to 256 printable characters"
        )));
    }
    let key = keys
        .tenant(tenant)
        .ok_or_else(|| IngestError::Config(format!("no token key for tenant {tenant:?}")))?;
    let mut jti = [0u8; 16];
    random_bytes(&mut jti).map_err(|e| IngestError::Config(e.to_string()))?;
    let now = now_secs();
    let ttl = ttl_secs.clamp(1, MAX_ACCESS_SECS);
    let claims = Claims {
        iss: key.key.issuer.clone(),
        sub: Some(subject.to_owned()),
        aud: vec![AUDIENCE.to_owned()],
        exp: now + ttl,
        nbf: None,
        iat: now,
        jti: to_hex(&jti),
        role,
        tenant: tenant.to_owned(),
        exam: None,
        session: None,
    };
    Ok(Tokens {
        access_token: jwt::sign_eddsa(&claims, &token_kid(tenant), &key.signer),
        refresh_token: None,
        expires_in: u64::try_from(ttl).unwrap_or(1),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use object_store::memory::InMemory;

    use super::*;

    fn keys() -> (tempfile::TempDir, BackendKeys) {
        let dir = tempfile::tempdir().unwrap();
        BackendKeys::init(dir.path(), "ingest.test", &["acme".to_owned()], None).unwrap();
        let keys = BackendKeys::load(dir.path()).unwrap();
        (dir, keys)
    }

    #[tokio::test]
    async fn a_refresh_token_ends_at_its_lifetime_and_with_its_session() {
        let (_dir, keys) = keys();
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let issued = issue(&keys, &store, "acme", "s-1", "physics", 60, 3600)
            .await
            .unwrap();
        let refresh_token = issued.refresh_token.unwrap();
        assert!(refresh(&keys, &store, &refresh_token, 60).await.is_ok());

        // The same grant, its lifetime over.
        let path = grant_path("acme", &refresh_token);
        let mut grant: Grant =
            serde_json::from_slice(&store.get(&path).await.unwrap().bytes().await.unwrap())
                .unwrap();
        grant.expires_at = Some(now_secs() - 1);
        store
            .put(
                &path,
                Bytes::from(serde_json::to_vec(&grant).unwrap()).into(),
            )
            .await
            .unwrap();
        let err = refresh(&keys, &store, &refresh_token, 60)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, IngestError::Unauthorized(m) if m.contains("expired")),
            "{err}"
        );

        // A session whose link was revoked renews nothing.
        let other = issue(&keys, &store, "acme", "s-2", "physics", 60, 3600)
            .await
            .unwrap();
        crate::binding::revoke(&store, "acme", "s-2", "link")
            .await
            .unwrap();
        let err = refresh(&keys, &store, &other.refresh_token.unwrap(), 60)
            .await
            .unwrap_err();
        assert!(matches!(err, IngestError::Revoked(_)), "{err}");
    }
}
