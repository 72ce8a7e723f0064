//! The reviewer's page served by the backend: the same report `paraakh
//! review` writes, for a signed-in member of the tenant's staff, its
//! decision form posting to the API.
//!
//! Signing in: the staff member pastes their token into `/review/login`;
//! it comes back as a cookie (`HttpOnly`, `SameSite=Strict`, no longer than
//! the token), which the page and its decisions carry. A cookie-borne
//! decision must be JSON, which no cross-site form can send. The page is
//! built from the session as the backend holds it, verified first; with
//! the tenant's evidence key given to `ingest serve --tenant-key`, its
//! evidence is decrypted into the page, otherwise it is listed but not
//! shown. Each view is in the access log.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paraakh_evidence::{NoteVerifier, VerifyOptions, layout};
use paraakh_review::html::{DecisionMode, PageOptions, esc};

use crate::log::Scope;
use crate::roles::Action;
use crate::server::{Backend, ReadBody, off_workers, read_body};
use crate::{IngestError, tokens};

/// The cookie a signed-in staff member's token travels in.
pub const COOKIE: &str = "paraakh_review";

/// The credentials of a request: its bearer token, else the review cookie's.
pub(crate) fn credentials(headers: &HeaderMap) -> Option<String> {
    if let Some(h) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return Some(h.to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, token)| format!("Bearer {token}"))
}

/// Whether the request's token came in the cookie (not a header).
pub(crate) fn by_cookie(headers: &HeaderMap) -> bool {
    headers.get(header::AUTHORIZATION).is_none()
}

fn page(status: StatusCode, html: String) -> Response {
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Evidence: never cached, never framed, nothing loaded from elsewhere.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src data:; media-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    r
}

const LOGIN: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to review</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
textarea{width:100%;font:inherit}button{font:inherit;padding:.3rem 1rem}.error{color:#b3261e}
:focus{outline:3px solid #0b57d0;outline-offset:2px}</style></head>
<body><main><h1>Sign in to review</h1>{message}
<form method="post" action="/review/login">
<input type="hidden" name="next" value="{next}">
<label for="token">Your staff token (from <code>paraakh ingest token --role reviewer --subject YOU</code>)</label>
<textarea id="token" name="token" rows="4" required autocomplete="off"></textarea>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>
"#;

fn login_page(message: &str, next: &str) -> String {
    LOGIN
        .replace("{message}", message)
        .replace("{next}", &esc(next))
}

/// Only a path of this backend's review pages may be the next page.
fn safe_next(next: &str) -> &str {
    if next.starts_with("/review/") && !next.starts_with("//") && !next.contains(['\\', '\r', '\n'])
    {
        next
    } else {
        "/review/login"
    }
}

/// `GET /review/login`.
pub(crate) async fn login_form(axum::extract::RawQuery(q): axum::extract::RawQuery) -> Response {
    let next = q
        .as_deref()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "next"))
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    page(StatusCode::OK, login_page("", safe_next(&next)))
}

/// `POST /review/login`: checks the token and sets the cookie.
pub(crate) async fn login(
    State(backend): State<Arc<Backend>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, IngestError> {
    let body: ReadBody = read_body(&backend, &headers, body, 16 << 10).await?;
    let mut token = String::new();
    let mut next = String::new();
    for (k, v) in url::form_urlencoded::parse(&body.bytes) {
        match k.as_ref() {
            "token" => token = v.trim().to_owned(),
            "next" => next = v.into_owned(),
            _ => {}
        }
    }
    let next = safe_next(&next).to_owned();
    let claims = match tokens::verify_token(backend.keys(), Some(&format!("Bearer {token}"))) {
        Ok(c) if c.role != paraakh_policy::jwt::Role::Candidate => c,
        Ok(_) => {
            return Ok(page(
                StatusCode::FORBIDDEN,
                login_page(
                    "<p class=\"error\" role=\"alert\">A candidate's token cannot sign in to review.</p>",
                    &next,
                ),
            ));
        }
        Err(e) => {
            return Ok(page(
                StatusCode::UNAUTHORIZED,
                login_page(
                    &format!(
                        "<p class=\"error\" role=\"alert\">{}</p>",
                        esc(&e.to_string())
                    ),
                    &next,
                ),
            ));
        }
    };
    let max_age = (claims.exp - tokens::now_secs()).max(0);
    let mut r = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, next)
        .body(Body::empty())
        .map_err(|e| IngestError::Config(e.to_string()))?;
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie)
            .map_err(|_| IngestError::BadRequest("the token is not one line of text".into()))?,
    );
    Ok(r)
}

/// `GET /review/sessions/{id}`: the report page.
pub(crate) async fn session_page(
    State(backend): State<Arc<Backend>>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, IngestError> {
    if !layout::valid_id(&id) {
        return Err(IngestError::BadRequest(format!(
            "{id:?} is not a session id"
        )));
    }
    let Some(auth) = credentials(&headers) else {
        let to = format!("/review/login?next=/review/sessions/{id}");
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response());
    };
    let claims = tokens::verify_token(backend.keys(), Some(&auth))?;
    crate::review_api::log_attempt(
        &backend,
        &claims,
        Action::ViewSession,
        format!("{id} (page)"),
    )
    .await?;
    let scope = Scope {
        tenant: claims.tenant.clone(),
        session: id.clone(),
        exam: None,
    };
    let store = backend.session_store(&scope);
    if store.record_batches().await?.is_empty() {
        return Err(IngestError::NotFound(format!(
            "tenant {} holds no such session",
            claims.tenant
        )));
    }
    let tmp = tempfile::tempdir()
        .map_err(|e| IngestError::Config(format!("no room to build the page: {e}")))?;
    let dir = tmp.path().join(&id);
    crate::export::export(&store, &dir).await?;
    let tenant_key = backend.tenant_secret(&claims.tenant);
    let backend_key: NoteVerifier = backend.keys().cosigner.verifier();
    let generator = format!("paraakh ingest {}", env!("CARGO_PKG_VERSION"));
    let url = format!("/v1/review/sessions/{id}/decisions");
    let html = off_workers(move || {
        let review = paraakh_review::build(
            &dir,
            tenant_key,
            VerifyOptions {
                backend_key: Some(backend_key),
                accept_machine_attested: true,
                ..VerifyOptions::default()
            },
        )
        .map_err(|e| IngestError::Config(format!("the page cannot be built: {e}")))?;
        let html = paraakh_review::html::render(
            &review,
            &PageOptions {
                dir: id,
                decisions: DecisionMode::Api { url },
                generator,
            },
        );
        drop(tmp);
        Ok(html)
    })
    .await?;
    Ok(page(StatusCode::OK, html))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_header_wins_over_the_cookie_and_the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; paraakh_review=tok; b=2"),
        );
        assert_eq!(credentials(&h).as_deref(), Some("Bearer tok"));
        assert!(by_cookie(&h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer other"),
        );
        assert_eq!(credentials(&h).as_deref(), Some("Bearer other"));
        assert!(!by_cookie(&h));
        assert_eq!(credentials(&HeaderMap::new()), None);
    }

    /// After signing in, only this backend's review pages: never another site.
    #[test]
    fn the_next_page_is_one_of_the_review_pages() {
        assert_eq!(safe_next("/review/sessions/s-1"), "/review/sessions/s-1");
        for bad in [
            "https://evil.example/",
            "//evil.example/review/",
            "/review/\r\nSet-Cookie: x",
            "/v1/access-log",
            "",
        ] {
            assert_eq!(safe_next(bad), "/review/login", "{bad:?}");
        }
        assert!(!login_page("", "\"><script>").contains("\"><script>"));
    }
}
