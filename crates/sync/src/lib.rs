//! Offline-first upload of Paraakh evidence: the outbox over a session
//! directory (what is signed and can be sent, what receipts say the backend
//! holds), the uploader for the upload protocol (resumable, idempotent,
//! backing off with jitter, renewing its token), retention, and the agent
//! that uploads and deletes later what each session left behind.

#![forbid(unsafe_code)]

pub mod agent;
pub mod client;
mod error;
pub mod join;
pub mod outbox;
pub mod retention;
pub mod upload;

pub use client::{Api, Credentials, RetryPolicy};
pub use error::SyncError;
pub use outbox::Outbox;
pub use upload::{Progress, SyncOptions, SyncReport, sync_live_session, sync_session};
