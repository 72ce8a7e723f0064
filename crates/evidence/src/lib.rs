//! The evidence core of Paraakh Secure Exam: a tamper-evident session log.
//!
//! A session is one directory (see [`layout`]): an append-only log of records
//! forming an RFC 6962 Merkle tree, checkpoints signed with a per-segment
//! session key that the device key certifies, receipts (the backend's C2SP
//! cosignatures), and media blobs encrypted to the tenant with HPKE. The
//! directory is also the export an auditor receives; [`verify::verify`]
//! checks it completely and offline.
//!
//! This crate depends on no capture, detection or UI code: `paraakh verify`
//! stays small and auditable.

#![forbid(unsafe_code)]

pub mod blob;
pub mod clock;
pub mod conflict;
pub mod frame;
pub mod hpke;
pub mod layout;
pub mod merkle;
pub mod note;
pub mod record;
mod recovery;
pub mod review;
/// Key material (re-exported from `paraakh-keys`).
pub use paraakh_keys as keys;
pub mod simulate;
pub mod statement;
pub mod verify;
pub mod writer;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use keys::{NoteSigner, NoteVerifier, TenantPublicKey, TenantSecretKey};
pub use record::{Body, Record, Severity};
pub use verify::{Finding, FindingKind, Report, Status, VerifyOptions, verify};
pub use writer::{BlobMeta, Recovered, SessionParams, SessionWriter, WriterError};
