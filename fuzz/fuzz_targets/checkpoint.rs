//! The checkpoints file: framing, signed notes, checkpoint bodies, signatures.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paraakh_evidence::frame::{FileKind, parse_all};
use paraakh_evidence::keys::{NoteSigner, SIG_TYPE_ED25519};
use paraakh_evidence::note::{CheckpointBody, SignedNote};

fuzz_target!(|data: &[u8]| {
    let key = NoteSigner::from_seed("paraakh.app/evidence/t/s", SIG_TYPE_ED25519, &[7; 32])
        .expect("fixed key");
    let (frames, _) = parse_all(data, FileKind::Checkpoints);
    let payloads = frames
        .into_iter()
        .map(|f| f.payload)
        .chain(std::iter::once(data.to_vec()));
    for payload in payloads {
        let Ok(note) = SignedNote::parse(&payload) else {
            continue;
        };
        assert_eq!(
            note.encode().as_bytes(),
            payload.as_slice(),
            "parse accepts only canonical notes"
        );
        let _ = note.verify(&key.verifier());
        if let Ok(body) = CheckpointBody::parse(note.text()) {
            assert_eq!(body.to_text(), note.text());
        }
    }
});
