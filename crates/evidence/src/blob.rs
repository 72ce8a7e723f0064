//! Encrypted media blobs.
//!
//! Layout (all integers big-endian):
//!
//! ```text
//! magic        8   "PXBLOB1\n"
//! kem_id       2   0x0020  DHKEM(X25519, HKDF-SHA256)
//! kdf_id       2   0x0001  HKDF-SHA256
//! aead_id      2   0x0002  AES-256-GCM
//! chunk_size   4   65536
//! enc         32   HPKE encapsulated key
//! wrapped_key 48   HPKE seal of the 32-byte content key (aad = bytes 0..18)
//! chunks           AES-256-GCM(content key, nonce_i, aad = header, chunk_i)
//! ```
//!
//! `nonce_i = 0x000000 ‖ u64(i) ‖ last`, where `last` is 1 for the final chunk
//! and 0 otherwise (the STREAM construction): chunks cannot be reordered,
//! dropped or the blob cut at a chunk boundary without decryption failing.
//! Every chunk holds `chunk_size` plaintext bytes but the last, which holds
//! 0..=chunk_size; an empty blob is one empty final chunk.
//!
//! The client seals with the tenant's public key and a fresh random content
//! key per blob, so it cannot read back what it recorded.

use std::io::{self, Read, Write};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::digest::{Context, SHA256};
use zeroize::Zeroizing;

use crate::frame::read_full;
use crate::hpke::{
    self, AEAD_AES_256_GCM, ENC_LEN, HpkeError, KDF_HKDF_SHA256, KEM_X25519_HKDF_SHA256, TAG_LEN,
};
use crate::keys::{TenantPublicKey, TenantSecretKey, random_bytes};
use crate::merkle::Hash;

/// The blob magic.
pub const MAGIC: &[u8; 8] = b"PXBLOB1\n";
/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: u32 = 64 << 10;
const WRAPPED_LEN: usize = 32 + TAG_LEN;
/// Header length in bytes.
pub const HEADER_LEN: usize = 8 + 2 + 2 + 2 + 4 + ENC_LEN + WRAPPED_LEN;
// The fixed fields before `enc` are the AAD of the wrapped key; HPKE's KEM
// context already binds `enc` to the derived key.
const KEY_AAD_LEN: usize = 8 + 2 + 2 + 2 + 4;
const WRAPPED_AT: usize = KEY_AAD_LEN + ENC_LEN;
const HPKE_INFO: &[u8] = b"paraakh evidence blob key v1";

/// Why a blob could not be sealed, parsed or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The header is malformed or names an unsupported algorithm.
    #[error("invalid blob header: {0}")]
    Header(&'static str),
    /// The blob is shorter than its structure requires.
    #[error("the blob is truncated: {0}")]
    Truncated(&'static str),
    /// The content key could not be unwrapped with the tenant key.
    #[error(
        "the blob's key cannot be unwrapped with this tenant key: the blob is encrypted to another key or its header was altered"
    )]
    KeyUnwrap,
    /// A chunk failed authentication.
    #[error(
        "chunk {index} of the blob fails authentication: the blob was altered, reordered or cut"
    )]
    Chunk {
        /// Chunk index.
        index: u64,
    },
    /// HPKE failed.
    #[error(transparent)]
    Hpke(#[from] HpkeError),
    /// Reading or writing failed.
    #[error("blob I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The random number generator failed.
    #[error("the system random number generator failed")]
    Random,
}

/// The parsed fixed-size header of a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHeader {
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// The HPKE encapsulated key.
    pub enc: [u8; ENC_LEN],
    /// The wrapped content key.
    pub wrapped_key: [u8; WRAPPED_LEN],
    raw: [u8; HEADER_LEN],
}

impl BlobHeader {
    /// Parses and checks a header.
    pub fn parse(bytes: &[u8]) -> Result<Self, BlobError> {
        let raw: [u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(BlobError::Truncated("shorter than its header"))?;
        if &raw[..8] != MAGIC {
            return Err(BlobError::Header("not a Paraakh evidence blob (bad magic)"));
        }
        let u16_at = |i: usize| u16::from_be_bytes([raw[i], raw[i + 1]]);
        if u16_at(8) != KEM_X25519_HKDF_SHA256 {
            return Err(BlobError::Header("unsupported KEM"));
        }
        if u16_at(10) != KDF_HKDF_SHA256 {
            return Err(BlobError::Header("unsupported KDF"));
        }
        if u16_at(12) != AEAD_AES_256_GCM {
            return Err(BlobError::Header("unsupported AEAD"));
        }
        let chunk_size = u32::from_be_bytes([raw[14], raw[15], raw[16], raw[17]]);
        if chunk_size != CHUNK_SIZE {
            return Err(BlobError::Header("unsupported chunk size"));
        }
        let mut enc = [0u8; ENC_LEN];
        enc.copy_from_slice(&raw[KEY_AAD_LEN..WRAPPED_AT]);
        let mut wrapped_key = [0u8; WRAPPED_LEN];
        wrapped_key.copy_from_slice(&raw[WRAPPED_AT..HEADER_LEN]);
        Ok(Self {
            chunk_size,
            enc,
            wrapped_key,
            raw,
        })
    }

    /// The raw header bytes (the AAD of every chunk).
    pub fn as_bytes(&self) -> &[u8; HEADER_LEN] {
        &self.raw
    }

    /// Unwraps the content key with the tenant's secret key.
    fn content_key(&self, tenant: &TenantSecretKey) -> Result<LessSafeKey, BlobError> {
        let key = hpke::open_base(
            &self.enc,
            tenant,
            HPKE_INFO,
            &self.raw[..KEY_AAD_LEN],
            &self.wrapped_key,
            AEAD_AES_256_GCM,
        )
        .map_err(|_| BlobError::KeyUnwrap)?;
        chunk_key(&key)
    }
}

fn chunk_key(key: &[u8]) -> Result<LessSafeKey, BlobError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| BlobError::KeyUnwrap)
}

fn chunk_nonce(index: u64, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&index.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::assume_unique_for_key(n)
}

/// Hashes and sizes of a sealed blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedDigest {
    /// SHA-256 of the plaintext.
    pub plaintext_sha256: Hash,
    /// Plaintext length in bytes.
    pub plaintext_len: u64,
    /// SHA-256 of the whole ciphertext file (the blob's name).
    pub ciphertext_sha256: Hash,
    /// Ciphertext length in bytes.
    pub ciphertext_len: u64,
}

/// Streams plaintext in, sealed blob out.
pub struct BlobSealer<W: Write> {
    out: W,
    key: LessSafeKey,
    header: [u8; HEADER_LEN],
    buf: Vec<u8>,
    index: u64,
    plain_hash: Context,
    plain_len: u64,
    cipher_hash: Context,
    cipher_len: u64,
}

impl<W: Write> std::fmt::Debug for BlobSealer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobSealer")
            .field("index", &self.index)
            .field("plain_len", &self.plain_len)
            .finish_non_exhaustive()
    }
}

impl<W: Write> BlobSealer<W> {
    /// Starts a blob sealed to `tenant`, writing its header to `out`.
    pub fn new(tenant: &TenantPublicKey, mut out: W) -> Result<Self, BlobError> {
        let mut content_key = Zeroizing::new([0u8; 32]);
        random_bytes(content_key.as_mut()).map_err(|_| BlobError::Random)?;
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(MAGIC);
        header[8..10].copy_from_slice(&KEM_X25519_HKDF_SHA256.to_be_bytes());
        header[10..12].copy_from_slice(&KDF_HKDF_SHA256.to_be_bytes());
        header[12..14].copy_from_slice(&AEAD_AES_256_GCM.to_be_bytes());
        header[14..18].copy_from_slice(&CHUNK_SIZE.to_be_bytes());
        let (enc, wrapped) = hpke::seal_base(
            tenant.key(),
            HPKE_INFO,
            &header[..KEY_AAD_LEN],
            content_key.as_ref(),
            AEAD_AES_256_GCM,
        )?;
        header[KEY_AAD_LEN..WRAPPED_AT].copy_from_slice(&enc);
        header[WRAPPED_AT..].copy_from_slice(&wrapped);
        out.write_all(&header)?;
        let mut cipher_hash = Context::new(&SHA256);
        cipher_hash.update(&header);
        Ok(Self {
            out,
            key: chunk_key(content_key.as_ref())?,
            header,
            buf: Vec::with_capacity(CHUNK_SIZE as usize + TAG_LEN),
            index: 0,
            plain_hash: Context::new(&SHA256),
            plain_len: 0,
            cipher_hash,
            cipher_len: HEADER_LEN as u64,
        })
    }

    /// Adds plaintext.
    pub fn write_plaintext(&mut self, mut data: &[u8]) -> Result<(), BlobError> {
        self.plain_hash.update(data);
        self.plain_len += data.len() as u64;
        while !data.is_empty() {
            if self.buf.len() == CHUNK_SIZE as usize {
                // More data follows, so the buffered chunk is not the last.
                self.flush_chunk(false)?;
            }
            let room = CHUNK_SIZE as usize - self.buf.len();
            let take = room.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(())
    }

    fn flush_chunk(&mut self, last: bool) -> Result<(), BlobError> {
        self.key
            .seal_in_place_append_tag(
                chunk_nonce(self.index, last),
                Aad::from(&self.header[..]),
                &mut self.buf,
            )
            .map_err(|_| BlobError::Hpke(HpkeError::Seal))?;
        self.out.write_all(&self.buf)?;
        self.cipher_hash.update(&self.buf);
        self.cipher_len += self.buf.len() as u64;
        self.buf.clear();
        self.index += 1;
        Ok(())
    }

    /// Seals the final chunk and returns the writer and the blob's digests.
    pub fn finish(mut self) -> Result<(W, SealedDigest), BlobError> {
        self.flush_chunk(true)?;
        self.out.flush()?;
        let digest = SealedDigest {
            plaintext_sha256: to_hash(self.plain_hash.finish()),
            plaintext_len: self.plain_len,
            ciphertext_sha256: to_hash(self.cipher_hash.finish()),
            ciphertext_len: self.cipher_len,
        };
        Ok((self.out, digest))
    }
}

fn to_hash(d: ring::digest::Digest) -> Hash {
    let mut h = [0u8; 32];
    h.copy_from_slice(d.as_ref());
    h
}

/// Seals a plaintext held in memory.
pub fn seal_to_vec(
    tenant: &TenantPublicKey,
    plaintext: &[u8],
) -> Result<(Vec<u8>, SealedDigest), BlobError> {
    let mut sealer = BlobSealer::new(tenant, Vec::with_capacity(plaintext.len() + 256))?;
    sealer.write_plaintext(plaintext)?;
    sealer.finish()
}

/// Decrypts a blob stream with the tenant's secret key, passing each plaintext
/// chunk to `sink`; returns the plaintext digest and length. Memory use is one chunk.
pub fn open_stream<R: Read>(
    tenant: &TenantSecretKey,
    mut input: R,
    mut sink: impl FnMut(&[u8]),
) -> Result<(Hash, u64), BlobError> {
    let mut head = [0u8; HEADER_LEN];
    if read_full(&mut input, &mut head)? < HEADER_LEN {
        return Err(BlobError::Truncated("shorter than its header"));
    }
    let header = BlobHeader::parse(&head)?;
    let key = header.content_key(tenant)?;
    let full = header.chunk_size as usize + TAG_LEN;
    // One byte of look-ahead tells whether the current chunk is the last.
    let mut buf = vec![0u8; full + 1];
    let mut have = read_full(&mut input, &mut buf)?;
    let mut hash = Context::new(&SHA256);
    let mut len = 0u64;
    let mut index = 0u64;
    loop {
        let last = have <= full;
        let this = if last { have } else { full };
        if this < TAG_LEN {
            return Err(BlobError::Truncated(
                "the final chunk is shorter than its tag",
            ));
        }
        let mut chunk = buf[..this].to_vec();
        let plain = key
            .open_in_place(chunk_nonce(index, last), Aad::from(&head[..]), &mut chunk)
            .map_err(|_| BlobError::Chunk { index })?;
        if !last && plain.len() != header.chunk_size as usize {
            return Err(BlobError::Chunk { index });
        }
        hash.update(plain);
        len += plain.len() as u64;
        sink(plain);
        if last {
            return Ok((to_hash(hash.finish()), len));
        }
        buf.copy_within(full.., 0);
        have = 1 + read_full(&mut input, &mut buf[1..])?;
        index += 1;
    }
}

/// Decrypts a blob held in memory.
pub fn open_to_vec(tenant: &TenantSecretKey, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, BlobError> {
    let mut out = Zeroizing::new(Vec::with_capacity(blob.len()));
    open_stream(tenant, blob, |chunk| out.extend_from_slice(chunk))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (TenantSecretKey, TenantPublicKey) {
        let sk = TenantSecretKey::generate("t").unwrap();
        let pk = sk.public();
        (sk, pk)
    }

    #[test]
    fn round_trips_at_chunk_boundaries() {
        let (sk, pk) = keys();
        let c = CHUNK_SIZE as usize;
        for len in [0, 1, c - 1, c, c + 1, 3 * c, 3 * c + 17] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let (blob, digest) = seal_to_vec(&pk, &plain).unwrap();
            assert_eq!(digest.ciphertext_len, blob.len() as u64);
            assert_eq!(digest.ciphertext_sha256, crate::merkle::sha256(&blob));
            assert_eq!(digest.plaintext_sha256, crate::merkle::sha256(&plain));
            assert_eq!(&*open_to_vec(&sk, &blob).unwrap(), &plain, "len {len}");
        }
    }

    #[test]
    fn cut_at_a_chunk_boundary_is_detected() {
        let (sk, pk) = keys();
        let plain = vec![7u8; 2 * CHUNK_SIZE as usize + 5];
        let (blob, _) = seal_to_vec(&pk, &plain).unwrap();
        let cut = HEADER_LEN + 2 * (CHUNK_SIZE as usize + TAG_LEN);
        assert!(matches!(
            open_to_vec(&sk, &blob[..cut]),
            Err(BlobError::Chunk { index: 1 })
        ));
        let one = HEADER_LEN + CHUNK_SIZE as usize + TAG_LEN;
        assert!(open_to_vec(&sk, &blob[..one]).is_err());
    }

    #[test]
    fn swapped_chunks_are_detected() {
        let (sk, pk) = keys();
        let plain: Vec<u8> = (0..3 * CHUNK_SIZE as usize)
            .map(|i| (i / 7) as u8)
            .collect();
        let (mut blob, _) = seal_to_vec(&pk, &plain).unwrap();
        let full = CHUNK_SIZE as usize + TAG_LEN;
        let (a, b) = (HEADER_LEN, HEADER_LEN + full);
        let first = blob[a..a + full].to_vec();
        blob.copy_within(b..b + full, a);
        blob[b..b + full].copy_from_slice(&first);
        assert!(open_to_vec(&sk, &blob).is_err());
    }

    #[test]
    fn another_tenant_cannot_open() {
        let (_, pk) = keys();
        let (other, _) = keys();
        let (blob, _) = seal_to_vec(&pk, b"secret snapshot").unwrap();
        assert!(matches!(
            open_to_vec(&other, &blob),
            Err(BlobError::KeyUnwrap)
        ));
    }

    #[test]
    fn header_flips_are_detected() {
        let (sk, pk) = keys();
        let (blob, _) = seal_to_vec(&pk, b"x").unwrap();
        for i in 0..HEADER_LEN {
            let mut b = blob.clone();
            b[i] ^= 1;
            assert!(open_to_vec(&sk, &b).is_err(), "flip at {i}");
        }
    }
}
