//! RFC 9180 (HPKE) test vectors.
//!
//! Source: RFC 9180 Appendix A.1.1, "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! AES-128-GCM", Base Setup Information and its first two encryptions. Evidence
//! uses AES-256-GCM with the same KEM and KDF; the RFC publishes no appendix
//! vector for that suite, so the vector checks the KEM, the key schedule (which
//! differs only in suite id and key length) and the AEAD step, and
//! `hpke_interop` checks the AES-256-GCM suite against an independent HPKE
//! implementation in both directions.

use paraakh_evidence::TenantSecretKey;
use paraakh_evidence::hpke::{AEAD_AES_128_GCM, decap, extract_and_expand, key_schedule};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn arr(s: &str) -> [u8; 32] {
    unhex(s).try_into().unwrap()
}

const INFO: &str = "4f6465206f6e2061204772656369616e2055726e";
const SK_EM: &str = "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736";
const PK_EM: &str = "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431";
const SK_RM: &str = "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8";
const PK_RM: &str = "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d";
const ENC: &str = "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431";
const SHARED_SECRET: &str = "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc";
const KEY: &str = "4531685d41d65f03dc48f6b8302c05b0";
const BASE_NONCE: &str = "56d890e5accaaf011cff4b7d";
const EXPORTER_SECRET: &str = "45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8";
const PT: &str = "4265617574792069732074727574682c20747275746820626561757479";
const AAD0: &str = "436f756e742d30";
const CT0: &str =
    "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a";
const AAD1: &str = "436f756e742d31";
const NONCE1: &str = "56d890e5accaaf011cff4b7c";
const CT1: &str =
    "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84";

#[test]
fn recipient_key_pair_matches() {
    let sk = TenantSecretKey::from_bytes("rfc9180", arr(SK_RM)).unwrap();
    assert_eq!(sk.public().key(), &arr(PK_RM));
}

#[test]
fn encapsulation_side_derives_the_shared_secret() {
    // The DH step with the vector's fixed ephemeral key (ring only makes fresh ones).
    let sk_e = x25519_dalek::StaticSecret::from(arr(SK_EM));
    assert_eq!(x25519_dalek::PublicKey::from(&sk_e).to_bytes(), arr(PK_EM));
    let dh = sk_e.diffie_hellman(&x25519_dalek::PublicKey::from(arr(PK_RM)));
    let shared = extract_and_expand(dh.as_bytes(), &arr(ENC), &arr(PK_RM)).unwrap();
    assert_eq!(shared.as_ref(), &arr(SHARED_SECRET));
}

#[test]
fn decapsulation_recovers_the_shared_secret() {
    let sk = TenantSecretKey::from_bytes("rfc9180", arr(SK_RM)).unwrap();
    let shared = decap(&arr(ENC), &sk).unwrap();
    assert_eq!(shared.as_ref(), &arr(SHARED_SECRET));
}

#[test]
fn key_schedule_matches() {
    let ctx = key_schedule(&unhex(SHARED_SECRET), &unhex(INFO), AEAD_AES_128_GCM).unwrap();
    assert_eq!(*ctx.key, unhex(KEY));
    assert_eq!(ctx.base_nonce.to_vec(), unhex(BASE_NONCE));
    assert_eq!(ctx.exporter_secret.to_vec(), unhex(EXPORTER_SECRET));
    assert_eq!(ctx.nonce(1).to_vec(), unhex(NONCE1));
}

#[test]
fn encryptions_zero_and_one_match() {
    let ctx = key_schedule(&unhex(SHARED_SECRET), &unhex(INFO), AEAD_AES_128_GCM).unwrap();
    assert_eq!(
        ctx.seal(AEAD_AES_128_GCM, 0, &unhex(AAD0), &unhex(PT))
            .unwrap(),
        unhex(CT0)
    );
    assert_eq!(
        ctx.seal(AEAD_AES_128_GCM, 1, &unhex(AAD1), &unhex(PT))
            .unwrap(),
        unhex(CT1)
    );
    assert_eq!(
        ctx.open(AEAD_AES_128_GCM, 1, &unhex(AAD1), &unhex(CT1))
            .unwrap(),
        unhex(PT)
    );
    assert!(
        ctx.open(AEAD_AES_128_GCM, 0, &unhex(AAD1), &unhex(CT1))
            .is_err()
    );
}

#[test]
fn low_order_public_key_is_refused() {
    // An all-zero X25519 public key gives an all-zero shared value (RFC 9180 §7.1.4).
    let sk = TenantSecretKey::from_bytes("rfc9180", arr(SK_RM)).unwrap();
    assert!(decap(&[0u8; 32], &sk).is_err());
}
