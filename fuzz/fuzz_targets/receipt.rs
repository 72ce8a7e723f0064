//! Receipts: cosigned notes and their C2SP tlog-cosignature/v1 lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_evidence::frame::{FileKind, parse_all};
use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_COSIGNATURE_V1};
use paraakh_evidence::note::SignedNote;

fuzz_target!(|data: &[u8]| {
    let backend = NoteSigner::from_seed("ingest.example", SIG_TYPE_COSIGNATURE_V1, &[9; 32])
        .expect("fixed key");
    let (frames, _) = parse_all(data, FileKind::Receipts);
    let payloads = frames
        .into_iter()
        .map(|f| f.payload)
        .chain(std::iter::once(data.to_vec()));
    for payload in payloads {
        if let Ok(note) = SignedNote::parse(&payload) {
            let _ = note.verify_cosignature(&backend.verifier());
        }
    }
});
