//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use paraakh_evidence::frame::{FileKind, Frame, encode_frame, parse_all};
use paraakh_evidence::simulate::{SimulateOptions, SimulateSummary, simulate};
use paraakh_evidence::{NoteVerifier, TenantSecretKey, VerifyOptions};

/// A fixed start time (2026-09-21) so sessions are reproducible in shape.
pub(crate) const START_UTC_NS: i64 = 1_790_000_000_000_000_000;

/// A small but complete simulated session: events, blobs, answers, a
/// submission, checkpoints, receipts and a clock jump.
pub(crate) fn small_session(dir: &Path, seed: u64) -> (TenantSecretKey, SimulateSummary) {
    let tenant = TenantSecretKey::generate("tenant.example").unwrap();
    let mut opts = SimulateOptions::new(tenant.public(), START_UTC_NS);
    opts.events = 30;
    opts.blobs = 3;
    opts.blob_size = (10, 3000);
    opts.questions = 2;
    opts.checkpoint_every = 8;
    opts.seed = seed;
    let summary = simulate(dir, &opts).unwrap();
    (tenant, summary)
}

/// Verification with the tenant key and the simulated backend's key
/// pinned; the last checkpoints of a simulation stay without a receipt, so
/// machine-attested records are accepted (these tests are about alteration).
pub(crate) fn opts_with(tenant: &TenantSecretKey, summary: &SimulateSummary) -> VerifyOptions {
    VerifyOptions {
        backend_key: Some(NoteVerifier::parse(&summary.backend_key).unwrap()),
        ..accepting(Some(tenant))
    }
}

/// Verification that accepts machine-attested records (sessions written
/// without a backend), with the tenant key if given.
pub(crate) fn accepting(tenant: Option<&TenantSecretKey>) -> VerifyOptions {
    VerifyOptions {
        tenant_key: tenant.map(|t| TenantSecretKey::parse(&t.encode()).unwrap()),
        accept_machine_attested: true,
        threads: 1,
        ..VerifyOptions::default()
    }
}

/// Copies a session directory (files and `blobs/`).
pub(crate) fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), to).unwrap();
        }
    }
}

/// The frames of a framed file.
pub(crate) fn frames(path: &Path, kind: FileKind) -> Vec<Frame> {
    let bytes = std::fs::read(path).unwrap();
    let (frames, err) = parse_all(&bytes, kind);
    assert!(err.is_none(), "{}: {err:?}", path.display());
    frames
}

/// Writes a framed file from payloads.
pub(crate) fn write_frames(path: &Path, kind: FileKind, payloads: &[Vec<u8>]) {
    let mut out = kind.magic().to_vec();
    for p in payloads {
        out.extend(encode_frame(p));
    }
    std::fs::write(path, out).unwrap();
}

/// The blob files of a session, sorted.
pub(crate) fn blob_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}
