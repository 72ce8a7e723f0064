//! Joining an exam by link: the link's token is exchanged at the backend for
//! the exam package and the session's upload tokens (`POST /v1/join`), and
//! the session's token later gets the content key from the exam's opening
//! (`POST /v1/sessions/{id}/exam-key`).

use std::time::Duration;

use paraakh_evidence::note::SignedNote;
use paraakh_evidence::record::HexHash;
use paraakh_evidence::{Clock as _, SystemClock};
use paraakh_protocol::{
    self as protocol, ExamKeyRequest, ExamKeyResponse, JoinRequest, JoinResponse, StatementRequest,
    StatementResponse, Tokens,
};
use reqwest::StatusCode;

use crate::{Api, Credentials, RetryPolicy, SyncError};

fn refused(what: &str, response: reqwest::blocking::Response) -> SyncError {
    let status = response.status().as_u16();
    SyncError::Refused {
        what: what.to_owned(),
        status,
        message: crate::client::server_message(response),
    }
}

/// Sends the link's token (as the bearer) with this computer's device key.
/// Asking again from the same computer returns the same session.
pub fn join(
    server: &str,
    link_token: &str,
    device_key: &str,
    retry: RetryPolicy,
) -> Result<JoinResponse, SyncError> {
    // The link's token is the bearer; it has nothing to renew it with.
    let api = Api::new(
        server,
        Credentials::new(Tokens {
            access_token: link_token.to_owned(),
            refresh_token: None,
            expires_in: 0,
        }),
        retry,
    )?;
    let request = JoinRequest {
        device_key: device_key.to_owned(),
        client_time_ns: Some(SystemClock.now().utc_ns),
    };
    let response = api.send(
        "the join link",
        &[StatusCode::UNAUTHORIZED],
        || {},
        |c| c.post(api.url(protocol::JOIN_PATH)).json(&request),
    )?;
    if !response.status().is_success() {
        return Err(refused("the join link", response));
    }
    response.json().map_err(|e| SyncError::Protocol {
        what: "the join link".into(),
        message: e.to_string(),
    })
}

/// What the backend said about the exam's content key.
#[derive(Debug)]
pub enum KeyRelease {
    /// The key (checked by the package before use), with the backend's
    /// fresh statement binding the session to this computer, if it gave one.
    Released([u8; 32], Option<SignedNote>),
    /// Not yet: ask again after this long.
    NotYet(Duration),
}

/// A statement as the backend sent it, read (its signature is checked by
/// the evidence writer against the pinned backend key).
pub fn read_statement(what: &str, text: &str) -> Result<SignedNote, SyncError> {
    SignedNote::parse(text.as_bytes()).map_err(|e| SyncError::Protocol {
        what: what.to_owned(),
        message: format!("the session statement is not a signed note: {e}"),
    })
}

/// Asks the backend to bind `session` to this computer's device key (a C2SP
/// verifier key) and returns its signed statement, made now.
pub fn statement(api: &Api, session: &str, device_key: &str) -> Result<SignedNote, SyncError> {
    let path = protocol::statement_path(session);
    let request = StatementRequest {
        device_key: device_key.to_owned(),
        client_time_ns: Some(SystemClock.now().utc_ns),
    };
    let response = api.send(
        "the session statement",
        &[],
        || {},
        |c| c.post(api.url(&path)).json(&request),
    )?;
    let body: StatementResponse = response.json().map_err(|e| SyncError::Protocol {
        what: "the session statement".into(),
        message: e.to_string(),
    })?;
    read_statement("the session statement", &body.statement)
}

/// Asks for the content key of `session`'s exam with the session's tokens.
pub fn exam_key(api: &Api, session: &str) -> Result<KeyRelease, SyncError> {
    let path = protocol::exam_key_path(session);
    let request = ExamKeyRequest {
        client_time_ns: Some(SystemClock.now().utc_ns),
    };
    let response = api.send(
        "the exam's questions",
        &[StatusCode::TOO_EARLY],
        || {},
        |c| c.post(api.url(&path)).json(&request),
    )?;
    if response.status() == StatusCode::TOO_EARLY {
        let wait = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(15)
            .clamp(1, 60);
        return Ok(KeyRelease::NotYet(Duration::from_secs(wait)));
    }
    let body: ExamKeyResponse = response.json().map_err(|e| SyncError::Protocol {
        what: "the exam's questions".into(),
        message: e.to_string(),
    })?;
    // 32 bytes as 64 lowercase hex digits, the same text as a SHA-256.
    let key = HexHash::parse(&body.content_key)
        .ok_or_else(|| SyncError::Protocol {
            what: "the exam's questions".into(),
            message: "the content key is not 64 hex digits".into(),
        })?
        .0;
    let statement = body
        .statement
        .as_deref()
        .map(|s| read_statement("the exam's questions", s))
        .transpose()?;
    Ok(KeyRelease::Released(key, statement))
}
