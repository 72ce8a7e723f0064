//! Writing, durability and recovery: resume after a stop, torn tails cut
//! without losing durable records, uncommitted blobs removed, sealed
//! sessions refused, and the writer's own guards.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use paraakh_evidence::frame::FileKind;
use paraakh_evidence::keys::{SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519};
use paraakh_evidence::merkle::{leaf_hash, root_of};
use paraakh_evidence::record::{ClientInfo, Event, HexHash, SessionEnd, SubmittedAnswer};
use paraakh_evidence::{
    BlobMeta, Body, FindingKind, ManualClock, NoteSigner, SessionParams, SessionWriter, Severity,
    Status, TenantSecretKey, Timestamp, WriterError, verify,
};
use proptest::prelude::*;

use super::support::{START_UTC_NS, accepting, copy_dir, frames};

fn params(tenant: &TenantSecretKey, backend: Option<&NoteSigner>) -> SessionParams {
    SessionParams {
        session_id: "s-1".into(),
        exam_id: "exam-1".into(),
        tenant_id: "tenant-1".into(),
        policy_sha256: [1; 32],
        client: ClientInfo {
            version: "test".into(),
            build_sha256: HexHash([2; 32]),
        },
        tenant_key: tenant.public(),
        backend_key: backend.map(NoteSigner::verifier),
        statement: None,
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Timestamp {
            utc_ns: START_UTC_NS,
            boot_ns: 1_000_000_000,
        },
        50_000_000,
    ))
}

fn event(w: &mut SessionWriter, severity: Severity, n: u64) -> u64 {
    let mut detail = serde_json::Map::new();
    detail.insert("n".into(), n.into());
    w.append(
        severity,
        Body::Event(Event {
            kind: "test_event".into(),
            message: None,
            detail,
        }),
    )
    .unwrap()
}

fn keys() -> (NoteSigner, TenantSecretKey) {
    (
        NoteSigner::generate("device", SIG_TYPE_ED25519).unwrap(),
        TenantSecretKey::generate("tenant").unwrap(),
    )
}

fn status(dir: &Path, tenant: &TenantSecretKey) -> (Status, Vec<FindingKind>) {
    let r = verify(dir, &accepting(Some(tenant))).unwrap();
    (r.status, r.findings.iter().map(|f| f.kind).collect())
}

#[test]
fn a_stopped_session_resumes_in_a_new_segment_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let (device, tenant) = keys();
    let c = clock();
    let mut w = SessionWriter::create(&dir, params(&tenant, None), &device, c.clone()).unwrap();
    for i in 0..10 {
        event(&mut w, Severity::Info, i);
    }
    w.checkpoint().unwrap();
    event(&mut w, Severity::Low, 99);
    let first_key = w.session_public_key();
    drop(w); // the process "stops": no end record

    let (s, kinds) = status(&dir, &tenant);
    assert_eq!(s, Status::Truncated, "{kinds:?}");
    assert_eq!(kinds, vec![FindingKind::Truncated]);

    c.advance(120_000_000_000); // two minutes pass
    let (mut w, rec) = SessionWriter::resume(&dir, &device, c.clone()).unwrap();
    assert_eq!(rec.records, 13);
    assert!(rec.gap_ns >= 120_000_000_000);
    assert_ne!(w.session_public_key(), first_key);
    event(&mut w, Severity::Info, 100);
    w.finish("submitted").unwrap();

    let report = verify(&dir, &accepting(Some(&tenant))).unwrap();
    assert_eq!(report.status, Status::Intact, "{:#?}", report.findings);
    assert_eq!(report.segments.len(), 2);
    assert_eq!(report.segments[1].first_seq, 13);
    assert!(report.segments[1].gap_s.unwrap() >= 120.0);
}

#[test]
fn high_severity_records_answers_and_submissions_are_durable_on_return() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let mut w = SessionWriter::create(tmp.path(), params(&tenant, None), &device, clock()).unwrap();
    event(&mut w, Severity::High, 1);
    assert_eq!(w.durable_records(), w.size());
    event(&mut w, Severity::Info, 2);
    let a = w.save_answer("q1", b"B").unwrap();
    assert_eq!(w.durable_records(), w.size());
    w.submit(vec![SubmittedAnswer {
        question: "q1".into(),
        answer_seq: a,
    }])
    .unwrap();
    assert_eq!(w.durable_records(), w.size());
}

#[test]
fn group_commit_makes_low_severity_records_durable_without_an_explicit_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let mut w = SessionWriter::create(tmp.path(), params(&tenant, None), &device, clock()).unwrap();
    for i in 0..50 {
        event(&mut w, Severity::Info, i);
    }
    assert!(
        w.durable_records() < w.size(),
        "info records wait for the group commit"
    );
    // The latency itself is measured by the benchmark; here only that it happens.
    let deadline = Instant::now() + Duration::from_secs(10);
    while w.durable_records() < w.size() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(w.durable_records(), w.size());
}

#[test]
fn a_second_writer_and_a_second_session_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let w = SessionWriter::create(tmp.path(), params(&tenant, None), &device, clock()).unwrap();
    assert!(matches!(
        SessionWriter::resume(tmp.path(), &device, clock()),
        Err(WriterError::Locked(_))
    ));
    drop(w);
    assert!(matches!(
        SessionWriter::create(tmp.path(), params(&tenant, None), &device, clock()),
        Err(WriterError::AlreadyExists(_))
    ));
    let (other, _) = keys();
    assert!(matches!(
        SessionWriter::resume(tmp.path(), &other, clock()),
        Err(WriterError::WrongDeviceKey(_))
    ));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        SessionWriter::resume(empty.path(), &device, clock()),
        Err(WriterError::NotASession(_))
    ));
}

#[test]
fn invalid_parameters_are_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let mut p = params(&tenant, None);
    p.session_id = "../escape".into();
    let err = SessionWriter::create(tmp.path(), p, &device, clock()).unwrap_err();
    assert!(err.to_string().contains("session id"), "{err}");
    let mut p = params(&tenant, None);
    p.backend_key = Some(
        NoteSigner::generate("b", SIG_TYPE_ED25519)
            .unwrap()
            .verifier(),
    );
    assert!(SessionWriter::create(tmp.path(), p, &device, clock()).is_err());
}

#[test]
fn a_sealed_session_cannot_be_resumed() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let w = SessionWriter::create(tmp.path(), params(&tenant, None), &device, clock()).unwrap();
    w.finish("submitted").unwrap();
    assert!(matches!(
        SessionWriter::resume(tmp.path(), &device, clock()),
        Err(WriterError::AlreadyEnded(_))
    ));
}

#[test]
fn a_crash_between_the_end_record_and_the_final_checkpoint_is_sealed_on_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let mut w = SessionWriter::create(tmp.path(), params(&tenant, None), &device, clock()).unwrap();
    event(&mut w, Severity::Info, 1);
    w.append(
        Severity::Info,
        Body::End(SessionEnd {
            reason: "submitted".into(),
        }),
    )
    .unwrap();
    drop(w);
    let (w, rec) = SessionWriter::resume(tmp.path(), &device, clock()).unwrap();
    assert!(rec.had_ended);
    w.finish("submitted").unwrap();
    let (s, kinds) = status(tmp.path(), &tenant);
    assert_eq!(s, Status::Intact, "{kinds:?}");
}

#[test]
fn a_checkpoint_signed_just_before_a_crash_is_referenced_on_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let mut w = SessionWriter::create(tmp.path(), params(&tenant, None), &device, clock()).unwrap();
    event(&mut w, Severity::Info, 1);
    w.checkpoint().unwrap();
    drop(w);
    // Remove the log's reference to the checkpoint, as if the crash came right after signing.
    let log = tmp.path().join("log");
    let payloads: Vec<Vec<u8>> = frames(&log, FileKind::Log)
        .into_iter()
        .map(|f| f.payload)
        .collect();
    super::support::write_frames(&log, FileKind::Log, &payloads[..payloads.len() - 1]);
    let (w, _) = SessionWriter::resume(tmp.path(), &device, clock()).unwrap();
    w.finish("submitted").unwrap();
    let (s, kinds) = status(tmp.path(), &tenant);
    assert_eq!(s, Status::Intact, "{kinds:?}");
}

#[test]
fn uncommitted_blobs_are_reported_then_discarded_on_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let mut w = SessionWriter::create(tmp.path(), params(&tenant, None), &device, clock()).unwrap();
    let meta = BlobMeta {
        media_type: "image/jpeg".into(),
        purpose: "webcam_snapshot".into(),
        event_seq: None,
    };
    w.add_blob(Severity::Info, meta, &[5u8; 1000]).unwrap();
    drop(w);
    // A blob sealed and renamed but never recorded, and one never finished.
    std::fs::write(tmp.path().join("blobs").join("ab".repeat(32)), b"sealed").unwrap();
    std::fs::write(tmp.path().join("blobs").join(".tmp-0011"), b"half").unwrap();
    let (s, kinds) = status(tmp.path(), &tenant);
    assert_eq!(s, Status::Truncated, "{kinds:?}");
    assert!(kinds.contains(&FindingKind::UncommittedBlob));

    let (w, rec) = SessionWriter::resume(tmp.path(), &device, clock()).unwrap();
    assert_eq!(rec.note.discarded_blobs, vec![HexHash([0xab; 32])]);
    w.finish("submitted").unwrap();
    let report = verify(tmp.path(), &accepting(Some(&tenant))).unwrap();
    assert_eq!(report.status, Status::Intact, "{:#?}", report.findings);
    assert_eq!(report.blobs.decrypted, Some(1));
    let recovery = report.segments[1].recovery.as_ref().unwrap();
    assert_eq!(recovery.discarded_blobs.len(), 1);
}

#[test]
fn receipts_are_checked_before_they_are_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let backend = NoteSigner::generate("backend.example", SIG_TYPE_COSIGNATURE_V1).unwrap();
    let impostor = NoteSigner::generate("backend.example", SIG_TYPE_COSIGNATURE_V1).unwrap();
    let mut w = SessionWriter::create(
        tmp.path(),
        params(&tenant, Some(&backend)),
        &device,
        clock(),
    )
    .unwrap();
    event(&mut w, Severity::Info, 1);
    let mut note = w.checkpoint().unwrap();
    let mut forged = note.clone();
    forged.cosign(&impostor, 1_790_000_100).unwrap();
    assert!(matches!(
        w.add_receipt(&forged, &backend.verifier()),
        Err(WriterError::BadReceipt(_))
    ));
    note.cosign(&backend, 1_790_000_100).unwrap();
    assert!(w.add_receipt(&note, &backend.verifier()).unwrap());
    assert!(
        !w.add_receipt(&note, &backend.verifier()).unwrap(),
        "a repeated receipt is ignored"
    );
    w.finish("submitted").unwrap();
    let report = verify(tmp.path(), &accepting(Some(&tenant))).unwrap();
    assert_eq!(report.status, Status::Intact, "{:#?}", report.findings);
    assert_eq!(report.receipts.count, 1);
}

#[test]
fn a_wall_clock_jump_is_recorded_and_verified() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let c = clock();
    let mut w =
        SessionWriter::create(tmp.path(), params(&tenant, None), &device, c.clone()).unwrap();
    event(&mut w, Severity::Info, 1);
    c.jump_wall(600_000_000_000);
    event(&mut w, Severity::Info, 2);
    c.advance(30_000_000_000); // a suspend: both clocks move, no jump
    event(&mut w, Severity::Info, 3);
    w.finish("submitted").unwrap();
    let report = verify(tmp.path(), &accepting(None)).unwrap();
    assert_eq!(report.status, Status::Intact, "{:#?}", report.findings);
    assert_eq!(report.clock.jumps.len(), 1);
    assert!((report.clock.jumps[0].skew_s - 600.0).abs() < 0.1);
    assert!(report.clock.largest_gap_s >= 30.0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Power loss: whatever happens to the bytes after the durable point (cut
    /// anywhere, garbage, zeros), recovery keeps every durable record intact.
    #[test]
    fn recovery_keeps_every_durable_record(durable in 2u64..30, extra in 1u64..20, damage in 0u8..3, cut in any::<usize>(), seed in any::<u64>()) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        let (device, tenant) = keys();
        let mut w = SessionWriter::create(&dir, params(&tenant, None), &device, clock()).unwrap();
        for i in 0..durable {
            event(&mut w, Severity::Info, i);
        }
        w.sync().unwrap();
        let durable_count = w.size();
        let durable_bytes = std::fs::metadata(dir.join("log")).unwrap().len();
        for i in 0..extra {
            event(&mut w, Severity::Info, 1000 + i);
        }
        drop(w);
        let leaves: Vec<_> = frames(&dir.join("log"), FileKind::Log).iter().map(|f| leaf_hash(&f.payload)).collect();
        let durable_root = root_of(&leaves[..durable_count as usize]);

        // Damage what was not yet durable, as a power loss may.
        let crashed = tmp.path().join("crashed");
        copy_dir(&dir, &crashed);
        let log = crashed.join("log");
        let mut bytes = std::fs::read(&log).unwrap();
        let tail = bytes.len() as u64 - durable_bytes;
        let keep = durable_bytes as usize + cut % (tail as usize + 1);
        bytes.truncate(keep);
        let mut rng = paraakh_evidence::simulate::SplitMix64::new(seed);
        match damage {
            0 => {}
            1 => bytes.extend(std::iter::repeat_n(0u8, 1 + cut % 300)),
            _ => {
                let mut junk = vec![0u8; 1 + cut % 300];
                rng.fill(&mut junk);
                bytes.extend(junk);
            }
        }
        std::fs::write(&log, &bytes).unwrap();

        let (w, rec) = SessionWriter::resume(&crashed, &device, clock()).unwrap();
        prop_assert!(rec.records >= durable_count);
        w.finish("submitted").unwrap();
        let leaves: Vec<_> = frames(&log, FileKind::Log).iter().map(|f| leaf_hash(&f.payload)).collect();
        prop_assert_eq!(root_of(&leaves[..durable_count as usize]), durable_root);
        let report = verify(&crashed, &accepting(None)).unwrap();
        prop_assert_eq!(report.status, Status::Intact, "{:#?}", report.findings);
    }
}

#[test]
fn damage_inside_the_log_is_not_cut_away_as_a_torn_tail() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let mut w = SessionWriter::create(tmp.path(), params(&tenant, None), &device, clock()).unwrap();
    for i in 0..30 {
        event(&mut w, Severity::Info, i);
    }
    w.checkpoint().unwrap();
    for i in 30..60 {
        event(&mut w, Severity::High, i);
    }
    drop(w);
    // One flipped bit in a record after the last checkpoint, with intact records after it.
    let log = tmp.path().join("log");
    let frames = frames(&log, FileKind::Log);
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[frames[45].offset as usize + 10] ^= 0x01;
    std::fs::write(&log, &bytes).unwrap();
    let err = SessionWriter::resume(tmp.path(), &device, clock()).unwrap_err();
    assert!(matches!(err, WriterError::Corrupt(_)), "{err}");
    assert_eq!(
        std::fs::read(&log).unwrap(),
        bytes,
        "recovery changed a damaged log"
    );
}

#[test]
fn a_receipt_recorded_in_the_log_is_never_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let backend = NoteSigner::generate("backend.example", SIG_TYPE_COSIGNATURE_V1).unwrap();
    let mut w = SessionWriter::create(
        tmp.path(),
        params(&tenant, Some(&backend)),
        &device,
        clock(),
    )
    .unwrap();
    event(&mut w, Severity::Info, 1);
    let mut note = w.checkpoint().unwrap();
    note.cosign(&backend, 1_790_000_100).unwrap();
    w.add_receipt(&note, &backend.verifier()).unwrap();
    drop(w);
    let receipts = tmp.path().join("receipts");
    let len = std::fs::metadata(&receipts).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&receipts)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let err = SessionWriter::resume(tmp.path(), &device, clock()).unwrap_err();
    assert!(
        err.to_string().contains("receipts no longer holds"),
        "{err}"
    );
}

#[test]
fn a_sealed_session_cannot_be_reopened_behind_the_verifiers_back() {
    // A sealed session whose final checkpoint is hidden, resumed and sealed
    // again, then given its original seal back: verify sees records after a
    // sealed end.
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let mut w = SessionWriter::create(tmp.path(), params(&tenant, None), &device, clock()).unwrap();
    event(&mut w, Severity::Info, 1);
    w.finish("submitted").unwrap();
    let ckpts = tmp.path().join("checkpoints");
    let payloads: Vec<Vec<u8>> = frames(&ckpts, FileKind::Checkpoints)
        .into_iter()
        .map(|f| f.payload)
        .collect();
    let (seal, rest) = payloads.split_last().unwrap();
    super::support::write_frames(&ckpts, FileKind::Checkpoints, rest);
    let (mut w, rec) = SessionWriter::resume(tmp.path(), &device, clock()).unwrap();
    assert!(rec.had_ended);
    assert!(matches!(
        w.append(Severity::Info, Body::Heartbeat {}),
        Err(WriterError::Ended(_))
    ));
    w.finish("submitted").unwrap();
    let mut all: Vec<Vec<u8>> = frames(&ckpts, FileKind::Checkpoints)
        .into_iter()
        .map(|f| f.payload)
        .collect();
    all.insert(rest.len(), seal.clone());
    super::support::write_frames(&ckpts, FileKind::Checkpoints, &all);
    let (s, kinds) = status(tmp.path(), &tenant);
    assert_eq!(s, Status::Invalid);
    assert!(kinds.contains(&FindingKind::RecordAfterEnd), "{kinds:?}");
}

#[test]
fn a_boot_clock_running_backwards_is_reported_even_with_a_clock_jump_record() {
    let tmp = tempfile::tempdir().unwrap();
    let (device, tenant) = keys();
    let c = clock();
    let mut w =
        SessionWriter::create(tmp.path(), params(&tenant, None), &device, c.clone()).unwrap();
    event(&mut w, Severity::Info, 1);
    c.set(Timestamp {
        utc_ns: START_UTC_NS + 10_000_000_000,
        boot_ns: 10,
    });
    event(&mut w, Severity::Info, 2);
    w.finish("submitted").unwrap();
    let (s, kinds) = status(tmp.path(), &tenant);
    assert_eq!(s, Status::Invalid);
    assert!(kinds.contains(&FindingKind::BadTime), "{kinds:?}");
}

/// A disk that fills up under a running session (a tmpfs of its own,
/// root only): a blob that does not fit is refused whole and leaves no
/// file; the log goes on in the space the writer held back; once that is
/// gone too, an append is refused whole and the log stays intact; when
/// space returns, writing goes on and the session verifies.
#[test]
fn a_full_disk_refuses_what_does_not_fit_loses_nothing_and_writing_goes_on() {
    use paraakh_test_rig::disk::SmallDisk;
    let tmp = tempfile::tempdir().unwrap();
    let mut disk = match SmallDisk::mount(&tmp.path().join("disk"), 16) {
        Ok(d) => d,
        Err(e) => {
            paraakh_test_rig::skip(&e);
            return;
        }
    };
    let dir = disk.path().join("s");
    let (device, tenant) = keys();
    let mut w = SessionWriter::create(&dir, params(&tenant, None), &device, clock()).unwrap();
    for i in 0..5 {
        event(&mut w, Severity::Info, i);
    }
    disk.fill_to(0);
    let meta = || BlobMeta {
        media_type: "application/octet-stream".into(),
        purpose: "test".into(),
        event_seq: None,
    };
    let err = w
        .add_blob(Severity::Info, meta(), &vec![7u8; 2 << 20])
        .unwrap_err();
    assert!(err.is_storage_full(), "{err}");
    let partial = std::fs::read_dir(dir.join("blobs")).unwrap().count();
    assert_eq!(partial, 0, "no partial blob is left");

    // The log writes into the reserve.
    for i in 0..1000 {
        event(&mut w, Severity::Info, 100 + i);
    }
    assert!(w.reserve_released());
    w.checkpoint().unwrap();

    // Then that is full too: refused whole, nothing lost, no poisoned writer.
    disk.fill_to(0);
    let refused = (0..10_000).find_map(|i| {
        let mut detail = serde_json::Map::new();
        detail.insert("n".into(), (5000 + i).into());
        let body = Body::Event(Event {
            kind: "test_event".into(),
            message: None,
            detail,
        });
        w.append(Severity::Info, body).err()
    });
    let refused = refused.expect("the disk fills");
    assert!(refused.is_storage_full(), "{refused}");
    let on_disk = frames(&dir.join("log"), FileKind::Log).len() as u64;
    assert_eq!(
        on_disk,
        w.size(),
        "the log holds exactly the accepted records"
    );

    disk.empty();
    event(&mut w, Severity::Info, 9999);
    assert!(w.hold_reserve());
    let (_, blob) = w.add_blob(Severity::Info, meta(), b"fits now").unwrap();
    assert_eq!(blob.plaintext_size, 8);
    w.finish("done").unwrap();
    assert!(
        !dir.join(".reserve").exists(),
        "the reserve goes at the end"
    );
    assert_eq!(status(&dir, &tenant), (Status::Intact, vec![]));
}
