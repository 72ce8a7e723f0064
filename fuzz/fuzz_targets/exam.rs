//! Exam packages: the envelope as downloaded, and (signed here with the
//! pinned key, so the fuzzer reaches past the signature) the manifest,
//! its embedded policy and decryption with a backend key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_keys::{NoteSigner, SIG_TYPE_ED25519};
use paraakh_policy::envelope::{EXAM_TYPE, Envelope};
use paraakh_policy::exam::ExamPackage;

fuzz_target!(|data: &[u8]| {
    let key = NoteSigner::from_seed("acme.example", SIG_TYPE_ED25519, &[4; 32]).expect("fixed key");
    let signed = Envelope::sign(EXAM_TYPE, data.to_vec(), &key).to_json();
    for package in [data, signed.as_bytes()] {
        if let Ok(pkg) = ExamPackage::verify(package, &[key.verifier()], "acme") {
            let _ = pkg.unlock_with_key(&[5; 32], pkg.manifest.opens_at);
        }
    }
});
