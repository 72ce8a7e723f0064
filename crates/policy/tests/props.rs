//! Property tests of the policy parser: nothing panics, and what parses is
//! stable (parsing the same text twice gives the same policy and hash).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use paraakh_policy::proctor::ProctorCodeHash;
use paraakh_policy::{parse, presets};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = parse(&text);
    }

    /// Proctor code hashes: any text is read or refused, never a panic, and
    /// what is read is written back as it was.
    #[test]
    fn proctor_hashes_are_read_or_refused_never_a_panic(
        text in prop_oneof![
            ".{0,120}",
            "\\$argon2id\\$v=19\\$(m|t|p|x)=[0-9]{1,7}(,(m|t|p)=[0-9]{1,7}){0,3}\\$[A-Za-z0-9+/]{0,30}\\$[A-Za-z0-9+/]{0,90}",
        ],
    ) {
        if let Ok(hash) = ProctorCodeHash::parse(&text) {
            prop_assert_eq!(hash.to_string(), text);
        }
    }

    #[test]
    fn edited_presets_never_panic_and_parse_deterministically(
        preset in prop::sample::select(presets::NAMES.to_vec()),
        line in any::<prop::sample::Index>(),
        replacement in prop_oneof![
            Just(String::new()),
            "[a-z_]{1,12} = [0-9]{1,4}",
            "[a-z_]{1,12} = \"[a-z_]{0,8}\"",
            "[a-z_]{1,12} = \\{ [a-z_]{1,8} = [0-9.]{1,4} \\}",
            "\\[[a-z_]{1,12}\\]",
        ],
    ) {
        let text = presets::text(preset).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let at = line.index(lines.len());
        lines[at] = &replacement;
        let edited = lines.join("\n");
        let first = parse(&edited);
        let second = parse(&edited);
        match (first, second) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a.canonical_json(), b.canonical_json()),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "parsing the same text twice disagreed"),
        }
    }
}
