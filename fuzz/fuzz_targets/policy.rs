//! Policy files: TOML, presets and overrides, validation; and describing
//! them. The same text as a proctor code hash (PHC string): read or refused,
//! and what is read is written back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(hash) = paraakh_policy::proctor::ProctorCodeHash::parse(text) {
        assert_eq!(hash.to_string(), text);
    }
    if let Ok(loaded) = paraakh_policy::load(text) {
        let _ = paraakh_policy::describe(&loaded);
        let _ = loaded.policy.canonical_json();
    }
});
