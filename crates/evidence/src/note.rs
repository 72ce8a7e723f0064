//! C2SP signed notes (<https://c2sp.org/signed-note>), C2SP tlog-checkpoint
//! bodies and C2SP tlog-cosignature/v1 (Ed25519) cosignatures.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::keys::{NoteSigner, NoteVerifier, SIG_TYPE_COSIGNATURE_V1, valid_key_name};
use crate::merkle::Hash;

/// Largest note accepted, in bytes.
pub const MAX_NOTE_BYTES: usize = crate::frame::MAX_NOTE_LEN as usize;
/// Most signature lines accepted on one note.
pub const MAX_SIGNATURES: usize = 100;

const SIG_PREFIX: &str = "\u{2014} ";

/// Why a note, checkpoint or cosignature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note is not well formed.
    #[error("malformed signed note: {0}")]
    Malformed(&'static str),
    /// No signature line is from the expected key.
    #[error("the note has no signature from key {name} ({key_id:08x})")]
    UnknownKey {
        /// Expected key name.
        name: String,
        /// Expected key ID.
        key_id: u32,
    },
    /// A signature from the expected key does not verify.
    #[error(
        "the signature from key {name} ({key_id:08x}) does not verify: the note was altered or signed by another key"
    )]
    BadSignature {
        /// Key name.
        name: String,
        /// Key ID.
        key_id: u32,
    },
    /// The checkpoint body is not a valid C2SP checkpoint.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name on the line.
    pub name: String,
    /// The key ID (first four bytes of the decoded signature).
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    fn line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}\n", self.name, B64.encode(raw))
    }
}

/// A signed note: text (ending in a newline) and one or more signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl SignedNote {
    /// Signs `text` with each signer (plain Ed25519 note signatures).
    pub fn sign(text: &str, signers: &[&NoteSigner]) -> Result<Self, NoteError> {
        check_text(text)?;
        let signatures = signers
            .iter()
            .map(|s| NoteSignature {
                name: s.name().to_owned(),
                key_id: s.key_id(),
                signature: s.sign(text.as_bytes()).to_vec(),
            })
            .collect();
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Parses a note strictly (UTF-8, no control characters but newline, size and
    /// signature count limits, well-formed signature lines).
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(NoteError::Malformed("the note is too large"));
        }
        let s = std::str::from_utf8(bytes).map_err(|_| NoteError::Malformed("not UTF-8"))?;
        if s.chars().any(|c| c < ' ' && c != '\n') {
            return Err(NoteError::Malformed(
                "control characters other than newline",
            ));
        }
        let split = s
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let text = &s[..=split];
        let sig_block = &s[split + 2..];
        check_text(text)?;
        if sig_block.is_empty() || !sig_block.ends_with('\n') {
            return Err(NoteError::Malformed(
                "the signature block must end with a newline",
            ));
        }
        let mut signatures = Vec::new();
        for line in sig_block[..sig_block.len() - 1].split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::Malformed("too many signatures"));
            }
            let rest = line.strip_prefix(SIG_PREFIX).ok_or(NoteError::Malformed(
                "a signature line must start with an em dash and a space",
            ))?;
            let (name, b64) = rest.split_once(' ').ok_or(NoteError::Malformed(
                "a signature line needs a key name and a signature",
            ))?;
            if !valid_key_name(name) {
                return Err(NoteError::Malformed("invalid key name in a signature line"));
            }
            let raw = B64
                .decode(b64)
                .map_err(|_| NoteError::Malformed("a signature is not valid base64"))?;
            if raw.len() < 5 {
                return Err(NoteError::Malformed("a signature is too short"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
                signature: raw[4..].to_vec(),
            });
        }
        let note = Self {
            text: text.to_owned(),
            signatures,
        };
        // Non-canonical base64 would let two byte strings carry one note.
        if note.encode().as_bytes() != bytes {
            return Err(NoteError::Malformed("non-canonical encoding"));
        }
        Ok(note)
    }

    /// The signed text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line.
    pub fn push_signature(&mut self, sig: NoteSignature) {
        self.signatures.push(sig);
    }

    /// The wire encoding.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1 + 120 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for sig in &self.signatures {
            out.push_str(&sig.line());
        }
        out
    }

    fn matching<'a>(&'a self, v: &NoteVerifier) -> impl Iterator<Item = &'a NoteSignature> {
        let (name, id) = (v.name().to_owned(), v.key_id());
        self.signatures
            .iter()
            .filter(move |s| s.name == name && s.key_id == id)
    }

    /// Checks that the note carries a valid plain Ed25519 signature from `v`,
    /// and that no signature line from `v` fails.
    pub fn verify(&self, v: &NoteVerifier) -> Result<(), NoteError> {
        let mut found = false;
        for sig in self.matching(v) {
            if !v.verify(self.text.as_bytes(), &sig.signature) {
                return Err(NoteError::BadSignature {
                    name: v.name().to_owned(),
                    key_id: v.key_id(),
                });
            }
            found = true;
        }
        if found {
            Ok(())
        } else {
            Err(NoteError::UnknownKey {
                name: v.name().to_owned(),
                key_id: v.key_id(),
            })
        }
    }

    /// Adds a C2SP tlog-cosignature/v1 made by `cosigner` at POSIX time `timestamp`.
    pub fn cosign(&mut self, cosigner: &NoteSigner, timestamp: u64) -> Result<(), NoteError> {
        if cosigner.sig_type() != SIG_TYPE_COSIGNATURE_V1 {
            return Err(NoteError::Malformed(
                "a cosigner key must have signature type 0x04",
            ));
        }
        if timestamp > i64::MAX as u64 {
            return Err(NoteError::Malformed("cosignature timestamp out of range"));
        }
        let msg = cosigned_message(&self.text, timestamp);
        let mut signature = Vec::with_capacity(72);
        signature.extend_from_slice(&timestamp.to_be_bytes());
        signature.extend_from_slice(&cosigner.sign(msg.as_bytes()));
        self.signatures.push(NoteSignature {
            name: cosigner.name().to_owned(),
            key_id: cosigner.key_id(),
            signature,
        });
        Ok(())
    }

    /// Checks the cosignature of `v` (a type 0x04 key) and returns its timestamp.
    pub fn verify_cosignature(&self, v: &NoteVerifier) -> Result<u64, NoteError> {
        let mut timestamp = None;
        for sig in self.matching(v) {
            let bad = || NoteError::BadSignature {
                name: v.name().to_owned(),
                key_id: v.key_id(),
            };
            if sig.signature.len() != 72 || v.sig_type() != SIG_TYPE_COSIGNATURE_V1 {
                return Err(bad());
            }
            let mut ts = [0u8; 8];
            ts.copy_from_slice(&sig.signature[..8]);
            let ts = u64::from_be_bytes(ts);
            if ts > i64::MAX as u64 {
                return Err(bad());
            }
            let msg = cosigned_message(&self.text, ts);
            if !v.verify(msg.as_bytes(), &sig.signature[8..]) {
                return Err(bad());
            }
            timestamp = Some(ts);
        }
        timestamp.ok_or_else(|| NoteError::UnknownKey {
            name: v.name().to_owned(),
            key_id: v.key_id(),
        })
    }
}

fn cosigned_message(text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() || !text.ends_with('\n') {
        return Err(NoteError::Malformed("the text must end with a newline"));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed(
            "control characters other than newline",
        ));
    }
    Ok(())
}

/// The body of a C2SP tlog-checkpoint: origin, tree size, root hash.
/// Extension lines are refused: this log never writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointBody {
    /// The log's origin line.
    pub origin: String,
    /// The number of records covered.
    pub size: u64,
    /// The RFC 6962 root hash at that size.
    pub root: Hash,
}

impl CheckpointBody {
    /// The note text.
    pub fn to_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses a checkpoint note text strictly.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let bad = NoteError::MalformedCheckpoint;
        let body = text
            .strip_suffix('\n')
            .ok_or(bad("the text must end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        let size = lines.next().ok_or(bad("missing the tree size line"))?;
        let root = lines.next().ok_or(bad("missing the root hash line"))?;
        if lines.next().is_some() {
            return Err(bad("unexpected extension lines"));
        }
        if origin.is_empty() || origin.chars().any(|c| c.is_whitespace() || c == '+') {
            return Err(bad("the origin must be non-empty with no spaces or '+'"));
        }
        let size_ok = size == "0"
            || (!size.is_empty()
                && !size.starts_with('0')
                && size.len() <= 20
                && size.bytes().all(|b| b.is_ascii_digit()));
        if !size_ok {
            return Err(bad("the tree size is not a canonical decimal number"));
        }
        let size: u64 = size
            .parse()
            .map_err(|_| bad("the tree size is out of range"))?;
        let root_bytes = B64
            .decode(root)
            .map_err(|_| bad("the root hash is not valid base64"))?;
        let root: Hash = root_bytes
            .as_slice()
            .try_into()
            .map_err(|_| bad("the root hash is not 32 bytes"))?;
        let parsed = Self {
            origin: origin.to_owned(),
            size,
            root,
        };
        if parsed.to_text() != text {
            return Err(bad("non-canonical encoding"));
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{NoteSigner, SIG_TYPE_ED25519};

    #[test]
    fn parse_rejects_missing_signatures_and_bad_lines() {
        assert!(SignedNote::parse(b"text\n\n").is_err());
        assert!(SignedNote::parse(b"text\n").is_err());
        assert!(SignedNote::parse(b"text\n\n- name AAAAAAAA\n").is_err());
        assert!(SignedNote::parse(b"text\n\n\xe2\x80\x94 name AAAA\n").is_err());
        assert!(SignedNote::parse(b"te\x01xt\n\n\xe2\x80\x94 n AAAAAAA=\n").is_err());
    }

    #[test]
    fn checkpoint_body_is_strict() {
        let root = B64.encode([7u8; 32]);
        assert!(CheckpointBody::parse(&format!("o\n5\n{root}\n")).is_ok());
        assert!(CheckpointBody::parse(&format!("o\n05\n{root}\n")).is_err());
        assert!(CheckpointBody::parse(&format!("o\n5\n{root}\next\n")).is_err());
        assert!(CheckpointBody::parse(&format!("o\n5\n{root}")).is_err());
        assert!(CheckpointBody::parse(&format!("o o\n5\n{root}\n")).is_err());
        assert!(CheckpointBody::parse("o\n5\nAAAA\n").is_err());
        assert!(CheckpointBody::parse(&format!("o\n-5\n{root}\n")).is_err());
        assert!(CheckpointBody::parse(&format!("o\n99999999999999999999\n{root}\n")).is_err());
    }

    #[test]
    fn cosignature_round_trip_and_tamper() {
        let log = NoteSigner::generate("example.com/log", SIG_TYPE_ED25519).unwrap();
        let witness = NoteSigner::generate("witness.example/w1", SIG_TYPE_COSIGNATURE_V1).unwrap();
        let body = CheckpointBody {
            origin: "example.com/log".into(),
            size: 3,
            root: [1; 32],
        };
        let mut note = SignedNote::sign(&body.to_text(), &[&log]).unwrap();
        note.cosign(&witness, 1_679_315_147).unwrap();
        let reparsed = SignedNote::parse(note.encode().as_bytes()).unwrap();
        reparsed.verify(&log.verifier()).unwrap();
        assert_eq!(
            reparsed.verify_cosignature(&witness.verifier()).unwrap(),
            1_679_315_147
        );
        // A plain note signature is not a cosignature, and vice versa.
        assert!(reparsed.verify(&witness.verifier()).is_err());
        let other = NoteSigner::generate("witness.example/w1", SIG_TYPE_COSIGNATURE_V1).unwrap();
        assert!(matches!(
            reparsed.verify_cosignature(&other.verifier()),
            Err(NoteError::UnknownKey { .. })
        ));
        let altered = note.encode().replacen("\n3\n", "\n4\n", 1);
        let altered = SignedNote::parse(altered.as_bytes()).unwrap();
        assert!(altered.verify_cosignature(&witness.verifier()).is_err());
    }
}
