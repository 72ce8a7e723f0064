//! The log file as `verify` and recovery read it: framing, then each record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_evidence::Record;
use paraakh_evidence::frame::{FileKind, parse_all};

fuzz_target!(|data: &[u8]| {
    let (frames, _) = parse_all(data, FileKind::Log);
    for frame in frames {
        if let Ok(record) = Record::parse(&frame.payload) {
            // What parses must re-encode to something that parses to the same record.
            let again = Record::parse(&record.to_bytes()).expect("re-encoded record parses");
            assert_eq!(again, record);
        }
    }
    // A bare record, unframed.
    let _ = Record::parse(data);
});
