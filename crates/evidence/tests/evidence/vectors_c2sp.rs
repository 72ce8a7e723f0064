//! C2SP signed-note vectors.
//!
//! Source: the reference implementation's test data, `golang.org/x/mod/sumdb/note`
//! `note_test.go` (the PeterNeumann key pair and signed note), which the C2SP
//! signed-note specification (c2sp.org/signed-note) was written from.

use paraakh_evidence::keys::{
    NoteSigner, NoteVerifier, SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519, key_id,
};
use paraakh_evidence::note::{CheckpointBody, NoteError, SignedNote};

const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIG_LINE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn keys_parse_and_reencode_byte_for_byte() {
    let signer = NoteSigner::parse(SKEY).unwrap();
    let verifier = NoteVerifier::parse(VKEY).unwrap();
    assert_eq!(signer.verifier(), verifier);
    assert_eq!(verifier.encode(), VKEY);
    assert_eq!(&*signer.encode(), SKEY);
    assert_eq!(verifier.key_id(), 0xc74f20a3);
    assert_eq!(
        key_id("PeterNeumann", SIG_TYPE_ED25519, verifier.public_key()),
        0xc74f20a3
    );
}

#[test]
fn signing_reproduces_the_published_note() {
    let signer = NoteSigner::parse(SKEY).unwrap();
    let note = SignedNote::sign(TEXT, &[&signer]).unwrap();
    assert_eq!(note.encode(), format!("{TEXT}\n{SIG_LINE}"));
}

#[test]
fn the_published_note_verifies_and_alterations_do_not() {
    let verifier = NoteVerifier::parse(VKEY).unwrap();
    let note_text = format!("{TEXT}\n{SIG_LINE}");
    let note = SignedNote::parse(note_text.as_bytes()).unwrap();
    note.verify(&verifier).unwrap();
    assert_eq!(note.text(), TEXT);
    let altered = note_text.replace("cryptography", "cryptographY");
    let altered = SignedNote::parse(altered.as_bytes()).unwrap();
    assert!(matches!(
        altered.verify(&verifier),
        Err(NoteError::BadSignature { .. })
    ));
}

#[test]
fn every_mangled_verifier_key_is_refused() {
    // As in the reference tests: every strict substring and every single-byte change.
    let b = VKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                let s = String::from_utf8_lossy(&b[i..j]);
                assert!(NoteVerifier::parse(&s).is_err(), "{s}");
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] = m[i].wrapping_add(1);
        if let Ok(s) = String::from_utf8(m) {
            assert!(NoteVerifier::parse(&s).is_err(), "{s}");
        }
    }
}

#[test]
fn unknown_keys_are_ignored_but_a_note_needs_a_known_one() {
    let verifier = NoteVerifier::parse(VKEY).unwrap();
    let other = NoteSigner::generate("PeterNeumann", SIG_TYPE_ED25519).unwrap();
    let note = SignedNote::sign(TEXT, &[&other]).unwrap();
    assert!(matches!(
        note.verify(&verifier),
        Err(NoteError::UnknownKey { .. })
    ));
    let mut both = SignedNote::sign(TEXT, &[&other, &NoteSigner::parse(SKEY).unwrap()]).unwrap();
    both.verify(&verifier).unwrap();
    // A second signature line from the known key that fails rejects the whole note.
    let mut bad = both.signatures()[1].clone();
    bad.signature[0] ^= 1;
    both.push_signature(bad);
    assert!(matches!(
        both.verify(&verifier),
        Err(NoteError::BadSignature { .. })
    ));
}

#[test]
fn the_tlog_checkpoint_example_parses() {
    // c2sp.org/tlog-checkpoint: the example checkpoint body.
    let text =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let body = CheckpointBody::parse(text).unwrap();
    assert_eq!(body.origin, "example.com/behind-the-sofa");
    assert_eq!(body.size, 20852163);
    assert_eq!(body.to_text(), text);
}

#[test]
fn cosignature_signs_the_c2sp_message() {
    // c2sp.org/tlog-cosignature: the signed message is "cosignature/v1\ntime T\n" ‖ body,
    // and the signature is timestamp (8 bytes, big-endian) ‖ Ed25519 signature.
    let witness = NoteSigner::generate("witness.example.com/w1", SIG_TYPE_COSIGNATURE_V1).unwrap();
    let log = NoteSigner::generate("example.com/behind-the-sofa", SIG_TYPE_ED25519).unwrap();
    let text =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let mut note = SignedNote::sign(text, &[&log]).unwrap();
    note.cosign(&witness, 1679315147).unwrap();
    let cosig = &note.signatures()[1];
    assert_eq!(
        cosig.key_id,
        key_id("witness.example.com/w1", 0x04, &witness.public_key())
    );
    assert_eq!(cosig.signature[..8], 1679315147u64.to_be_bytes());
    let msg = format!("cosignature/v1\ntime 1679315147\n{text}");
    assert!(
        witness
            .verifier()
            .verify(msg.as_bytes(), &cosig.signature[8..])
    );
    assert_eq!(
        note.verify_cosignature(&witness.verifier()).unwrap(),
        1679315147
    );
}
