//! Histories the backend refused. When a machine sends a checkpoint that
//! contradicts the records the backend already holds (it went back and
//! rewrote its log after an upload), the backend refuses it and keeps the
//! refused checkpoint with the certificate of the session key that signed
//! it. An honest client never signs such a checkpoint (it signs only
//! durable records and recovery never cuts below a checkpoint), so a
//! refused checkpoint signed by a key the session's device key certified is
//! evidence that the device's owner wrote two histories. The backend's
//! export carries them in the `conflicts` file; `verify` checks each.

use serde::{Deserialize, Serialize};

use crate::record::KeyCertificate;

/// One refused checkpoint, as the backend kept it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    /// When the backend refused it (POSIX seconds, the backend's clock).
    pub received: u64,
    /// Records the backend held at that moment.
    pub held_records: u64,
    /// Why it was refused.
    pub reason: String,
    /// The refused checkpoint (a signed note, as sent).
    pub checkpoint: String,
    /// The certificate of the session key that signed it.
    pub key: KeyCertificate,
}

impl Conflict {
    /// The bytes stored as one frame of `conflicts`.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses one frame of `conflicts`.
    pub fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
