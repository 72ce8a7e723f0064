//! No mutation of a finished session goes unnoticed, and untouched sessions
//! always verify: byte flips, insertions, deletions and truncations of every
//! file, and deletion, duplication, reordering and insertion of records,
//! checkpoints, receipts and blobs.

use std::path::Path;

use paraakh_evidence::frame::FileKind;
use paraakh_evidence::merkle::sha256;
use paraakh_evidence::record::to_hex;
use paraakh_evidence::{Status, verify};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::support::{
    accepting, blob_files, copy_dir, frames, opts_with, small_session, write_frames,
};

#[derive(Debug, Clone, Copy)]
enum FramedFile {
    Log,
    Checkpoints,
    Receipts,
}

impl FramedFile {
    fn kind(self) -> FileKind {
        match self {
            FramedFile::Log => FileKind::Log,
            FramedFile::Checkpoints => FileKind::Checkpoints,
            FramedFile::Receipts => FileKind::Receipts,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Framed(FramedFile),
    Blob(usize),
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit {
        target: Target,
        pos: usize,
        bit: u8,
    },
    InsertByte {
        target: Target,
        pos: usize,
        byte: u8,
    },
    DeleteByte {
        target: Target,
        pos: usize,
    },
    Truncate {
        target: Target,
        keep: usize,
    },
    AppendBytes {
        target: Target,
        bytes: Vec<u8>,
    },
    DeleteFrame {
        file: FramedFile,
        index: usize,
    },
    DuplicateFrame {
        file: FramedFile,
        index: usize,
    },
    SwapFrames {
        file: FramedFile,
        a: usize,
        b: usize,
    },
    ForgeFrame {
        file: FramedFile,
        index: usize,
        pos: usize,
    },
    DeleteBlob(usize),
    RenameBlob(usize),
    AddBlob(usize),
}

fn framed() -> impl Strategy<Value = FramedFile> {
    prop_oneof![
        Just(FramedFile::Log),
        Just(FramedFile::Checkpoints),
        Just(FramedFile::Receipts)
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![3 => framed().prop_map(Target::Framed), 1 => any::<usize>().prop_map(Target::Blob)]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (target(), any::<usize>(), 0u8..8).prop_map(|(target, pos, bit)| Mutation::FlipBit {
            target,
            pos,
            bit
        }),
        (target(), any::<usize>(), any::<u8>())
            .prop_map(|(target, pos, byte)| Mutation::InsertByte { target, pos, byte }),
        (target(), any::<usize>()).prop_map(|(target, pos)| Mutation::DeleteByte { target, pos }),
        (target(), any::<usize>()).prop_map(|(target, keep)| Mutation::Truncate { target, keep }),
        (target(), prop::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(target, bytes)| Mutation::AppendBytes { target, bytes }),
        (framed(), any::<usize>()).prop_map(|(file, index)| Mutation::DeleteFrame { file, index }),
        (framed(), any::<usize>())
            .prop_map(|(file, index)| Mutation::DuplicateFrame { file, index }),
        (framed(), any::<usize>(), any::<usize>()).prop_map(|(file, a, b)| Mutation::SwapFrames {
            file,
            a,
            b
        }),
        (framed(), any::<usize>(), any::<usize>())
            .prop_map(|(file, index, pos)| Mutation::ForgeFrame { file, index, pos }),
        any::<usize>().prop_map(Mutation::DeleteBlob),
        any::<usize>().prop_map(Mutation::RenameBlob),
        any::<usize>().prop_map(Mutation::AddBlob),
    ]
}

fn path_of(dir: &Path, target: Target) -> std::path::PathBuf {
    match target {
        Target::Framed(f) => dir.join(f.kind().file_name()),
        Target::Blob(i) => {
            let blobs = blob_files(dir);
            blobs[i % blobs.len()].clone()
        }
    }
}

/// Applies a mutation; returns false when it would leave the bytes unchanged.
fn apply(dir: &Path, m: &Mutation) -> bool {
    let edit_bytes = |target: Target, f: &dyn Fn(&mut Vec<u8>) -> bool| {
        let path = path_of(dir, target);
        let mut bytes = std::fs::read(&path).unwrap();
        let changed = f(&mut bytes);
        std::fs::write(&path, bytes).unwrap();
        changed
    };
    let edit_frames = |file: FramedFile, f: &dyn Fn(&mut Vec<Vec<u8>>) -> bool| {
        let path = dir.join(file.kind().file_name());
        let mut payloads: Vec<Vec<u8>> = frames(&path, file.kind())
            .into_iter()
            .map(|f| f.payload)
            .collect();
        if payloads.is_empty() {
            return false;
        }
        let changed = f(&mut payloads);
        write_frames(&path, file.kind(), &payloads);
        changed
    };
    match m.clone() {
        Mutation::FlipBit { target, pos, bit } => edit_bytes(target, &|b| {
            let len = b.len();
            b[pos % len] ^= 1 << bit;
            true
        }),
        Mutation::InsertByte { target, pos, byte } => edit_bytes(target, &|b| {
            let at = pos % (b.len() + 1);
            b.insert(at, byte);
            true
        }),
        Mutation::DeleteByte { target, pos } => edit_bytes(target, &|b| {
            let len = b.len();
            b.remove(pos % len);
            true
        }),
        Mutation::Truncate { target, keep } => edit_bytes(target, &|b| {
            let len = b.len();
            b.truncate(keep % len);
            true
        }),
        Mutation::AppendBytes { target, bytes } => edit_bytes(target, &|b| {
            b.extend_from_slice(&bytes);
            true
        }),
        Mutation::DeleteFrame { file, index } => edit_frames(file, &|p| {
            let len = p.len();
            p.remove(index % len);
            true
        }),
        Mutation::DuplicateFrame { file, index } => edit_frames(file, &|p| {
            let i = index % p.len();
            let copy = p[i].clone();
            p.insert(i, copy);
            true
        }),
        Mutation::SwapFrames { file, a, b } => edit_frames(file, &|p| {
            let (a, b) = (a % p.len(), b % p.len());
            p.swap(a, b);
            a != b
        }),
        Mutation::ForgeFrame { file, index, pos } => edit_frames(file, &|p| {
            // A well-framed entry (valid length and checksum) with altered content.
            let i = index % p.len();
            let mut forged = p[i].clone();
            let at = pos % forged.len();
            forged[at] = if forged[at] == b'1' { b'2' } else { b'1' };
            p.insert(i, forged);
            true
        }),
        Mutation::DeleteBlob(i) => {
            std::fs::remove_file(path_of(dir, Target::Blob(i))).unwrap();
            true
        }
        Mutation::RenameBlob(i) => {
            let from = path_of(dir, Target::Blob(i));
            std::fs::rename(&from, dir.join("blobs").join(to_hex(&[0xab; 32]))).unwrap();
            true
        }
        Mutation::AddBlob(i) => {
            let mut bytes = std::fs::read(path_of(dir, Target::Blob(i))).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 0x80;
            std::fs::write(dir.join("blobs").join(to_hex(&sha256(&bytes))), bytes).unwrap();
            true
        }
    }
}

fn run_cases(cases: u32, with_key: bool) {
    let base = tempfile::tempdir().unwrap();
    let (tenant, summary) = small_session(base.path(), 7);
    let opts = if with_key {
        opts_with(&tenant, &summary)
    } else {
        accepting(None)
    };
    let clean = verify(base.path(), &opts).unwrap();
    assert_eq!(clean.status, Status::Intact, "{:#?}", clean.findings);

    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&mutation(), |m| {
            let scratch = tempfile::tempdir().unwrap();
            let dir = scratch.path().join("s");
            copy_dir(base.path(), &dir);
            if !apply(&dir, &m) {
                return Err(TestCaseError::reject("no-op mutation"));
            }
            let report = verify(&dir, &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_ne!(
                report.status,
                Status::Intact,
                "mutation {:?} went unnoticed",
                m
            );
            prop_assert!(!report.findings.is_empty());
            Ok(())
        })
        .unwrap();
}

#[test]
fn untouched_sessions_always_verify() {
    for seed in 0..6 {
        let dir = tempfile::tempdir().unwrap();
        let (tenant, summary) = small_session(dir.path(), seed);
        for opts in [accepting(None), opts_with(&tenant, &summary)] {
            let report = verify(dir.path(), &opts).unwrap();
            assert_eq!(
                report.status,
                Status::Intact,
                "seed {seed}: {:#?}",
                report.findings
            );
            assert_eq!(report.records, summary.records);
            assert_eq!(report.blobs.verified, summary.blobs);
            assert!(
                !report.clock.jumps.is_empty(),
                "the simulation moves the clock once"
            );
            assert!(report.receipts.count > 0 && report.client_attested_only.is_some());
        }
    }
}

#[test]
fn no_mutation_goes_unnoticed() {
    run_cases(400, false);
}

#[test]
fn no_mutation_goes_unnoticed_with_the_tenant_key() {
    run_cases(150, true);
}

#[test]
fn every_single_byte_flip_of_checkpoints_and_receipts_is_reported() {
    let base = tempfile::tempdir().unwrap();
    small_session(base.path(), 3);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("s");
    copy_dir(base.path(), &dir);
    for name in ["checkpoints", "receipts"] {
        let path = dir.join(name);
        let original = std::fs::read(&path).unwrap();
        for pos in 0..original.len() {
            let mut bytes = original.clone();
            bytes[pos] ^= 0x01;
            std::fs::write(&path, &bytes).unwrap();
            let report = verify(&dir, &accepting(None)).unwrap();
            assert_ne!(
                report.status,
                Status::Intact,
                "flip of byte {pos} of {name} went unnoticed"
            );
        }
        std::fs::write(&path, &original).unwrap();
    }
}
