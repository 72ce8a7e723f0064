//! Key material of Paraakh Secure Exam and its text encodings.
//!
//! Ed25519 keys use the C2SP signed-note encodings (Go `sumdb/note` compatible):
//! a verifier key is `name+hexid+base64(type ‖ public key)`, a signer key is
//! `PRIVATE+KEY+name+hexid+base64(type ‖ seed)`. The signature type byte is
//! 0x01 for plain note signatures and 0x04 for C2SP tlog-cosignature/v1.
//!
//! The tenant's evidence encryption key is X25519; its files are one line each:
//! `PARAAKH-X25519-SECRET-KEY+name+base64(secret)` and
//! `paraakh-x25519-public-key+name+base64(public)`.

#![forbid(unsafe_code)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

mod private_file;
pub use private_file::{
    create_private, create_private_dir, load_or_create_signer, private_options, write_private,
    write_public,
};

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, data).as_ref());
    out
}

/// Signature type byte of a plain Ed25519 note signature.
pub const SIG_TYPE_ED25519: u8 = 0x01;
/// Signature type byte of a C2SP tlog-cosignature/v1 (timestamped Ed25519).
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;

/// Why a key could not be read or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not in the expected key format.
    #[error("not a valid {what}: {why}")]
    Malformed {
        /// What kind of key was expected.
        what: &'static str,
        /// What is wrong.
        why: &'static str,
    },
    /// The key name is empty or contains spaces or '+'.
    #[error("invalid key name {0:?}: a key name must be non-empty and contain no spaces or '+'")]
    BadName(String),
    /// The key's signature type is not the one expected here.
    #[error("the key has signature type {found:#04x}, but {expected:#04x} is needed here")]
    WrongType {
        /// Type found.
        found: u8,
        /// Type expected.
        expected: u8,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
}

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), KeyError> {
    SystemRandom::new().fill(buf).map_err(|_| KeyError::Random)
}

/// True when `name` is a valid C2SP key name (non-empty, no Unicode spaces, no '+').
pub fn valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// The C2SP key ID: the first four bytes of SHA-256(name ‖ 0x0A ‖ type ‖ public key).
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> u32 {
    let mut data = Vec::with_capacity(name.len() + 2 + public_key.len());
    data.extend_from_slice(name.as_bytes());
    data.push(b'\n');
    data.push(sig_type);
    data.extend_from_slice(public_key);
    let h = sha256(&data);
    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// An Ed25519 signing key with a C2SP key name and signature type.
pub struct NoteSigner {
    name: String,
    sig_type: u8,
    seed: Zeroizing<[u8; 32]>,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("sig_type", &self.sig_type)
            .field("key_id", &format_args!("{:08x}", self.key_id()))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// A new random key.
    pub fn generate(name: &str, sig_type: u8) -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        random_bytes(seed.as_mut())?;
        Self::from_seed(name, sig_type, &seed)
    }

    /// The key with the given RFC 8032 seed.
    pub fn from_seed(name: &str, sig_type: u8, seed: &[u8; 32]) -> Result<Self, KeyError> {
        if !valid_key_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| KeyError::Malformed {
            what: "Ed25519 seed",
            why: "rejected by the Ed25519 implementation",
        })?;
        Ok(Self {
            name: name.to_owned(),
            sig_type,
            seed: Zeroizing::new(*seed),
            pair,
        })
    }

    /// Parses `PRIVATE+KEY+name+hexid+base64(type ‖ seed)`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        const WHAT: &str = "signing key (PRIVATE+KEY+name+id+key)";
        let bad = |why| KeyError::Malformed { what: WHAT, why };
        let rest = text
            .trim_end_matches(['\n', '\r'])
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(bad("it does not start with PRIVATE+KEY+"))?;
        let (name, id, material) = split_key(rest).ok_or(bad("expected name+id+key"))?;
        let bytes = B64
            .decode(material)
            .map_err(|_| bad("the key is not valid base64"))?;
        let [sig_type, seed @ ..] = bytes.as_slice() else {
            return Err(bad("the key is empty"));
        };
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| bad("the seed is not 32 bytes"))?;
        let signer = Self::from_seed(name, *sig_type, &seed)?;
        if signer.key_id() != id {
            return Err(bad("the key id does not match the key"));
        }
        Ok(signer)
    }

    /// The `PRIVATE+KEY+...` encoding.
    pub fn encode(&self) -> Zeroizing<String> {
        let mut material = Zeroizing::new(Vec::with_capacity(33));
        material.push(self.sig_type);
        material.extend_from_slice(self.seed.as_ref());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id(),
            B64.encode(&*material)
        ))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signature type byte.
    pub fn sig_type(&self) -> u8 {
        self.sig_type
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }

    /// The C2SP key ID.
    pub fn key_id(&self) -> u32 {
        key_id(&self.name, self.sig_type, &self.public_key())
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            sig_type: self.sig_type,
            public_key: self.public_key(),
        }
    }

    /// An Ed25519 signature over `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(msg).as_ref());
        out
    }

    /// The same key under another name (the certification binds name and key).
    pub fn renamed(&self, name: &str) -> Result<Self, KeyError> {
        Self::from_seed(name, self.sig_type, &self.seed)
    }

    /// A new Ed25519 key derived from this one for `label` (HMAC-SHA256 of
    /// the label under this key's seed): whoever holds this key derives the
    /// same key for the same label, and nothing else can. The backend's
    /// replicas derive each reviewer's key this way.
    pub fn derive(&self, name: &str, label: &[u8]) -> Result<Self, KeyError> {
        Self::from_seed(name, SIG_TYPE_ED25519, &self.derive_secret(label))
    }

    /// 32 secret bytes derived from this key for `label` (HMAC-SHA256 of
    /// the label under this key's seed), for a MAC key every holder of this
    /// key shares.
    pub fn derive_secret(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, self.seed.as_ref());
        let tag = ring::hmac::sign(&key, label);
        let mut secret = Zeroizing::new([0u8; 32]);
        secret.copy_from_slice(tag.as_ref());
        secret
    }
}

/// An Ed25519 verifier key with a C2SP key name and signature type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    sig_type: u8,
    public_key: [u8; 32],
}

impl NoteVerifier {
    /// A verifier from its parts.
    pub fn new(name: &str, sig_type: u8, public_key: [u8; 32]) -> Result<Self, KeyError> {
        if !valid_key_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            sig_type,
            public_key,
        })
    }

    /// Parses `name+hexid+base64(type ‖ public key)`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        const WHAT: &str = "verifier key (name+id+key)";
        let bad = |why| KeyError::Malformed { what: WHAT, why };
        let (name, id, material) =
            split_key(text.trim_end_matches(['\n', '\r'])).ok_or(bad("expected name+id+key"))?;
        let bytes = B64
            .decode(material)
            .map_err(|_| bad("the key is not valid base64"))?;
        let [sig_type, public_key @ ..] = bytes.as_slice() else {
            return Err(bad("the key is empty"));
        };
        let public_key: [u8; 32] = public_key
            .try_into()
            .map_err(|_| bad("the public key is not 32 bytes"))?;
        let v = Self::new(name, *sig_type, public_key)?;
        if v.key_id() != id {
            return Err(bad("the key id does not match the key"));
        }
        Ok(v)
    }

    /// The `name+hexid+base64` encoding.
    pub fn encode(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(self.sig_type);
        material.extend_from_slice(&self.public_key);
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.key_id(),
            B64.encode(material)
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signature type byte.
    pub fn sig_type(&self) -> u8 {
        self.sig_type
    }

    /// The raw public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// The C2SP key ID.
    pub fn key_id(&self) -> u32 {
        key_id(&self.name, self.sig_type, &self.public_key)
    }

    /// Checks an Ed25519 signature over `msg`.
    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.public_key)
            .verify(msg, signature)
            .is_ok()
    }

    /// This verifier requiring a given signature type.
    pub fn require_type(self, expected: u8) -> Result<Self, KeyError> {
        if self.sig_type != expected {
            return Err(KeyError::WrongType {
                found: self.sig_type,
                expected,
            });
        }
        Ok(self)
    }
}

/// Verifies a raw Ed25519 signature with a raw public key.
pub fn verify_ed25519(public_key: &[u8; 32], msg: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(msg, signature)
        .is_ok()
}

// Splits `name+hexid+material`; the material may itself contain '+'.
fn split_key(text: &str) -> Option<(&str, u32, &str)> {
    let mut parts = text.splitn(3, '+');
    let name = parts.next()?;
    let id = parts.next()?;
    let material = parts.next()?;
    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((name, u32::from_str_radix(id, 16).ok()?, material))
}

const SECRET_PREFIX: &str = "PARAAKH-X25519-SECRET-KEY+";
const PUBLIC_PREFIX: &str = "paraakh-x25519-public-key+";

/// The tenant's X25519 evidence decryption key (held by the tenant, never by the client).
pub struct TenantSecretKey {
    name: String,
    secret: x25519_dalek::StaticSecret,
}

impl std::fmt::Debug for TenantSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantSecretKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TenantSecretKey {
    /// A new random key.
    pub fn generate(name: &str) -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        random_bytes(bytes.as_mut())?;
        Self::from_bytes(name, *bytes)
    }

    /// The key from its 32 secret bytes.
    pub fn from_bytes(name: &str, bytes: [u8; 32]) -> Result<Self, KeyError> {
        if !valid_key_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            secret: x25519_dalek::StaticSecret::from(bytes),
        })
    }

    /// Parses `PARAAKH-X25519-SECRET-KEY+name+base64`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        const WHAT: &str = "tenant encryption secret key (PARAAKH-X25519-SECRET-KEY+name+key)";
        let bad = |why| KeyError::Malformed { what: WHAT, why };
        let rest = text
            .trim_end_matches(['\n', '\r'])
            .strip_prefix(SECRET_PREFIX)
            .ok_or(bad("it does not start with PARAAKH-X25519-SECRET-KEY+"))?;
        let (name, material) = rest.split_once('+').ok_or(bad("expected name+key"))?;
        let bytes = Zeroizing::new(
            B64.decode(material)
                .map_err(|_| bad("the key is not valid base64"))?,
        );
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| bad("the key is not 32 bytes"))?;
        Self::from_bytes(name, bytes)
    }

    /// The text encoding.
    pub fn encode(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{SECRET_PREFIX}{}+{}",
            self.name,
            B64.encode(self.secret.as_bytes())
        ))
    }

    /// The matching public key.
    pub fn public(&self) -> TenantPublicKey {
        TenantPublicKey {
            name: self.name.clone(),
            key: x25519_dalek::PublicKey::from(&self.secret).to_bytes(),
        }
    }

    /// X25519 with a peer's public key (the raw shared value: feed it to a KDF).
    pub fn diffie_hellman(&self, their_public: &[u8; 32]) -> Zeroizing<[u8; 32]> {
        let theirs = x25519_dalek::PublicKey::from(*their_public);
        Zeroizing::new(self.secret.diffie_hellman(&theirs).to_bytes())
    }
}

/// The tenant's X25519 public key that evidence is encrypted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantPublicKey {
    name: String,
    key: [u8; 32],
}

impl TenantPublicKey {
    /// The key from its parts.
    pub fn new(name: &str, key: [u8; 32]) -> Result<Self, KeyError> {
        if !valid_key_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    /// Parses `paraakh-x25519-public-key+name+base64`, or derives the public
    /// key from a secret key file's text.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        const WHAT: &str = "tenant encryption public key (paraakh-x25519-public-key+name+key)";
        let bad = |why| KeyError::Malformed { what: WHAT, why };
        let text = text.trim_end_matches(['\n', '\r']);
        if text.starts_with(SECRET_PREFIX) {
            return Ok(TenantSecretKey::parse(text)?.public());
        }
        let rest = text
            .strip_prefix(PUBLIC_PREFIX)
            .ok_or(bad("it does not start with paraakh-x25519-public-key+"))?;
        let (name, material) = rest.split_once('+').ok_or(bad("expected name+key"))?;
        let bytes = B64
            .decode(material)
            .map_err(|_| bad("the key is not valid base64"))?;
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| bad("the key is not 32 bytes"))?;
        Self::new(name, key)
    }

    /// The text encoding.
    pub fn encode(&self) -> String {
        format!("{PUBLIC_PREFIX}{}+{}", self.name, B64.encode(self.key))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The raw X25519 public key.
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_and_verifier_encodings_round_trip() {
        let s = NoteSigner::generate("tenant.example/signing", SIG_TYPE_ED25519).unwrap();
        let parsed = NoteSigner::parse(&s.encode()).unwrap();
        assert_eq!(parsed.public_key(), s.public_key());
        let v = NoteVerifier::parse(&s.verifier().encode()).unwrap();
        assert_eq!(v, s.verifier());
        assert!(v.verify(b"m", &s.sign(b"m")));
        assert!(!v.verify(b"n", &s.sign(b"m")));
    }

    #[test]
    fn verifier_with_wrong_id_is_refused() {
        let s = NoteSigner::generate("a", SIG_TYPE_ED25519).unwrap();
        let enc = s.verifier().encode();
        let (name, rest) = enc.split_once('+').unwrap();
        let wrong = format!("{name}+00000000+{}", &rest[9..]);
        assert!(NoteVerifier::parse(&wrong).is_err());
    }

    #[test]
    fn key_names_with_plus_or_space_are_refused() {
        assert!(NoteSigner::generate("a+b", SIG_TYPE_ED25519).is_err());
        assert!(NoteSigner::generate("a b", SIG_TYPE_ED25519).is_err());
        assert!(NoteSigner::generate("", SIG_TYPE_ED25519).is_err());
    }

    #[test]
    fn a_derived_key_depends_on_the_key_and_the_label_only() {
        let a = NoteSigner::from_seed("backend", SIG_TYPE_COSIGNATURE_V1, &[1; 32]).unwrap();
        let b = NoteSigner::from_seed("backend", SIG_TYPE_COSIGNATURE_V1, &[2; 32]).unwrap();
        let alice = a.derive("alice", b"reviewer alice").unwrap();
        assert_eq!(
            alice.public_key(),
            a.derive("alice", b"reviewer alice").unwrap().public_key()
        );
        assert_ne!(
            alice.public_key(),
            a.derive("alice", b"reviewer bob").unwrap().public_key()
        );
        assert_ne!(
            alice.public_key(),
            b.derive("alice", b"reviewer alice").unwrap().public_key()
        );
        assert_eq!(alice.sig_type(), SIG_TYPE_ED25519);
        // RFC 4231 test case 2 through the same HMAC: "Jefe" is not a
        // 32-byte seed, so check the primitive the derivation uses.
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"Jefe");
        let tag = ring::hmac::sign(&key, b"what do ya want for nothing?");
        assert_eq!(
            tag.as_ref()[..4],
            [0x5b, 0xdc, 0xc1, 0x46],
            "HMAC-SHA256 (RFC 4231, test case 2)"
        );
    }

    #[test]
    fn tenant_keys_round_trip_and_public_derives_from_secret() {
        let sk = TenantSecretKey::generate("tenant.example").unwrap();
        let sk2 = TenantSecretKey::parse(&sk.encode()).unwrap();
        assert_eq!(sk2.public(), sk.public());
        assert_eq!(
            TenantPublicKey::parse(&sk.public().encode()).unwrap(),
            sk.public()
        );
        assert_eq!(TenantPublicKey::parse(&sk.encode()).unwrap(), sk.public());
        assert!(TenantPublicKey::parse("paraakh-x25519-public-key+t+AAAA").is_err());
    }
}
