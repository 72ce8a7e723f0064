//! Names inside a session directory.
//!
//! ```text
//! SESSION/
//!   log           framed records (see `frame`), append-only
//!   checkpoints   framed signed notes, append-only
//!   receipts      framed cosigned notes, append-only
//!   blobs/<sha256 of ciphertext>   encrypted media
//!   statement     the backend's signed session statement (sessions that started online)
//!   conflicts     framed records of histories the backend refused (backend exports only)
//!   review        framed signed decisions of reviewers (see `review`), append-only
//!   .lock         held by the writing process (empty)
//!   .reserve      space held back for the log while the session runs (not evidence)
//! ```

use std::path::{Path, PathBuf};

/// The record log.
pub const LOG: &str = "log";
/// Signed checkpoints.
pub const CHECKPOINTS: &str = "checkpoints";
/// Receipts (cosigned checkpoints).
pub const RECEIPTS: &str = "receipts";
/// Encrypted blobs.
pub const BLOBS: &str = "blobs";
/// The backend's session statement (see `statement`).
pub const STATEMENT: &str = "statement";
/// Conflicting histories the backend refused (see `conflict`).
pub const CONFLICTS: &str = "conflicts";
/// Reviewers' decisions (see `review`).
pub const REVIEW: &str = "review";
/// The writer's lock file.
pub const LOCK: &str = ".lock";
/// Space held back for the log when the disk fills (see `writer`).
pub const RESERVE: &str = ".reserve";
/// Prefix of blob files still being written.
pub const BLOB_TMP_PREFIX: &str = ".tmp-";

/// Path of a blob by its ciphertext hash.
pub fn blob_path(dir: &Path, sha256_hex: &str) -> PathBuf {
    dir.join(BLOBS).join(sha256_hex)
}

/// True for a valid session or tenant identifier: 1 to 128 characters of
/// `A-Z a-z 0-9 . _ -`, so it is safe in paths and checkpoint origins.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && id != "."
        && id != ".."
}

/// The checkpoint origin of a session.
pub fn origin(tenant_id: &str, session_id: &str) -> String {
    format!("paraakh.app/evidence/{tenant_id}/{session_id}")
}
