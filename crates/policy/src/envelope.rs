//! Signed tenant artefacts: DSSE envelopes (<https://github.com/secure-systems-lab/dsse>)
//! with Ed25519 signatures made by the tenant's signing key.
//!
//! ```json
//! {"payloadType": "application/vnd.paraakh.policy+toml",
//!  "payload": "<base64 of the artefact>",
//!  "signatures": [{"keyid": "<key name>+<hex key id>", "sig": "<base64 Ed25519 over PAE>"}]}
//! ```
//!
//! The signature covers PAE(payloadType, payload) =
//! `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, so the type
//! cannot be swapped. A client accepts an envelope only with a valid signature
//! from a key pinned in its installation or join config.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use paraakh_keys::{NoteSigner, NoteVerifier};
use serde::{Deserialize, Serialize};

/// Payload type of a signed exam policy (TOML).
pub const POLICY_TYPE: &str = "application/vnd.paraakh.policy+toml";
/// Payload type of a signed exam package manifest (JSON).
pub const EXAM_TYPE: &str = "application/vnd.paraakh.exam+json";
/// The payload type of a proctoring centre's signed launch file (TOML).
pub const LAUNCH_TYPE: &str = "application/vnd.paraakh.launch+toml";
/// Largest envelope accepted.
pub const MAX_ENVELOPE_BYTES: usize = 64 << 20;
const MAX_SIGNATURES: usize = 16;

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Larger than any artefact needs to be.
    #[error("the signed file is {0} bytes; signed artefacts are limited to 64 MiB")]
    TooLarge(usize),
    /// Not a DSSE envelope.
    #[error("not a signed Paraakh artefact (DSSE envelope): {0}")]
    Malformed(String),
    /// The envelope holds another kind of artefact.
    #[error("this file is a signed {found:?}, but a {expected:?} was expected")]
    WrongType {
        /// The payload type found.
        found: String,
        /// The payload type expected.
        expected: String,
    },
    /// No signature from a trusted key.
    #[error(
        "the file is signed by a key this installation does not trust ({keyids}); ask your exam centre for the current configuration"
    )]
    Untrusted {
        /// The key ids found, comma-separated.
        keyids: String,
    },
    /// A signature from a trusted key does not verify.
    #[error(
        "the signature of trusted key {keyid} does not match: the file was altered after it was signed; get a fresh copy from your exam centre"
    )]
    BadSignature {
        /// The key id.
        keyid: String,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Wire {
    payload_type: String,
    payload: String,
    signatures: Vec<WireSig>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSig {
    keyid: String,
    sig: String,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `name+hexid` of the signing key.
    pub keyid: String,
    /// The Ed25519 signature.
    pub sig: Vec<u8>,
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// What the payload is.
    pub payload_type: String,
    /// The signed bytes.
    pub payload: Vec<u8>,
    /// Signatures over PAE(payload_type, payload).
    pub signatures: Vec<Signature>,
}

/// DSSE pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The key id an envelope names for a key: `name+hexid`.
pub fn keyid(key: &NoteVerifier) -> String {
    format!("{}+{:08x}", key.name(), key.key_id())
}

fn decode_b64(s: &str, what: &str) -> Result<Vec<u8>, EnvelopeError> {
    let bytes = B64
        .decode(s)
        .map_err(|_| EnvelopeError::Malformed(format!("the {what} is not valid base64")))?;
    if B64.encode(&bytes) != s {
        return Err(EnvelopeError::Malformed(format!(
            "the {what} is not canonical base64"
        )));
    }
    Ok(bytes)
}

impl Envelope {
    /// Signs `payload` as `payload_type` with the tenant's signing key.
    pub fn sign(payload_type: &str, payload: Vec<u8>, key: &NoteSigner) -> Self {
        let sig = key.sign(&pae(payload_type, &payload)).to_vec();
        Self {
            payload_type: payload_type.to_owned(),
            payload,
            signatures: vec![Signature {
                keyid: keyid(&key.verifier()),
                sig,
            }],
        }
    }

    /// The JSON encoding.
    pub fn to_json(&self) -> String {
        let wire = Wire {
            payload_type: self.payload_type.clone(),
            payload: B64.encode(&self.payload),
            signatures: self
                .signatures
                .iter()
                .map(|s| WireSig {
                    keyid: s.keyid.clone(),
                    sig: B64.encode(&s.sig),
                })
                .collect(),
        };
        // Plain strings and lists: serialisation cannot fail.
        let mut text = serde_json::to_string_pretty(&wire).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses an envelope strictly (no unknown fields, canonical base64, size limits).
    pub fn parse(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(EnvelopeError::TooLarge(bytes.len()));
        }
        let wire: Wire =
            serde_json::from_slice(bytes).map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        if wire.payload_type.is_empty() || wire.payload_type.len() > 256 {
            return Err(EnvelopeError::Malformed(
                "the payload type is empty or too long".into(),
            ));
        }
        if wire.signatures.is_empty() {
            return Err(EnvelopeError::Malformed(
                "it carries no signature: the file is not signed".into(),
            ));
        }
        if wire.signatures.len() > MAX_SIGNATURES {
            return Err(EnvelopeError::Malformed(
                "it carries too many signatures".into(),
            ));
        }
        let payload = decode_b64(&wire.payload, "payload")?;
        let signatures = wire
            .signatures
            .into_iter()
            .map(|s| {
                if s.keyid.is_empty() || s.keyid.len() > 256 {
                    return Err(EnvelopeError::Malformed(
                        "a key id is empty or too long".into(),
                    ));
                }
                Ok(Signature {
                    sig: decode_b64(&s.sig, "signature")?,
                    keyid: s.keyid,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            payload_type: wire.payload_type,
            payload,
            signatures,
        })
    }

    /// Checks the type and that a trusted key signed it; returns the payload.
    /// Any signature by a trusted key must verify, and at least one must exist.
    pub fn verify(
        &self,
        expected_type: &str,
        trusted: &[NoteVerifier],
    ) -> Result<&[u8], EnvelopeError> {
        if self.payload_type != expected_type {
            return Err(EnvelopeError::WrongType {
                found: self.payload_type.clone(),
                expected: expected_type.to_owned(),
            });
        }
        let message = pae(&self.payload_type, &self.payload);
        let mut verified = false;
        for sig in &self.signatures {
            if let Some(key) = trusted.iter().find(|k| keyid(k) == sig.keyid) {
                if !key.verify(&message, &sig.sig) {
                    return Err(EnvelopeError::BadSignature {
                        keyid: sig.keyid.clone(),
                    });
                }
                verified = true;
            }
        }
        if verified {
            Ok(&self.payload)
        } else {
            Err(EnvelopeError::Untrusted {
                keyids: self
                    .signatures
                    .iter()
                    .map(|s| s.keyid.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paraakh_keys::SIG_TYPE_ED25519;

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // From the DSSE protocol specification.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn round_trip_and_verify() {
        let key = NoteSigner::generate("tenant.example", SIG_TYPE_ED25519).unwrap();
        let env = Envelope::sign(POLICY_TYPE, b"format = 1\n".to_vec(), &key);
        let parsed = Envelope::parse(env.to_json().as_bytes()).unwrap();
        assert_eq!(parsed, env);
        assert_eq!(
            parsed.verify(POLICY_TYPE, &[key.verifier()]).unwrap(),
            b"format = 1\n"
        );
        assert!(matches!(
            parsed.verify(EXAM_TYPE, &[key.verifier()]),
            Err(EnvelopeError::WrongType { .. })
        ));
    }
}
