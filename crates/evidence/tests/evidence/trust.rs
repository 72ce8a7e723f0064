//! Who vouches for a session, tried as the candidate who holds the machine
//! would: re-signing with a fresh device key, a forged unsigned tail,
//! records dated outside the backend's times, cutting and resuming after an
//! upload, a foreign tenant key, and files crafted to crash or stall the
//! verifier. And the other side: an honest session with a wrong clock, an
//! offline session, a crash — never called altered.

use std::path::Path;
use std::sync::Arc;

use paraakh_evidence::conflict::Conflict;
use paraakh_evidence::frame::{FileKind, encode_frame};
use paraakh_evidence::keys::{SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519};
use paraakh_evidence::merkle::{MerkleTree, leaf_hash};
use paraakh_evidence::note::{CheckpointBody, SignedNote};
use paraakh_evidence::record::{
    B64Key, B64Sig, ClientInfo, Event, HexHash, KeyCertificate, Record, certificate_message,
};
use paraakh_evidence::simulate::{SimulateOptions, SimulateSummary, simulate};
use paraakh_evidence::statement::{SessionStatement, StatementEvent};
use paraakh_evidence::verify::VouchedBy;
use paraakh_evidence::{
    Body, FindingKind, ManualClock, NoteSigner, NoteVerifier, Report, SessionParams, SessionWriter,
    Severity, Status, TenantSecretKey, Timestamp, VerifyOptions, verify,
};

use super::support::{START_UTC_NS, accepting, copy_dir, frames, write_frames};

/// A simulated online session in which every record is witnessed.
fn witnessed(dir: &Path, device: &Arc<NoteSigner>) -> (TenantSecretKey, SimulateSummary) {
    let tenant = TenantSecretKey::generate("tenant.example").unwrap();
    let mut opts = SimulateOptions::new(tenant.public(), START_UTC_NS);
    opts.events = 40;
    opts.blobs = 2;
    opts.blob_size = (10, 2000);
    opts.questions = 2;
    opts.checkpoint_every = 10;
    opts.receipt_lag = 0;
    opts.device = Some(Arc::clone(device));
    let summary = simulate(dir, &opts).unwrap();
    (tenant, summary)
}

fn device() -> Arc<NoteSigner> {
    Arc::new(NoteSigner::generate("paraakh-device", SIG_TYPE_ED25519).unwrap())
}

fn pinned(summary: &SimulateSummary) -> VerifyOptions {
    VerifyOptions {
        backend_key: Some(NoteVerifier::parse(&summary.backend_key).unwrap()),
        threads: 1,
        ..VerifyOptions::default()
    }
}

fn kinds(r: &Report) -> Vec<FindingKind> {
    r.findings.iter().map(|f| f.kind).collect()
}

fn parts(r: &Report) -> Vec<(u64, u64, VouchedBy)> {
    r.trust
        .parts
        .iter()
        .map(|p| (p.from, p.to, p.vouched_by))
        .collect()
}

#[test]
fn a_fully_witnessed_session_is_intact_only_under_the_pinned_backend_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, summary) = witnessed(tmp.path(), &device());
    let r = verify(tmp.path(), &pinned(&summary)).unwrap();
    assert_eq!(r.status, Status::Intact, "{:#?}", r.findings);
    assert_eq!(parts(&r), [(0, r.records, VouchedBy::Witnessed)]);
    assert!(r.trust.device_key_bound);
    assert!(r.client_attested_only.is_none());
    // The key the session names itself binds nothing.
    let r = verify(tmp.path(), &VerifyOptions::default()).unwrap();
    assert_eq!(r.status, Status::NotWitnessed);
    assert_eq!(kinds(&r), [FindingKind::NotWitnessed]);
    assert_eq!(parts(&r), [(0, r.records, VouchedBy::MachineAttested)]);
    // Another backend key: the statement and every receipt are refused.
    let other = NoteSigner::generate("ingest.other", SIG_TYPE_COSIGNATURE_V1).unwrap();
    let r = verify(
        tmp.path(),
        &VerifyOptions {
            backend_key: Some(other.verifier()),
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.status, Status::Invalid);
    assert!(
        kinds(&r).contains(&FindingKind::BadStatement),
        "{:?}",
        kinds(&r)
    );
}

/// What the keyless attacker does: record the session again with a fresh
/// device key of their own, leaving out every medium and high event.
fn resign_without_the_awkward_events(src: &Path, dst: &Path, tenant: &TenantSecretKey) {
    let records: Vec<Record> = frames(&src.join("log"), FileKind::Log)
        .iter()
        .map(|f| Record::parse(&f.payload).unwrap())
        .collect();
    let Body::Header(h) = &records[0].body else {
        panic!("record 0 is the header")
    };
    let fresh = NoteSigner::generate("paraakh-device", SIG_TYPE_ED25519).unwrap();
    let clock = Arc::new(ManualClock::new(records[0].time, 1_000_000));
    let mut w = SessionWriter::create(
        dst,
        SessionParams {
            session_id: h.session_id.clone(),
            exam_id: h.exam_id.clone(),
            tenant_id: h.tenant_id.clone(),
            policy_sha256: h.policy_sha256.0,
            client: h.client.clone(),
            tenant_key: tenant.public(),
            backend_key: None,
            statement: None,
        },
        &fresh,
        clock,
    )
    .unwrap();
    for r in &records[1..] {
        if let Body::Event(e) = &r.body
            && r.severity < Severity::Medium
        {
            w.append(r.severity, Body::Event(e.clone())).unwrap();
        }
    }
    w.checkpoint().unwrap();
    w.finish("submitted").unwrap();
}

#[test]
fn a_session_re_signed_with_a_fresh_device_key_is_never_witnessed() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    let (tenant, summary) = witnessed(&real, &device());
    let forged = tmp.path().join("forged");
    resign_without_the_awkward_events(&real, &forged, &tenant);

    // Self-consistent, so nothing reads as altered, but nothing vouches for it.
    for opts in [VerifyOptions::default(), pinned(&summary)] {
        let r = verify(&forged, &opts).unwrap();
        assert_eq!(r.status, Status::NotWitnessed, "{:#?}", r.findings);
        assert_eq!(kinds(&r), [FindingKind::NotWitnessed]);
        assert!(!r.trust.device_key_bound && r.trust.statement.is_none());
    }
    // The auditor may accept it as machine-attested: then it says so.
    let r = verify(
        &forged,
        &VerifyOptions {
            accept_machine_attested: true,
            ..pinned(&summary)
        },
    )
    .unwrap();
    assert_eq!(r.status, Status::Intact);
    assert_eq!(parts(&r), [(0, r.records, VouchedBy::MachineAttested)]);

    // Keeping the real statement (and so the nonce) does not help: it binds the real device.
    std::fs::copy(real.join("statement"), forged.join("statement")).unwrap();
    let r = verify(&forged, &pinned(&summary)).unwrap();
    assert_eq!(r.status, Status::Invalid);
    assert!(kinds(&r).contains(&FindingKind::BadStatement));
    // Nor do the real receipts: they cosign another history.
    std::fs::remove_file(forged.join("statement")).unwrap();
    std::fs::copy(real.join("receipts"), forged.join("receipts")).unwrap();
    let r = verify(&forged, &pinned(&summary)).unwrap();
    assert_eq!(r.status, Status::Invalid, "{:?}", kinds(&r));
}

#[test]
fn removing_the_statement_is_noticed() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, summary) = witnessed(tmp.path(), &device());
    std::fs::remove_file(tmp.path().join("statement")).unwrap();
    let r = verify(tmp.path(), &pinned(&summary)).unwrap();
    assert_eq!(r.status, Status::Invalid);
    assert!(kinds(&r).contains(&FindingKind::BadStatement));
}

fn writer_params(tenant: &TenantSecretKey, statement: Option<SignedNote>) -> SessionParams {
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
        backend_key: None,
        statement,
    }
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

/// A session recorded with no backend (a fresh device and tenant key) and
/// the clock it is written with (10 ms a record).
fn offline_writer(dir: &Path) -> (SessionWriter, Arc<ManualClock>) {
    let device = NoteSigner::generate("d", SIG_TYPE_ED25519).unwrap();
    let tenant = TenantSecretKey::generate("t").unwrap();
    let clock = Arc::new(ManualClock::new(
        Timestamp {
            utc_ns: START_UTC_NS,
            boot_ns: 5_000_000_000,
        },
        10_000_000,
    ));
    let w =
        SessionWriter::create(dir, writer_params(&tenant, None), &device, clock.clone()).unwrap();
    (w, clock)
}

/// Appends a well-framed record after everything signed, as anyone with
/// the files could.
fn append_record(dir: &Path, record: &Record) {
    use std::io::Write as _;
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("log"))
        .unwrap();
    log.write_all(&encode_frame(&record.to_bytes())).unwrap();
}

#[test]
fn a_forged_tail_after_the_last_checkpoint_is_named_unsigned_and_never_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut w, clock) = offline_writer(tmp.path());
    for i in 0..5 {
        event(&mut w, Severity::Low, i);
    }
    w.checkpoint().unwrap();
    let last = event(&mut w, Severity::Info, 9);
    drop(w); // the client stops: a crash
    append_record(
        tmp.path(),
        &Record {
            seq: last + 1,
            time: clock.now_for_test(),
            severity: Severity::Critical,
            body: Body::Event(Event {
                kind: "prohibited_process".into(),
                message: Some("forged".into()),
                detail: serde_json::Map::new(),
            }),
        },
    );
    let r = verify(tmp.path(), &accepting(None)).unwrap();
    assert_eq!(r.status, Status::Truncated, "{:#?}", r.findings);
    assert_eq!(r.events.get(&Severity::Critical), None, "{:?}", r.events);
    assert_eq!(r.unsigned_events.get(&Severity::Critical), Some(&1));
    assert_eq!(r.unsigned_events.get(&Severity::Info), Some(&1));
    // The checkpoint's own reference, the last event and the forgery.
    let unsigned = r.unsigned.unwrap();
    assert_eq!((unsigned.from, unsigned.to), (last - 1, last + 2));
    assert_eq!(
        parts(&r).last().unwrap(),
        &(last - 1, last + 2, VouchedBy::Unsigned)
    );
}

trait NowForTest {
    fn now_for_test(&self) -> Timestamp;
}

impl NowForTest for ManualClock {
    fn now_for_test(&self) -> Timestamp {
        use paraakh_evidence::Clock as _;
        self.now()
    }
}

/// A session the backend bound at `backend_secs` and cosigned 3 s later,
/// recorded by a client whose clock reads `client_ns` at the statement and
/// then runs on.
fn timed_session(
    dir: &Path,
    backend_secs: u64,
    client_ns: i64,
    claims_client_time: bool,
) -> (NoteSigner, Report) {
    timed_session_cosigned_after(dir, backend_secs, client_ns, claims_client_time, 3)
}

/// The same, cosigned `cosigned_after` seconds after the statement.
fn timed_session_cosigned_after(
    dir: &Path,
    backend_secs: u64,
    client_ns: i64,
    claims_client_time: bool,
    cosigned_after: u64,
) -> (NoteSigner, Report) {
    let backend = NoteSigner::generate("ingest.example", SIG_TYPE_COSIGNATURE_V1).unwrap();
    let device = NoteSigner::generate("d", SIG_TYPE_ED25519).unwrap();
    let tenant = TenantSecretKey::generate("t").unwrap();
    let statement = SessionStatement::new(
        "tenant-1",
        "exam-1",
        "s-1",
        device.public_key(),
        StatementEvent::Start,
        claims_client_time.then_some(client_ns),
    )
    .unwrap()
    .sign(&backend, backend_secs)
    .unwrap();
    let clock = Arc::new(ManualClock::new(
        Timestamp {
            utc_ns: client_ns,
            boot_ns: 5_000_000_000,
        },
        100_000_000,
    ));
    let mut params = writer_params(&tenant, Some(statement));
    params.backend_key = Some(backend.verifier());
    let mut w = SessionWriter::create(dir, params, &device, clock).unwrap();
    for i in 0..20 {
        event(&mut w, Severity::Info, i);
    }
    let mut last = w.finish("submitted").unwrap();
    // The (two-second) session ends; the backend cosigns when it is sent.
    last.cosign(&backend, backend_secs + cosigned_after)
        .unwrap();
    paraakh_evidence::writer::store_receipt(dir, &last, &backend.verifier()).unwrap();
    let r = verify(
        dir,
        &VerifyOptions {
            backend_key: Some(backend.verifier()),
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    (backend, r)
}

const NOW_S: u64 = 1_790_000_000;
const NOW_NS: i64 = 1_790_000_000_000_000_000;

#[test]
fn record_times_are_held_against_the_backends() {
    // An honest client: witnessed, intact.
    let tmp = tempfile::tempdir().unwrap();
    let (_, r) = timed_session(&tmp.path().join("a"), NOW_S, NOW_NS + 300_000_000, true);
    assert_eq!(r.status, Status::Intact, "{:#?}", r.findings);
    let offset = r
        .trust
        .statement
        .as_ref()
        .unwrap()
        .client_clock_offset_s
        .unwrap();
    assert!((offset - 0.3).abs() < 0.01, "{offset}");

    // A clock 40 minutes slow is no one's fault: the statement measured it.
    let (_, r) = timed_session(
        &tmp.path().join("b"),
        NOW_S,
        NOW_NS - 2_400_000_000_000,
        true,
    );
    assert_eq!(r.status, Status::Intact, "{:#?}", r.findings);

    // Records dated three years ahead under a receipt cosigned today.
    let three_years = 3 * 365 * 86_400 * 1_000_000_000i64;
    let (_, r) = timed_session(&tmp.path().join("c"), NOW_S, NOW_NS + three_years, false);
    assert_eq!(r.status, Status::Invalid);
    assert!(
        kinds(&r).contains(&FindingKind::TimeAfterReceipt),
        "{:?}",
        kinds(&r)
    );

    // The same with the client time in the statement: nothing holds the
    // times to the backend's any more, and the report says so.
    let (_, r) = timed_session(&tmp.path().join("d"), NOW_S, NOW_NS + three_years, true);
    assert_eq!(r.status, Status::NotWitnessed);
    assert_eq!(kinds(&r), [FindingKind::UnreliableClock]);

    // Dated an hour before the backend bound the session (client time given as now).
    let dir = tmp.path().join("e");
    let (_, r) = timed_session(&dir, NOW_S, NOW_NS, true);
    assert_eq!(r.status, Status::Intact);
    let (_, r) = timed_session(&tmp.path().join("f"), NOW_S + 3 * 86_400, NOW_NS, false);
    assert!(
        kinds(&r).contains(&FindingKind::TimeBeforeStatement),
        "{:?}",
        kinds(&r)
    );
}

#[test]
fn evidence_the_backend_saw_only_an_hour_later_is_witnessed_late() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("late");
    let (backend, r) = timed_session_cosigned_after(&dir, NOW_S, NOW_NS, true, 3600);
    assert_eq!(r.status, Status::NotWitnessed, "{:#?}", r.findings);
    assert_eq!(kinds(&r), [FindingKind::WitnessedLate]);
    assert_eq!(parts(&r), [(0, r.records, VouchedBy::WitnessedLate)]);
    // An auditor may allow a longer wait, or accept it as machine-attested.
    for opts in [
        VerifyOptions {
            max_receipt_delay: Some(std::time::Duration::from_secs(7200)),
            backend_key: Some(backend.verifier()),
            ..VerifyOptions::default()
        },
        VerifyOptions {
            accept_machine_attested: true,
            backend_key: Some(backend.verifier()),
            ..VerifyOptions::default()
        },
    ] {
        let r = verify(&dir, &opts).unwrap();
        assert_eq!(r.status, Status::Intact, "{:#?}", r.findings);
    }
}

#[test]
fn after_a_restart_a_clock_that_went_back_to_its_old_error_is_not_an_accusation() {
    // The machine's clock is 30 minutes fast; the time service corrects it
    // during the exam; the machine restarts and its clock is fast again.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let backend = NoteSigner::generate("ingest.example", SIG_TYPE_COSIGNATURE_V1).unwrap();
    let device = NoteSigner::generate("d", SIG_TYPE_ED25519).unwrap();
    let tenant = TenantSecretKey::generate("t").unwrap();
    let fast = 1_800_000_000_000i64;
    let statement = SessionStatement::new(
        "tenant-1",
        "exam-1",
        "s-1",
        device.public_key(),
        StatementEvent::Start,
        Some(NOW_NS + fast),
    )
    .unwrap()
    .sign(&backend, NOW_S)
    .unwrap();
    let clock = Arc::new(ManualClock::new(
        Timestamp {
            utc_ns: NOW_NS + fast,
            boot_ns: 5_000_000_000,
        },
        100_000_000,
    ));
    let mut params = writer_params(&tenant, Some(statement));
    params.backend_key = Some(backend.verifier());
    let mut w = SessionWriter::create(dir, params, &device, clock.clone()).unwrap();
    event(&mut w, Severity::Info, 1);
    clock.jump_wall(-fast);
    event(&mut w, Severity::Info, 2);
    let mut first = w.checkpoint().unwrap();
    first.cosign(&backend, NOW_S + 60).unwrap();
    w.add_receipt(&first, &backend.verifier()).unwrap();
    drop(w); // power lost
    clock.set(Timestamp {
        utc_ns: NOW_NS + 120_000_000_000 + fast,
        boot_ns: 20_000_000_000,
    });
    let (mut w, _) = SessionWriter::resume(dir, &device, clock.clone()).unwrap();
    event(&mut w, Severity::Info, 3);
    let mut last = w.finish("submitted").unwrap();
    last.cosign(&backend, NOW_S + 180).unwrap();
    paraakh_evidence::writer::store_receipt(dir, &last, &backend.verifier()).unwrap();
    let r = verify(
        dir,
        &VerifyOptions {
            backend_key: Some(backend.verifier()),
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.status, Status::Intact, "{:#?}", r.findings);
}

#[test]
fn records_with_extreme_times_are_reported_never_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut w, _) = offline_writer(tmp.path());
    let last = event(&mut w, Severity::Info, 1);
    w.checkpoint().unwrap();
    let next = last + 2;
    drop(w);
    for (i, (utc_ns, boot_ns)) in [(i64::MAX, u64::MAX), (i64::MIN, 0), (i64::MAX, 1)]
        .into_iter()
        .enumerate()
    {
        append_record(
            tmp.path(),
            &Record {
                seq: next + i as u64,
                time: Timestamp { utc_ns, boot_ns },
                severity: Severity::High,
                body: Body::ClockJump(paraakh_evidence::record::ClockJump { skew_ns: i64::MIN }),
            },
        );
    }
    let r = verify(tmp.path(), &accepting(None)).unwrap();
    assert_eq!(r.status, Status::Invalid);
    assert!(kinds(&r).contains(&FindingKind::BadTime));
}

#[test]
fn a_crafted_tail_is_reported_as_damage_without_reading_it_quadratically() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, summary) = witnessed(tmp.path(), &device());
    // Every fourth offset announces a 512 KiB frame; none has a valid checksum.
    let mut tail = Vec::with_capacity(5 << 20);
    tail.extend_from_slice(&[0xff; 8]);
    while tail.len() < 5 << 20 {
        tail.extend_from_slice(&[0x00, 0x08, 0x00, 0x00]);
    }
    let mut log = std::fs::read(tmp.path().join("log")).unwrap();
    log.extend_from_slice(&tail);
    std::fs::write(tmp.path().join("log"), log).unwrap();
    let r = verify(tmp.path(), &pinned(&summary)).unwrap();
    assert_eq!(r.status, Status::Invalid);
    assert!(
        kinds(&r).contains(&FindingKind::DamagedRecord),
        "{:?}",
        kinds(&r)
    );
}

#[test]
fn a_tenant_key_that_opens_nothing_is_a_finding_not_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, summary) = witnessed(tmp.path(), &device());
    let foreign = TenantSecretKey::generate("tenant.example").unwrap();
    let r = verify(
        tmp.path(),
        &VerifyOptions {
            tenant_key: Some(foreign),
            ..pinned(&summary)
        },
    )
    .unwrap();
    assert_eq!(r.status, Status::Invalid);
    assert_eq!(kinds(&r), [FindingKind::WrongTenantKey]);
    assert_eq!(r.blobs.decrypted, None);
}

/// Copies the session cut back to `keep` records, its checkpoints and
/// receipts with it, as someone with the files would.
fn cut_copy(src: &Path, dst: &Path, keep: u64) {
    copy_dir(src, dst);
    let log = frames(&dst.join("log"), FileKind::Log);
    let kept: Vec<Vec<u8>> = log[..keep as usize]
        .iter()
        .map(|f| f.payload.clone())
        .collect();
    write_frames(&dst.join("log"), FileKind::Log, &kept);
    for kind in [FileKind::Checkpoints, FileKind::Receipts] {
        let notes: Vec<Vec<u8>> = frames(&dst.join(kind.file_name()), kind)
            .into_iter()
            .map(|f| f.payload)
            .filter(|p| {
                CheckpointBody::parse(SignedNote::parse(p).unwrap().text())
                    .unwrap()
                    .size
                    <= keep
            })
            .collect();
        write_frames(&dst.join(kind.file_name()), kind, &notes);
    }
}

/// Cuts a copy of the session back to `keep` records and resumes it with
/// the device key, sealing a different ending.
fn cut_and_resume(src: &Path, dst: &Path, keep: u64, device: &NoteSigner) {
    cut_copy(src, dst, keep);
    let clock = Arc::new(ManualClock::new(
        Timestamp {
            utc_ns: START_UTC_NS + 900_000_000_000,
            boot_ns: 9_000_000_000_000,
        },
        1_000_000,
    ));
    let (mut w, _) = SessionWriter::resume(dst, device, clock).unwrap();
    event(&mut w, Severity::Info, 77);
    w.finish("submitted").unwrap();
}

/// The size of the second checkpoint of a session.
fn second_checkpoint(dir: &Path) -> u64 {
    let f = &frames(&dir.join("checkpoints"), FileKind::Checkpoints)[1];
    CheckpointBody::parse(SignedNote::parse(&f.payload).unwrap().text())
        .unwrap()
        .size
}

#[test]
fn cutting_after_an_upload_and_resuming_is_a_fork_against_the_other_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let device = device();
    let backend_copy = tmp.path().join("backend");
    let (_, summary) = witnessed(&backend_copy, &device);
    let doctored = tmp.path().join("doctored");
    let keep = second_checkpoint(&backend_copy);
    cut_and_resume(&backend_copy, &doctored, keep, &device);

    // Alone, the doctored copy looks like a resumed session, and its new
    // ending is only machine-attested.
    let alone = verify(&doctored, &pinned(&summary)).unwrap();
    assert_eq!(alone.status, Status::NotWitnessed, "{:#?}", alone.findings);
    assert_eq!(alone.segments.len(), 2);

    for (dir, other) in [(&doctored, &backend_copy), (&backend_copy, &doctored)] {
        let r = verify(
            dir,
            &VerifyOptions {
                against: Some(other.to_path_buf()),
                accept_machine_attested: true,
                ..pinned(&summary)
            },
        )
        .unwrap();
        assert_eq!(r.status, Status::Invalid, "{}", dir.display());
        assert!(kinds(&r).contains(&FindingKind::Fork), "{:?}", kinds(&r));
        assert_eq!(r.against.as_ref().unwrap().diverges_at, Some(keep));
    }
    // A copy compared with itself: the same history.
    let r = verify(
        &backend_copy,
        &VerifyOptions {
            against: Some(backend_copy.clone()),
            ..pinned(&summary)
        },
    )
    .unwrap();
    assert_eq!(r.status, Status::Intact, "{:#?}", r.findings);
}

#[test]
fn a_copy_cut_short_is_a_removal_when_the_other_holds_a_receipt_beyond_it() {
    let tmp = tempfile::tempdir().unwrap();
    let device = device();
    let full = tmp.path().join("full");
    let (_, summary) = witnessed(&full, &device);
    let cut = tmp.path().join("cut");
    cut_copy(&full, &cut, second_checkpoint(&full));
    // Alone it reads like a crash...
    let alone = verify(&cut, &pinned(&summary)).unwrap();
    assert_eq!(alone.status, Status::Truncated, "{:#?}", alone.findings);
    // ...against the backend's copy it is what it is.
    let r = verify(
        &cut,
        &VerifyOptions {
            against: Some(full.clone()),
            ..pinned(&summary)
        },
    )
    .unwrap();
    assert_eq!(r.status, Status::Invalid);
    assert!(
        kinds(&r).contains(&FindingKind::RemovedRecords),
        "{:?}",
        kinds(&r)
    );
}

#[test]
fn a_checkpoint_in_the_other_copy_that_this_machine_never_signed_is_no_fork() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    let (_, summary) = witnessed(&full, &device());
    let other = tmp.path().join("other");
    copy_dir(&full, &other);
    // Whoever holds the other copy writes a checkpoint with another root
    // at a size this log signed, under a key of their own.
    let size = second_checkpoint(&full);
    let origin = CheckpointBody::parse(
        SignedNote::parse(&frames(&full.join("checkpoints"), FileKind::Checkpoints)[0].payload)
            .unwrap()
            .text(),
    )
    .unwrap()
    .origin;
    let stranger = NoteSigner::generate(&origin, SIG_TYPE_ED25519).unwrap();
    let body = CheckpointBody {
        origin,
        size,
        root: [7; 32],
    };
    let forged = SignedNote::sign(&body.to_text(), &[&stranger]).unwrap();
    write_frames(
        &other.join("checkpoints"),
        FileKind::Checkpoints,
        &[forged.encode().into_bytes()],
    );
    let r = verify(
        &full,
        &VerifyOptions {
            against: Some(other),
            ..pinned(&summary)
        },
    )
    .unwrap();
    assert_eq!(r.status, Status::Intact, "{:#?}", r.findings);
    assert_eq!(r.against.as_ref().unwrap().diverges_at, None);
}

#[test]
fn a_refused_history_in_conflicts_is_a_fork_only_when_this_device_signed_it() {
    let tmp = tempfile::tempdir().unwrap();
    let device = device();
    let (_, summary) = witnessed(tmp.path(), &device);
    let header = match Record::parse(&frames(&tmp.path().join("log"), FileKind::Log)[0].payload)
        .unwrap()
        .body
    {
        Body::Header(h) => h,
        _ => panic!("record 0 is the header"),
    };
    let forged_checkpoint = |certifier: &NoteSigner| -> Conflict {
        let key = NoteSigner::generate(&header.origin, SIG_TYPE_ED25519).unwrap();
        let mut tree = MerkleTree::new();
        for i in 0u32..12 {
            tree.push(leaf_hash(&i.to_be_bytes()));
        }
        let body = CheckpointBody {
            origin: header.origin.clone(),
            size: 12,
            root: tree.root_at(12).unwrap(),
        };
        Conflict {
            received: NOW_S,
            held_records: 30,
            reason: "record 4 differs".into(),
            checkpoint: SignedNote::sign(&body.to_text(), &[&key]).unwrap().encode(),
            key: KeyCertificate {
                segment: 1,
                public_key: B64Key(key.public_key()),
                certificate: B64Sig(certifier.sign(&certificate_message(
                    &header.origin,
                    1,
                    &key.public_key(),
                ))),
            },
        }
    };
    let write = |c: &Conflict| {
        write_frames(
            &tmp.path().join("conflicts"),
            FileKind::Conflicts,
            &[c.to_bytes()],
        )
    };
    write(&forged_checkpoint(&device));
    let r = verify(tmp.path(), &pinned(&summary)).unwrap();
    assert_eq!(r.status, Status::Invalid);
    assert_eq!(kinds(&r), [FindingKind::Fork]);
    // Signed by a key this device never certified: it proves nothing about the candidate.
    let stranger = NoteSigner::generate("x", SIG_TYPE_ED25519).unwrap();
    write(&forged_checkpoint(&stranger));
    let r = verify(tmp.path(), &pinned(&summary)).unwrap();
    assert!(!kinds(&r).contains(&FindingKind::Fork), "{:?}", kinds(&r));
}

mod never_a_panic {
    use proptest::prelude::*;

    use super::*;

    fn base() -> &'static (tempfile::TempDir, String) {
        static BASE: std::sync::OnceLock<(tempfile::TempDir, String)> = std::sync::OnceLock::new();
        BASE.get_or_init(|| {
            let tmp = tempfile::tempdir().unwrap();
            let (_, summary) = witnessed(tmp.path(), &device());
            (tmp, summary.backend_key)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any bytes in any file of a session: a report (or a usage error),
        /// never a panic.
        #[test]
        fn random_bytes_in_any_file_give_a_report(
            which in 0usize..6,
            bytes in proptest::collection::vec(any::<u8>(), 0..2048),
            keep_magic in any::<bool>(),
        ) {
            let (dir, backend) = base();
            let scratch = tempfile::tempdir().unwrap();
            copy_dir(dir.path(), scratch.path());
            let (name, kind) = [
                ("log", Some(FileKind::Log)),
                ("checkpoints", Some(FileKind::Checkpoints)),
                ("receipts", Some(FileKind::Receipts)),
                ("conflicts", Some(FileKind::Conflicts)),
                ("statement", None),
                ("blob", None),
            ][which];
            let mut content = match kind {
                Some(k) if keep_magic => k.magic().to_vec(),
                _ => Vec::new(),
            };
            content.extend_from_slice(&bytes);
            let path = if name == "blob" {
                std::fs::read_dir(scratch.path().join("blobs")).unwrap().next().unwrap().unwrap().path()
            } else {
                scratch.path().join(name)
            };
            std::fs::write(&path, &content).unwrap();
            let opts = VerifyOptions {
                backend_key: Some(NoteVerifier::parse(backend).unwrap()),
                threads: 1,
                ..VerifyOptions::default()
            };
            // (An empty conflicts file adds nothing to a session.)
            let adds_nothing = name == "conflicts" && keep_magic && bytes.is_empty();
            if let Ok(report) = verify(scratch.path(), &opts)
                && !adds_nothing
            {
                prop_assert_ne!(report.status, Status::Intact);
            }
        }
    }
}
