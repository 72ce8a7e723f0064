//! HPKE base mode (RFC 9180) with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
//! AES-GCM, single-shot: exactly what wrapping one blob key needs.
//!
//! The sender side uses only `ring` (ephemeral X25519, HMAC, AES-GCM), so the
//! client never holds a static X25519 secret. The recipient side (backend,
//! auditor with the tenant key) needs a static secret, which `ring` does not
//! offer; it uses `x25519-dalek`.

use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::hkdf;
use ring::hmac;
use ring::rand::SystemRandom;
use zeroize::Zeroizing;

use crate::keys::TenantSecretKey;

/// KEM identifier of DHKEM(X25519, HKDF-SHA256).
pub const KEM_X25519_HKDF_SHA256: u16 = 0x0020;
/// KDF identifier of HKDF-SHA256.
pub const KDF_HKDF_SHA256: u16 = 0x0001;
/// AEAD identifier of AES-128-GCM (used only to check the RFC 9180 vectors).
pub const AEAD_AES_128_GCM: u16 = 0x0001;
/// AEAD identifier of AES-256-GCM (what evidence uses).
pub const AEAD_AES_256_GCM: u16 = 0x0002;

/// Length of an X25519 encapsulated key.
pub const ENC_LEN: usize = 32;
/// Length of an AES-GCM tag.
pub const TAG_LEN: usize = 16;
const NN: usize = 12;
const NH: usize = 32;

/// Why an HPKE operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HpkeError {
    /// The AEAD identifier is not one this implementation supports.
    #[error("unsupported HPKE AEAD identifier {0:#06x}")]
    UnsupportedAead(u16),
    /// The Diffie-Hellman step failed (invalid or low-order public key).
    #[error("the X25519 key agreement failed (invalid public key)")]
    KeyAgreement,
    /// Opening the ciphertext failed: wrong key, or altered data.
    #[error("decryption failed: the data was altered or is encrypted to another key")]
    Open,
    /// Sealing failed.
    #[error("encryption failed")]
    Seal,
}

/// An HPKE context after the base-mode key schedule (only sequence number 0 is used here).
#[derive(Debug)]
pub struct KeySchedule {
    /// The AEAD key (16 or 32 bytes).
    pub key: Zeroizing<Vec<u8>>,
    /// The base nonce.
    pub base_nonce: [u8; NN],
    /// The exporter secret.
    pub exporter_secret: Zeroizing<[u8; NH]>,
}

fn aead_key_len(aead: u16) -> Result<usize, HpkeError> {
    match aead {
        AEAD_AES_128_GCM => Ok(16),
        AEAD_AES_256_GCM => Ok(32),
        other => Err(HpkeError::UnsupportedAead(other)),
    }
}

fn kem_suite_id() -> [u8; 5] {
    let id = KEM_X25519_HKDF_SHA256.to_be_bytes();
    [b'K', b'E', b'M', id[0], id[1]]
}

fn hpke_suite_id(aead: u16) -> [u8; 10] {
    let mut out = [0u8; 10];
    out[..4].copy_from_slice(b"HPKE");
    out[4..6].copy_from_slice(&KEM_X25519_HKDF_SHA256.to_be_bytes());
    out[6..8].copy_from_slice(&KDF_HKDF_SHA256.to_be_bytes());
    out[8..10].copy_from_slice(&aead.to_be_bytes());
    out
}

/// LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm).
fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; NH]> {
    // HKDF-Extract is HMAC with the salt as key; an empty salt means Nh zero bytes.
    let zeros = [0u8; NH];
    let key = hmac::Key::new(
        hmac::HMAC_SHA256,
        if salt.is_empty() { &zeros } else { salt },
    );
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(b"HPKE-v1");
    ctx.update(suite_id);
    ctx.update(label);
    ctx.update(ikm);
    let mut out = Zeroizing::new([0u8; NH]);
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L).
fn labeled_expand(
    suite_id: &[u8],
    prk: &[u8; NH],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), HpkeError> {
    let len = u16::try_from(out.len()).map_err(|_| HpkeError::Seal)?;
    let l = len.to_be_bytes();
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, prk);
    let parts: [&[u8]; 5] = [&l, b"HPKE-v1", suite_id, label, info];
    prk.expand(&parts, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| HpkeError::Seal)
}

/// DHKEM ExtractAndExpand: the KEM shared secret from an X25519 output `dh`,
/// the encapsulated key `enc` and the recipient's public key `pk_r`.
pub fn extract_and_expand(
    dh: &[u8],
    enc: &[u8],
    pk_r: &[u8],
) -> Result<Zeroizing<[u8; 32]>, HpkeError> {
    // RFC 9180 §7.1.4: an all-zero X25519 output means a low-order key; abort.
    if dh.iter().all(|&b| b == 0) {
        return Err(HpkeError::KeyAgreement);
    }
    let suite = kem_suite_id();
    let eae_prk = labeled_extract(&suite, b"", b"eae_prk", dh);
    let mut kem_context = Vec::with_capacity(enc.len() + pk_r.len());
    kem_context.extend_from_slice(enc);
    kem_context.extend_from_slice(pk_r);
    let mut shared = Zeroizing::new([0u8; 32]);
    labeled_expand(
        &suite,
        &eae_prk,
        b"shared_secret",
        &kem_context,
        shared.as_mut(),
    )?;
    Ok(shared)
}

/// The base-mode key schedule (mode 0, empty PSK).
pub fn key_schedule(
    shared_secret: &[u8],
    info: &[u8],
    aead: u16,
) -> Result<KeySchedule, HpkeError> {
    let nk = aead_key_len(aead)?;
    let suite = hpke_suite_id(aead);
    let psk_id_hash = labeled_extract(&suite, b"", b"psk_id_hash", b"");
    let info_hash = labeled_extract(&suite, b"", b"info_hash", info);
    let mut context = Vec::with_capacity(1 + 2 * NH);
    context.push(0x00);
    context.extend_from_slice(psk_id_hash.as_ref());
    context.extend_from_slice(info_hash.as_ref());
    let secret = labeled_extract(&suite, shared_secret, b"secret", b"");
    let mut key = Zeroizing::new(vec![0u8; nk]);
    labeled_expand(&suite, &secret, b"key", &context, &mut key)?;
    let mut base_nonce = [0u8; NN];
    labeled_expand(&suite, &secret, b"base_nonce", &context, &mut base_nonce)?;
    let mut exporter_secret = Zeroizing::new([0u8; NH]);
    labeled_expand(&suite, &secret, b"exp", &context, exporter_secret.as_mut())?;
    Ok(KeySchedule {
        key,
        base_nonce,
        exporter_secret,
    })
}

fn aead_key(aead: u16, key: &[u8]) -> Result<LessSafeKey, HpkeError> {
    let alg = match aead {
        AEAD_AES_128_GCM => &AES_128_GCM,
        AEAD_AES_256_GCM => &AES_256_GCM,
        other => return Err(HpkeError::UnsupportedAead(other)),
    };
    Ok(LessSafeKey::new(
        UnboundKey::new(alg, key).map_err(|_| HpkeError::Seal)?,
    ))
}

impl KeySchedule {
    /// The nonce for sequence number `seq` (base_nonce XOR I2OSP(seq, Nn)).
    pub fn nonce(&self, seq: u64) -> [u8; NN] {
        let mut n = self.base_nonce;
        for (i, b) in seq.to_be_bytes().iter().enumerate() {
            n[NN - 8 + i] ^= b;
        }
        n
    }

    /// Seals `plaintext` at sequence number `seq`; returns ciphertext ‖ tag.
    pub fn seal(
        &self,
        aead: u16,
        seq: u64,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, HpkeError> {
        let key = aead_key(aead, &self.key)?;
        let mut buf = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(self.nonce(seq)),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| HpkeError::Seal)?;
        Ok(buf)
    }

    /// Opens ciphertext ‖ tag at sequence number `seq`.
    pub fn open(
        &self,
        aead: u16,
        seq: u64,
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, HpkeError> {
        let key = aead_key(aead, &self.key)?;
        let mut buf = ciphertext.to_vec();
        let len = key
            .open_in_place(
                Nonce::assume_unique_for_key(self.nonce(seq)),
                Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| HpkeError::Open)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

/// Single-shot base-mode seal to `pk_r` with a fresh ephemeral key:
/// returns (enc, ciphertext ‖ tag).
pub fn seal_base(
    pk_r: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    aead: u16,
) -> Result<([u8; ENC_LEN], Vec<u8>), HpkeError> {
    let rng = SystemRandom::new();
    let sk_e = EphemeralPrivateKey::generate(&X25519, &rng).map_err(|_| HpkeError::Seal)?;
    let pk_e = sk_e.compute_public_key().map_err(|_| HpkeError::Seal)?;
    let mut enc = [0u8; ENC_LEN];
    enc.copy_from_slice(pk_e.as_ref());
    let shared = agreement::agree_ephemeral(sk_e, &UnparsedPublicKey::new(&X25519, pk_r), |dh| {
        extract_and_expand(dh, &enc, pk_r)
    })
    .map_err(|_| HpkeError::KeyAgreement)??;
    let ctx = key_schedule(shared.as_ref(), info, aead)?;
    Ok((enc, ctx.seal(aead, 0, aad, plaintext)?))
}

/// Decapsulates `enc` with the recipient's static secret: the KEM shared secret.
pub fn decap(
    enc: &[u8; ENC_LEN],
    sk_r: &TenantSecretKey,
) -> Result<Zeroizing<[u8; 32]>, HpkeError> {
    let dh = sk_r.diffie_hellman(enc);
    extract_and_expand(dh.as_ref(), enc, sk_r.public().key())
}

/// Single-shot base-mode open with the recipient's static secret.
pub fn open_base(
    enc: &[u8; ENC_LEN],
    sk_r: &TenantSecretKey,
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    aead: u16,
) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    let shared = decap(enc, sk_r)?;
    let ctx = key_schedule(shared.as_ref(), info, aead)?;
    Ok(Zeroizing::new(ctx.open(aead, 0, aad, ciphertext)?))
}
