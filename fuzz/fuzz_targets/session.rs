//! `verify` over a whole session directory in which one file (the log,
//! checkpoints, receipts, the statement, conflicts or a blob) is replaced by
//! the fuzzer's input: it must report, never panic, and never call the
//! result intact.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use paraakh_evidence::simulate::{SimulateOptions, simulate};
use paraakh_evidence::{NoteVerifier, Status, TenantSecretKey, VerifyOptions, verify};

struct Base {
    dir: PathBuf,
    scratch: PathBuf,
    opts: VerifyOptions,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let root =
            std::env::temp_dir().join(format!("paraakh-fuzz-session-{}", std::process::id()));
        let dir = root.join("base");
        let key = TenantSecretKey::from_bytes("fuzz", [5; 32]).expect("fixed key");
        let mut opts = SimulateOptions::new(key.public(), 1_790_000_000_000_000_000);
        opts.events = 20;
        opts.blobs = 2;
        opts.blob_size = (10, 200);
        opts.checkpoint_every = 6;
        opts.receipt_lag = 0;
        let summary = simulate(&dir, &opts).expect("base session");
        let opts = VerifyOptions {
            tenant_key: Some(key),
            backend_key: Some(NoteVerifier::parse(&summary.backend_key).expect("backend key")),
            ..VerifyOptions::default()
        };
        Base {
            dir,
            scratch: root.join("scratch"),
            opts,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, content)) = data.split_first() else {
        return;
    };
    let b = base();
    let _ = std::fs::remove_dir_all(&b.scratch);
    std::fs::create_dir_all(b.scratch.join("blobs")).expect("scratch");
    for name in ["log", "checkpoints", "receipts", "statement"] {
        std::fs::copy(b.dir.join(name), b.scratch.join(name)).expect("copy");
    }
    let mut blobs: Vec<_> = std::fs::read_dir(b.dir.join("blobs"))
        .expect("blobs")
        .flatten()
        .map(|e| e.path())
        .collect();
    blobs.sort();
    for blob in &blobs {
        std::fs::copy(
            blob,
            b.scratch
                .join("blobs")
                .join(blob.file_name().expect("name")),
        )
        .expect("copy");
    }
    let target = match which % 6 {
        0 => b.scratch.join("log"),
        1 => b.scratch.join("checkpoints"),
        2 => b.scratch.join("receipts"),
        3 => b.scratch.join("statement"),
        4 => b.scratch.join("conflicts"),
        _ => b
            .scratch
            .join("blobs")
            .join(blobs[0].file_name().expect("name")),
    };
    let original = std::fs::read(&target).unwrap_or_default();
    std::fs::write(&target, content).expect("write");
    let report = verify(&b.scratch, &b.opts).expect("verify runs");
    // Replacing a file of a sealed session with anything else is always
    // noticed (a conflicts file with no entries adds nothing).
    let adds_nothing = which % 6 == 4
        && content.strip_prefix(b"paraakh evidence conflicts v1\n".as_slice()) == Some(&[][..]);
    if content != original.as_slice() && !adds_nothing {
        assert_ne!(
            report.status,
            Status::Intact,
            "a replaced file went unnoticed"
        );
    }
});
