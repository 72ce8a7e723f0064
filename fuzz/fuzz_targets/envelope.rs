//! Signed artefacts: DSSE envelope parsing and verification against a pinned key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_keys::{NoteSigner, SIG_TYPE_ED25519};
use paraakh_policy::envelope::{Envelope, POLICY_TYPE};

fuzz_target!(|data: &[u8]| {
    let key =
        NoteSigner::from_seed("tenant.example", SIG_TYPE_ED25519, &[1; 32]).expect("fixed key");
    if let Ok(env) = Envelope::parse(data) {
        let _ = env.verify(POLICY_TYPE, &[key.verifier()]);
        let again = Envelope::parse(env.to_json().as_bytes()).expect("re-encoded envelope parses");
        assert_eq!(again, env);
    }
});
