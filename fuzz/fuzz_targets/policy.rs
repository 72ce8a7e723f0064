//! Policy files: TOML, presets and overrides, validation; and describing them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(loaded) = paraakh_policy::load(text) {
        let _ = paraakh_policy::describe(&loaded);
        let _ = loaded.policy.canonical_json();
    }
});
