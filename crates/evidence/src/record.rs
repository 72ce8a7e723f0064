//! The records of the evidence log.
//!
//! A record is one compact JSON object, stored verbatim (never re-encoded) and
//! hashed as bytes. Parsing is strict: unknown fields are errors, hashes are
//! lowercase hex, keys and signatures canonical base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::clock::Timestamp;
use crate::merkle::Hash;

/// The `format` value of record 0 for this version of the evidence format.
pub const FORMAT_V1: &str = "paraakh-evidence/1";

/// How serious a record is. Records of severity high or critical are durable
/// before the call that appends them returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Context, no concern.
    Info,
    /// Worth a glance.
    Low,
    /// A reviewer should look.
    Medium,
    /// A likely violation.
    High,
    /// A violation the policy acts on immediately.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One log record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Position in the log, from 0, without gaps.
    pub seq: u64,
    /// When it was written.
    pub time: Timestamp,
    /// How serious it is.
    pub severity: Severity,
    /// What it says.
    pub body: Body,
}

impl Record {
    /// The verbatim bytes stored in the log.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising these types cannot fail: no maps with non-string keys, no
        // failing Serialize impls. An empty object is never a valid record.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses a record strictly.
    pub fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// What a record says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Body {
    /// Record 0: who, what and with which keys.
    Header(Box<SessionHeader>),
    /// A new log segment after the client stopped unexpectedly, with a new session key.
    Segment(SegmentStart),
    /// Something a monitor or the policy engine observed.
    Event(Event),
    /// An encrypted media file in `blobs/`.
    Blob(BlobRef),
    /// An autosave of one answer, encrypted to the tenant.
    Answer(AnswerSave),
    /// The final answers the candidate submitted.
    Submission(Submission),
    /// The wall clock moved differently from the boot clock since the previous record.
    ClockJump(ClockJump),
    /// A checkpoint of the log up to `size` was signed and stored.
    Checkpoint(CheckpointRef),
    /// The backend cosigned a checkpoint.
    Receipt(ReceiptRef),
    /// The session is alive.
    Heartbeat {},
    /// The end of the session.
    End(SessionEnd),
}

impl Body {
    /// The record type's name as written in the log.
    pub fn type_name(&self) -> &'static str {
        match self {
            Body::Header(_) => "header",
            Body::Segment(_) => "segment",
            Body::Event(_) => "event",
            Body::Blob(_) => "blob",
            Body::Answer(_) => "answer",
            Body::Submission(_) => "submission",
            Body::ClockJump(_) => "clock_jump",
            Body::Checkpoint(_) => "checkpoint",
            Body::Receipt(_) => "receipt",
            Body::Heartbeat {} => "heartbeat",
            Body::End(_) => "end",
        }
    }
}

/// Record 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionHeader {
    /// Always [`FORMAT_V1`].
    pub format: String,
    /// The session's identifier.
    pub session_id: String,
    /// The exam's identifier.
    pub exam_id: String,
    /// The tenant's identifier.
    pub tenant_id: String,
    /// The checkpoint origin line (and session key name) of this log.
    pub origin: String,
    /// SHA-256 of the exam policy in force.
    pub policy_sha256: HexHash,
    /// The client that wrote the log.
    pub client: ClientInfo,
    /// The device's Ed25519 public key that certifies session keys.
    pub device_key: B64Key,
    /// The first session key, certified by the device key.
    pub session_key: KeyCertificate,
    /// The tenant's X25519 key that blobs and answers are encrypted to.
    pub tenant_encryption_key: TenantKeyRef,
    /// The backend's cosigning key (C2SP vkey, type 0x04) pinned by the installation, if online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_key: Option<String>,
    /// The nonce of the backend's session statement (the `statement` file),
    /// when the backend bound the session to this device before it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_nonce: Option<String>,
}

/// The client build that wrote the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientInfo {
    /// Version string.
    pub version: String,
    /// SHA-256 of the client executable.
    pub build_sha256: HexHash,
}

impl ClientInfo {
    /// `version` and the SHA-256 of the running program: the client build
    /// every session header names.
    pub fn this_program(version: &str) -> std::io::Result<Self> {
        let exe = std::env::current_exe()?;
        let bytes = std::fs::read(&exe).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot read {}: {e}", exe.display()))
        })?;
        Ok(Self {
            version: version.to_owned(),
            build_sha256: HexHash(crate::merkle::sha256(&bytes)),
        })
    }
}

/// A session key certified by the device key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyCertificate {
    /// Segment number (0 for the first).
    pub segment: u32,
    /// The session key's Ed25519 public key.
    pub public_key: B64Key,
    /// The device key's signature over [`certificate_message`].
    pub certificate: B64Sig,
}

/// The bytes the device key signs to certify a session key.
pub fn certificate_message(origin: &str, segment: u32, public_key: &[u8; 32]) -> Vec<u8> {
    format!(
        "paraakh session key certificate v1\norigin {origin}\nsegment {segment}\nkey {}\n",
        B64.encode(public_key)
    )
    .into_bytes()
}

/// The tenant's encryption key as recorded in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantKeyRef {
    /// Key name.
    pub name: String,
    /// X25519 public key.
    pub key: B64Key,
}

/// A new segment after the client stopped unexpectedly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentStart {
    /// The new session key, certified by the same device key.
    pub session_key: KeyCertificate,
    /// What recovery found and repaired.
    pub recovery: RecoveryNote,
    /// The last checkpoint the machine signed before this segment: a
    /// backend holding a later one knows the machine went back (a fork).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_checkpoint: Option<CheckpointRef>,
}

/// What recovery repaired before a new segment started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryNote {
    /// Bytes of a torn, never-committed record cut from the end of the log.
    pub truncated_log_bytes: u64,
    /// Bytes of a torn checkpoint cut from the end of `checkpoints`.
    pub truncated_checkpoint_bytes: u64,
    /// Bytes of a torn receipt cut from the end of `receipts`.
    pub truncated_receipt_bytes: u64,
    /// Blob files written but never recorded in the log, removed.
    pub discarded_blobs: Vec<HexHash>,
}

/// Something observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// What kind of event (`focus_lost`, `no_face`, ...).
    pub kind: String,
    /// A plain-words description for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Structured details.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub detail: serde_json::Map<String, serde_json::Value>,
}

/// An encrypted media file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobRef {
    /// SHA-256 of the ciphertext file: its name in `blobs/`.
    pub sha256: HexHash,
    /// Ciphertext size in bytes.
    pub size: u64,
    /// SHA-256 of the plaintext.
    pub plaintext_sha256: HexHash,
    /// Plaintext size in bytes.
    pub plaintext_size: u64,
    /// MIME type of the plaintext (`image/jpeg`, `audio/ogg`, ...).
    pub media_type: String,
    /// Why it was captured (`webcam_snapshot`, `screen_capture`, `speech_clip`, ...).
    pub purpose: String,
    /// The event it is evidence for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_seq: Option<u64>,
}

/// One autosaved answer, sealed to the tenant like a blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSave {
    /// The question's identifier.
    pub question: String,
    /// The answer sealed in the blob format.
    pub sealed: B64Bytes,
    /// SHA-256 of the plaintext answer.
    pub plaintext_sha256: HexHash,
    /// Plaintext size in bytes.
    pub plaintext_size: u64,
}

/// The submission: which autosave is the final answer to each question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// The final answers.
    pub answers: Vec<SubmittedAnswer>,
}

/// One final answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmittedAnswer {
    /// The question's identifier.
    pub question: String,
    /// The `seq` of the answer record submitted.
    pub answer_seq: u64,
}

/// A clock jump between the previous record and this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockJump {
    /// Wall-clock movement minus boot-clock movement, in nanoseconds.
    pub skew_ns: i64,
}

/// A reference to a signed checkpoint in `checkpoints`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointRef {
    /// The checkpoint's tree size.
    pub size: u64,
    /// SHA-256 of the signed note.
    pub note_sha256: HexHash,
}

/// A reference to a receipt in `receipts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRef {
    /// The cosigned tree size.
    pub size: u64,
    /// SHA-256 of the cosigned note.
    pub receipt_sha256: HexHash,
}

/// The end of the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionEnd {
    /// Why it ended (`submitted`, `time_up`, `proctor_ended`, `simulated`, ...).
    pub reason: String,
}

/// A SHA-256 written as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HexHash(pub Hash);

impl HexHash {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Parses exactly 64 lowercase hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in s.as_bytes().chunks(2).enumerate() {
            out[i] = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
        }
        Some(Self(out))
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// A key's fingerprint in reports: the first 16 hex digits of its SHA-256.
pub fn fingerprint(key: &[u8]) -> String {
    to_hex(&crate::merkle::sha256(key)[..8])
}

/// Lowercase hex of bytes.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

impl Serialize for HexHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for HexHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        HexHash::parse(&s)
            .ok_or_else(|| serde::de::Error::custom("expected 64 lowercase hex digits"))
    }
}

macro_rules! b64_fixed {
    ($name:ident, $len:expr, $doc:expr) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub [u8; $len]);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&B64.encode(self.0))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                let bytes = decode_canonical(&s).map_err(serde::de::Error::custom)?;
                let arr: [u8; $len] = bytes.as_slice().try_into().map_err(|_| {
                    serde::de::Error::custom(concat!("expected ", stringify!($len), " bytes"))
                })?;
                Ok(Self(arr))
            }
        }
    };
}

b64_fixed!(B64Key, 32, "A 32-byte key in standard base64.");
b64_fixed!(B64Sig, 64, "A 64-byte signature in standard base64.");

/// Bytes in standard base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct B64Bytes(pub Vec<u8>);

impl Serialize for B64Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for B64Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        decode_canonical(&s)
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

fn decode_canonical(s: &str) -> Result<Vec<u8>, &'static str> {
    let bytes = B64.decode(s).map_err(|_| "invalid base64")?;
    if B64.encode(&bytes) != s {
        return Err("non-canonical base64");
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(body: Body) -> Record {
        Record {
            seq: 3,
            time: Timestamp {
                utc_ns: 1,
                boot_ns: 2,
            },
            severity: Severity::Low,
            body,
        }
    }

    #[test]
    fn records_round_trip() {
        let r = rec(Body::Event(Event {
            kind: "focus_lost".into(),
            message: Some("window lost focus".into()),
            detail: serde_json::Map::new(),
        }));
        let bytes = r.to_bytes();
        assert_eq!(Record::parse(&bytes).unwrap(), r);
        let hb = rec(Body::Heartbeat {});
        assert_eq!(Record::parse(&hb.to_bytes()).unwrap(), hb);
    }

    #[test]
    fn unknown_fields_are_refused_at_every_level() {
        let ok = br#"{"seq":1,"time":{"utc_ns":1,"boot_ns":1},"severity":"info","body":{"type":"end","reason":"x"}}"#;
        assert!(Record::parse(ok).is_ok());
        for bad in [
            r#"{"seq":1,"time":{"utc_ns":1,"boot_ns":1},"severity":"info","body":{"type":"end","reason":"x"},"extra":1}"#,
            r#"{"seq":1,"time":{"utc_ns":1,"boot_ns":1,"x":0},"severity":"info","body":{"type":"end","reason":"x"}}"#,
            r#"{"seq":1,"time":{"utc_ns":1,"boot_ns":1},"severity":"info","body":{"type":"end","reason":"x","y":2}}"#,
            r#"{"seq":1,"time":{"utc_ns":1,"boot_ns":1},"severity":"info","body":{"type":"heartbeat","y":2}}"#,
            r#"{"seq":1,"time":{"utc_ns":1,"boot_ns":1},"severity":"bad","body":{"type":"heartbeat"}}"#,
            r#"{"seq":1,"time":{"utc_ns":1,"boot_ns":1},"severity":"info","body":{"type":"nope"}}"#,
            r#"{"seq":1,"seq":1,"time":{"utc_ns":1,"boot_ns":1},"severity":"info","body":{"type":"heartbeat"}}"#,
        ] {
            assert!(Record::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn hex_and_base64_are_strict() {
        assert!(HexHash::parse(&"ab".repeat(32)).is_some());
        assert!(HexHash::parse(&"AB".repeat(32)).is_none());
        assert!(HexHash::parse(&"ab".repeat(31)).is_none());
        assert!(
            serde_json::from_str::<B64Key>("\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"")
                .is_ok()
        );
        // Same bytes, non-canonical trailing bits.
        assert!(
            serde_json::from_str::<B64Key>("\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\"")
                .is_err()
        );
    }
}
