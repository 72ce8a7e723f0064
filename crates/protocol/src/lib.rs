//! The upload protocol between a Paraakh client and the tenant's backend
//! (`docs/upload-protocol.md`, `docs/openapi.yaml`): the paths, headers and
//! JSON messages both sides share. Every request is idempotent: records and
//! blobs are content-addressed and positioned, so a client repeats any
//! request after any failure without duplicating anything.

#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

/// Header carrying the number of bytes of a blob the server holds.
pub const UPLOAD_OFFSET: &str = "upload-offset";
/// Header carrying a blob's total size.
pub const UPLOAD_LENGTH: &str = "upload-length";
/// Largest JSON body the server reads (a batch of records with checkpoints).
pub const MAX_BATCH_BYTES: usize = 32 << 20;
/// Largest blob chunk the server reads in one request.
pub const MAX_CHUNK_BYTES: usize = 16 << 20;
/// Most checkpoints in one request (a client sends more in several).
pub const MAX_CHECKPOINTS_PER_REQUEST: usize = 256;

/// `GET /v1/sessions/{id}`.
pub fn session_path(session: &str) -> String {
    format!("/v1/sessions/{session}")
}

/// `POST /v1/sessions/{id}/checkpoints`.
pub fn checkpoints_path(session: &str) -> String {
    format!("/v1/sessions/{session}/checkpoints")
}

/// `HEAD`/`PUT /v1/sessions/{id}/blobs/{sha256}`.
pub fn blob_path(session: &str, sha256: &str) -> String {
    format!("/v1/sessions/{session}/blobs/{sha256}")
}

/// `POST /v1/token`.
pub const TOKEN_PATH: &str = "/v1/token";

/// `GET /v1/backend-key`: the cosigning key receipts are checked against.
pub const BACKEND_KEY_PATH: &str = "/v1/backend-key";

/// `POST /v1/join`: a join link's token (as the bearer) for a session of its exam.
pub const JOIN_PATH: &str = "/v1/join";

/// `POST /v1/sessions/{id}/exam-key`: the exam's content key, from its opening.
pub fn exam_key_path(session: &str) -> String {
    format!("/v1/sessions/{session}/exam-key")
}

/// `POST /v1/sessions/{id}/statement`: the backend's statement binding the
/// session to this computer's device key, asked for just before it starts.
pub fn statement_path(session: &str) -> String {
    format!("/v1/sessions/{session}/statement")
}

/// `GET /openapi.yaml`.
pub const OPENAPI_PATH: &str = "/openapi.yaml";

/// What the server holds of a session (`GET /v1/sessions/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionStatus {
    /// The session.
    pub session_id: String,
    /// Its tenant.
    pub tenant_id: String,
    /// Records held, from record 0 without gaps.
    pub records: u64,
    /// Size of the largest checkpoint the server cosigned (0 if none).
    pub cosigned_size: u64,
    /// Sizes of the checkpoints the server holds.
    pub checkpoints: Vec<u64>,
    /// Blobs that held records reference and the server does not have yet.
    pub missing_blobs: Vec<MissingBlob>,
    /// Blobs the server holds completely.
    pub blobs_held: u64,
    /// An `end` record is among the held records.
    pub ended: bool,
}

/// A blob the server lacks, and how much of it already arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingBlob {
    /// SHA-256 of the blob file (lowercase hex).
    pub sha256: String,
    /// Its size in bytes, from the record naming it.
    pub size: u64,
    /// Bytes already received (resume from here).
    pub offset: u64,
}

/// `POST /v1/sessions/{id}/checkpoints`: records from `first_seq` on (any
/// already held are compared and skipped), then checkpoints over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointRequest {
    /// The `seq` of the first record in `records`.
    pub first_seq: u64,
    /// Records, verbatim, standard base64.
    pub records: Vec<String>,
    /// Signed checkpoints (C2SP signed notes) over held records, oldest first.
    pub checkpoints: Vec<String>,
    /// The certificates of the session keys that signed `checkpoints`, so
    /// the backend can check and keep a checkpoint it refuses (a fork).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_certificates: Vec<KeyCertificate>,
}

/// A session key certified by the device key (as in the session's records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCertificate {
    /// The segment the key signs for.
    pub segment: u32,
    /// The Ed25519 public key, standard base64.
    pub public_key: String,
    /// The device key's signature over the certificate, standard base64.
    pub certificate: String,
}

/// The answer to a [`CheckpointRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointResponse {
    /// Records now held.
    pub records: u64,
    /// The receipt: the newest checkpoint with the server's cosignature.
    pub receipt: Option<String>,
    /// Size the receipt covers (0 if none).
    pub cosigned_size: u64,
    /// Blobs referenced by held records that the server still lacks.
    pub missing_blobs: Vec<MissingBlob>,
}

/// `POST /v1/token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The long-lived refresh token given with the first access token.
    pub refresh_token: String,
}

/// Tokens for one session: a short-lived access token (JWT) and the refresh
/// token that gets a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    /// Bearer JWT for the session's requests.
    pub access_token: String,
    /// Exchanged at [`TOKEN_PATH`] for a new access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Seconds the access token is valid for.
    pub expires_in: u64,
}

/// `POST /v1/join` (the link's token is the bearer): the computer joining.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The device's verifier key (C2SP note key): a link joins from one
    /// computer only, and that computer's sessions are certified by this key.
    pub device_key: String,
    /// The client's wall clock (Unix ns), recorded in the statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_time_ns: Option<i64>,
}

/// The answer to a [`JoinRequest`]: everything to take the exam and upload
/// its evidence. Asking again from the same computer gives the same session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinResponse {
    /// The tenant.
    pub tenant_id: String,
    /// The exam.
    pub exam_id: String,
    /// The session created for this link.
    pub session_id: String,
    /// The signed exam package, standard base64 (its questions still sealed).
    pub package: String,
    /// Upload tokens for the session (also used to ask for the content key).
    pub tokens: Tokens,
    /// When the exam opens (POSIX seconds).
    pub opens_at: i64,
    /// From when the content key is released (POSIX seconds).
    pub key_from: i64,
    /// The backend's statement binding the session to the device key (a
    /// signed note under its cosigning key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// `POST /v1/sessions/{id}/statement` with the session's token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementRequest {
    /// The device's verifier key (C2SP note key): must be the one the
    /// session is bound to (bound now if it is bound to none yet).
    pub device_key: String,
    /// The client's wall clock (Unix ns), so the statement records how far
    /// it is off the backend's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_time_ns: Option<i64>,
}

/// The answer to a [`StatementRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementResponse {
    /// The signed statement (a C2SP signed note).
    pub statement: String,
}

/// The optional body of `POST /v1/sessions/{id}/exam-key`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamKeyRequest {
    /// The client's wall clock (Unix ns), recorded in the statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_time_ns: Option<i64>,
}

/// The answer to `POST /v1/sessions/{id}/exam-key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamKeyResponse {
    /// The exam's 32-byte content key, lowercase hex.
    pub content_key: String,
    /// A fresh statement binding the session to the device key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// A stable code (`unauthorized`, `conflict`, `bad_record`, ...).
    pub error: String,
    /// What is wrong and what to do, in plain words.
    pub message: String,
}

/// Parses `Content-Range: bytes START-END/TOTAL` (END inclusive) into
/// `(start, end_exclusive, total)`.
pub fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let (start, end, total): (u64, u64, u64) =
        (start.parse().ok()?, end.parse().ok()?, total.parse().ok()?);
    let end_exclusive = end.checked_add(1)?;
    (start < end_exclusive && end_exclusive <= total).then_some((start, end_exclusive, total))
}

/// Formats a `Content-Range` for bytes `start..end_exclusive` of `total`.
pub fn content_range(start: u64, end_exclusive: u64, total: u64) -> String {
    format!("bytes {start}-{}/{total}", end_exclusive.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_round_trip_and_nonsense_is_refused() {
        assert_eq!(
            parse_content_range(&content_range(0, 10, 10)),
            Some((0, 10, 10))
        );
        assert_eq!(parse_content_range("bytes 5-9/20"), Some((5, 10, 20)));
        for bad in [
            "bytes 9-5/20",
            "bytes 0-20/20",
            "bytes -1-5/20",
            "items 0-1/2",
            "bytes 0-1",
            "bytes 0-18446744073709551615/18446744073709551615",
            "",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<TokenRequest>(r#"{"refresh_token":"x","extra":1}"#);
        assert!(err.is_err());
    }
}
