//! Evidence leaves the backend only through URLs signed for one object and
//! a few minutes. A reviewer, auditor or admin asks for one
//! (`POST /v1/review/sessions/{id}/evidence/{sha256}`, in the access log);
//! on an S3 store it is the store's own presigned URL, on a file-system
//! store a URL of this backend whose HMAC covers the tenant, the session,
//! the blob, who it was issued to and when it expires — any change to
//! them, or a late use, is refused. Each download through a backend URL is
//! in the access log too. What is fetched is the blob as stored: encrypted
//! to the tenant.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use object_store::ObjectStoreExt;
use object_store::signer::Signer;
use paraakh_evidence::keys::NoteSigner;
use paraakh_evidence::layout;
use paraakh_evidence::record::to_hex;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::index::NewAccess;
use crate::log::Scope;
use crate::review_api::log_attempt;
use crate::review_page::credentials;
use crate::roles::Action;
use crate::server::{Backend, off_workers};
use crate::{IngestError, tokens};

/// Longest life of an evidence URL.
pub const MAX_TTL_SECS: u64 = 300;
/// Life of an evidence URL unless a shorter one is asked for.
pub const DEFAULT_TTL_SECS: u64 = 120;

/// The store's own URL signer (S3) and the prefix its objects sit under.
#[derive(Debug, Clone)]
pub struct StoreSigner {
    /// Signs URLs of the store's objects.
    pub signer: Arc<dyn Signer>,
    /// The prefix of `s3://BUCKET/PREFIX`, if any.
    pub prefix: String,
}

/// Signs and checks the backend's own evidence URLs.
pub struct UrlKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for UrlKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlKey(..)")
    }
}

/// What a backend evidence URL grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// The session.
    pub session: &'a str,
    /// The blob (SHA-256 of the stored file, hex).
    pub sha256: &'a str,
    /// Who it was issued to.
    pub by: &'a str,
    /// When it stops working (POSIX seconds).
    pub expires: u64,
}

impl UrlKey {
    /// The key every replica holding `backend` derives alike.
    pub fn of(backend: &NoteSigner) -> Self {
        Self(backend.derive_secret(b"paraakh evidence url v1"))
    }

    /// The signature (hex) over `g`.
    pub fn sign(&self, g: &Grant<'_>) -> String {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, self.0.as_ref());
        let msg = serde_json::json!([g.tenant, g.session, g.sha256, g.by, g.expires]).to_string();
        to_hex(ring::hmac::sign(&key, msg.as_bytes()).as_ref())
    }

    /// Checks `sig` over `g` at `now`.
    pub fn check(&self, g: &Grant<'_>, sig: &str, now: u64) -> Result<(), IngestError> {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, self.0.as_ref());
        let msg = serde_json::json!([g.tenant, g.session, g.sha256, g.by, g.expires]).to_string();
        let tag = parse_hex(sig).ok_or_else(|| {
            IngestError::Forbidden("the evidence URL is altered: ask for a new one".into())
        })?;
        ring::hmac::verify(&key, msg.as_bytes(), &tag).map_err(|_| {
            IngestError::Forbidden(
                "the evidence URL is altered or for another object: ask for a new one".into(),
            )
        })?;
        if now >= g.expires {
            return Err(IngestError::Forbidden(format!(
                "the evidence URL expired {} s ago: ask for a new one",
                now - g.expires
            )));
        }
        Ok(())
    }

    /// The backend-relative URL of `g`.
    pub fn url(&self, g: &Grant<'_>) -> String {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("by", g.by)
            .append_pair("expires", &g.expires.to_string())
            .append_pair("sig", &self.sign(g))
            .finish();
        format!(
            "/v1/evidence/{}/{}/{}?{query}",
            g.tenant, g.session, g.sha256
        )
    }
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..32)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// How long the URL asked for should live.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlRequest {
    /// Seconds (at most [`MAX_TTL_SECS`]; default [`DEFAULT_TTL_SECS`]).
    pub ttl: Option<u64>,
}

/// A signed URL.
#[derive(Debug, Serialize, Deserialize)]
pub struct SignedUrl {
    /// The URL: absolute on an S3 store, relative to this backend otherwise.
    pub url: String,
    /// When it stops working (POSIX seconds).
    pub expires_at: u64,
}

/// `POST /v1/review/sessions/{id}/evidence/{sha256}`.
pub(crate) async fn issue(
    State(backend): State<Arc<Backend>>,
    UrlPath((id, sha256)): UrlPath<(String, String)>,
    headers: HeaderMap,
    q: Result<Query<UrlRequest>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<SignedUrl>, IngestError> {
    let Query(q) =
        q.map_err(|e| IngestError::BadRequest(format!("the query is not understood: {e}")))?;
    if !layout::valid_id(&id)
        || parse_hex(&sha256).is_none()
        || sha256.bytes().any(|b| b.is_ascii_uppercase())
    {
        return Err(IngestError::BadRequest(
            "give a session id and a blob's SHA-256 in lowercase hex".into(),
        ));
    }
    let claims = tokens::verify_token(backend.keys(), credentials(&headers).as_deref())?;
    log_attempt(
        &backend,
        &claims,
        Action::FetchEvidence,
        format!("{id} blob {sha256}"),
    )
    .await?;
    let scope = Scope {
        tenant: claims.tenant.clone(),
        session: id.clone(),
        exam: None,
    };
    let store = backend.session_store(&scope);
    if !store.has_blob(&sha256).await? {
        return Err(IngestError::NotFound(format!(
            "tenant {} holds no blob {sha256} of session {id}",
            claims.tenant
        )));
    }
    let ttl = q.ttl.unwrap_or(DEFAULT_TTL_SECS).clamp(1, MAX_TTL_SECS);
    let now = u64::try_from(tokens::now_secs()).unwrap_or(0);
    let expires_at = now + ttl;
    let url = match backend.store_signer(&claims.tenant) {
        Some(s) => {
            let path = store.blob_path(&sha256);
            let full = if s.prefix.is_empty() {
                path
            } else {
                object_store::path::Path::from(format!("{}/{path}", s.prefix))
            };
            s.signer
                .signed_url(
                    object_store::signer::Method::GET,
                    &full,
                    Duration::from_secs(ttl),
                )
                .await?
                .to_string()
        }
        None => UrlKey::of(&backend.keys().cosigner).url(&Grant {
            tenant: &claims.tenant,
            session: &id,
            sha256: &sha256,
            by: claims.sub.as_deref().unwrap_or_default(),
            expires: expires_at,
        }),
    };
    Ok(axum::Json(SignedUrl { url, expires_at }))
}

/// The query of a backend evidence URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fetch {
    by: String,
    expires: u64,
    sig: String,
}

/// `GET /v1/evidence/{tenant}/{id}/{sha256}?by&expires&sig`: no token, the
/// URL is the permission.
pub(crate) async fn fetch(
    State(backend): State<Arc<Backend>>,
    UrlPath((tenant, id, sha256)): UrlPath<(String, String, String)>,
    q: Result<Query<Fetch>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, IngestError> {
    let Query(q) = q.map_err(|_| {
        IngestError::Forbidden("the evidence URL is incomplete: ask for a new one".into())
    })?;
    let grant = Grant {
        tenant: &tenant,
        session: &id,
        sha256: &sha256,
        by: &q.by,
        expires: q.expires,
    };
    let now = u64::try_from(tokens::now_secs()).unwrap_or(0);
    UrlKey::of(&backend.keys().cosigner).check(&grant, &q.sig, now)?;
    if !layout::valid_id(&tenant) || !layout::valid_id(&id) || parse_hex(&sha256).is_none() {
        return Err(IngestError::BadRequest("not an evidence URL".into()));
    }
    if let Some(index) = backend.index() {
        let entry = NewAccess {
            tenant: tenant.clone(),
            at: tokens::now_secs(),
            actor: q.by.clone(),
            role: "signed_url".into(),
            action: "download_evidence".into(),
            target: format!("{id} blob {sha256}"),
            allowed: true,
        };
        off_workers(move || index.log_access(&entry)).await?;
    }
    let scope = Scope {
        tenant,
        session: id,
        exam: None,
    };
    let store = backend.session_store(&scope);
    let object = store
        .object_store()
        .get(&store.blob_path(&sha256))
        .await
        .map_err(|e| match e {
            object_store::Error::NotFound { .. } => {
                IngestError::NotFound("the blob is no longer held".into())
            }
            e => e.into(),
        })?;
    let mut r = (StatusCode::OK, Body::from_stream(object.into_stream())).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use paraakh_evidence::keys::SIG_TYPE_COSIGNATURE_V1;

    use super::*;

    fn grant(expires: u64) -> Grant<'static> {
        Grant {
            tenant: "acme",
            session: "s-1",
            sha256: "ab",
            by: "alice",
            expires,
        }
    }

    #[test]
    fn a_url_works_until_it_expires_and_only_for_what_it_names() {
        let backend = NoteSigner::from_seed("b", SIG_TYPE_COSIGNATURE_V1, &[4; 32]).unwrap();
        let key = UrlKey::of(&backend);
        let g = grant(1000);
        let sig = key.sign(&g);
        assert!(key.check(&g, &sig, 999).is_ok());
        let late = key.check(&g, &sig, 1000).unwrap_err();
        assert!(late.to_string().contains("expired"), "{late}");
        for other in [
            Grant {
                tenant: "other",
                ..g.clone()
            },
            Grant {
                session: "s-2",
                ..g.clone()
            },
            Grant {
                sha256: "cd",
                ..g.clone()
            },
            Grant {
                by: "mallory",
                ..g.clone()
            },
            Grant {
                expires: 5000,
                ..g.clone()
            },
        ] {
            assert!(key.check(&other, &sig, 10).is_err(), "{other:?}");
        }
        assert!(key.check(&g, "00", 10).is_err());
        // Another backend's key signs other URLs.
        let theirs = NoteSigner::from_seed("b", SIG_TYPE_COSIGNATURE_V1, &[5; 32]).unwrap();
        assert!(UrlKey::of(&theirs).check(&g, &sig, 10).is_err());
    }
}
