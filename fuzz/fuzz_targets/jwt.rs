//! Tokens and join links: compact JWS parsing, header rules, signature and claims checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_keys::{NoteSigner, SIG_TYPE_ED25519};
use paraakh_policy::jwt::{Expected, Role, TOKEN_TYPE, ed25519_key, verify};
use paraakh_policy::links::parse_join_link;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = NoteSigner::from_seed("tokens", SIG_TYPE_ED25519, &[2; 32]).expect("fixed key");
    let keys = [ed25519_key("k1", "https://exams.example", &key)];
    let expected = Expected {
        typ: TOKEN_TYPE,
        audience: "paraakh-client",
        tenant: "acme",
        roles: &[Role::Candidate],
        exam: None,
        session: None,
        now: 1_790_000_000,
        max_lifetime_secs: 86_400,
    };
    let _ = verify(text, &keys, &expected);
    if let Ok(link) = parse_join_link(text) {
        let _ = verify(&link.token, &keys, &expected);
    }
});
