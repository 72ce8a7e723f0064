//! Our HPKE suite (X25519, HKDF-SHA256, AES-256-GCM, base mode) against the
//! independent `hpke` crate, in both directions.

use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use paraakh_evidence::TenantSecretKey;
use paraakh_evidence::hpke::{AEAD_AES_256_GCM, open_base, seal_base};

const INFO: &[u8] = b"paraakh interop";
const AAD: &[u8] = b"header bytes";

#[test]
fn ours_seals_theirs_opens() {
    let (sk, pk) = X25519HkdfSha256::derive_keypair(b"interop test key material, 32 b+");
    let pk_bytes: [u8; 32] = pk.to_bytes().as_slice().try_into().unwrap();
    for len in [0usize, 1, 32, 1000] {
        let msg: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let (enc, ct) = seal_base(&pk_bytes, INFO, AAD, &msg, AEAD_AES_256_GCM).unwrap();
        let encapped = <X25519HkdfSha256 as hpke::Kem>::EncappedKey::from_bytes(&enc).unwrap();
        let opened = hpke::single_shot_open::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &sk,
            &encapped,
            INFO,
            &ct,
            AAD,
        )
        .unwrap();
        assert_eq!(opened, msg);
    }
}

#[test]
fn theirs_seals_ours_opens() {
    let (sk, pk) = X25519HkdfSha256::derive_keypair(b"another interop key material 32b");
    let ours = TenantSecretKey::from_bytes("interop", sk.to_bytes().as_slice().try_into().unwrap())
        .unwrap();
    assert_eq!(ours.public().key().as_slice(), pk.to_bytes().as_slice());
    let msg = b"a content key of exactly 32 byte";
    let (encapped, ct) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeS::Base,
        &pk,
        INFO,
        msg,
        AAD,
    )
    .unwrap();
    let enc: [u8; 32] = encapped.to_bytes().as_slice().try_into().unwrap();
    let opened = open_base(&enc, &ours, INFO, AAD, &ct, AEAD_AES_256_GCM).unwrap();
    assert_eq!(opened.as_slice(), msg);
    assert!(open_base(&enc, &ours, b"other info", AAD, &ct, AEAD_AES_256_GCM).is_err());
    assert!(open_base(&enc, &ours, INFO, b"other aad", &ct, AEAD_AES_256_GCM).is_err());
}
