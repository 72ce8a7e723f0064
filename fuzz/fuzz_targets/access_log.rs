//! A tenant's access log as an auditor saves it (`GET /v1/access-log`):
//! JSON from the backend, checked offline by `paraakh review access-log`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_COSIGNATURE_V1};
use paraakh_review::access_log::{AccessLogPage, check};

fuzz_target!(|data: &[u8]| {
    let Ok(page) = serde_json::from_slice::<AccessLogPage>(data) else {
        return;
    };
    static BACKEND: std::sync::OnceLock<NoteSigner> = std::sync::OnceLock::new();
    let backend = BACKEND
        .get_or_init(|| NoteSigner::generate("backend", SIG_TYPE_COSIGNATURE_V1).expect("a key"));
    let checked = check(&[page.clone(), page], &backend.verifier());
    // Nobody but the backend's key vouches: never intact without its checkpoint.
    assert!(!checked.intact() || checked.vouched_size == checked.entries);
});
