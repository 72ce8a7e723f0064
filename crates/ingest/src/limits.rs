//! What one client, authenticated or not, may cost the backend. Every
//! request's token is checked before its body is read; bodies are read
//! within a size limit and a time limit; connections are counted and a
//! client that sends no request in time is cut off; storage has quotas.

use std::time::Duration;

/// The backend's limits (`paraakh ingest serve` flags set them).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once; more wait in the kernel's queue.
    pub max_connections: usize,
    /// Time to send a request's headers (also between requests on a kept-alive connection).
    pub header_timeout: Duration,
    /// Time to send a request's body.
    pub body_timeout: Duration,
    /// Largest checkpoint request (records and checkpoints).
    pub max_batch_bytes: usize,
    /// Largest body of a join, token or statement request.
    pub max_small_body: usize,
    /// Most checkpoints in one request.
    pub max_checkpoints: usize,
    /// Largest blob a record may name.
    pub max_blob_bytes: u64,
    /// Most evidence one session may hold (records and blobs).
    pub session_quota_bytes: u64,
    /// Most evidence one tenant may hold.
    pub tenant_quota_bytes: u64,
    /// A session's state leaves memory after this long without a request.
    pub idle_session: Duration,
    /// Lifetime of refresh tokens.
    pub refresh_ttl_secs: i64,
    /// Refused histories kept per session (fork evidence).
    pub max_conflicts: usize,
    /// Memory all request bodies being read or handled may take together,
    /// MiB: more waits (up to the body time limit), then is answered 503.
    pub body_memory_mib: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            max_batch_bytes: paraakh_protocol::MAX_BATCH_BYTES,
            max_small_body: 64 << 10,
            max_checkpoints: paraakh_protocol::MAX_CHECKPOINTS_PER_REQUEST,
            max_blob_bytes: 64 << 20,
            session_quota_bytes: 2 << 30,
            tenant_quota_bytes: u64::MAX,
            idle_session: Duration::from_secs(300),
            refresh_ttl_secs: 30 * 86_400,
            max_conflicts: 16,
            body_memory_mib: 512,
        }
    }
}
