//! The review log: framed signed decisions of reviewers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_evidence::review::{Decision, SignedDecision, parse_log};

fuzz_target!(|data: &[u8]| {
    let log = parse_log(data);
    for d in &log.decisions {
        // What parsed reads back in its one canonical form.
        assert_eq!(d.decision.to_text(), d.note.text());
        assert_eq!(
            Decision::parse(d.note.text()).ok().as_ref(),
            Some(&d.decision)
        );
    }
    let _ = SignedDecision::parse(data);
});
