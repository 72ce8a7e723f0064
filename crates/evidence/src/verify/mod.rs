//! Complete verification of a session directory, offline.
//!
//! Everything is checked that can be checked with what is in the directory
//! (plus, optionally, the tenant's secret key and a pinned backend key):
//! framing, record syntax, the sequence, the header and every session-key
//! certificate, time, every checkpoint's signature and root, every receipt's
//! cosignature and root, cross-references between log, checkpoints, receipts
//! and blobs, blob hashes and, with the tenant key, blob and answer contents.
//! Each problem becomes a [`Finding`]; nothing stops at the first.
//!
//! Besides "nothing was altered", the report says who vouches for each part
//! (see [`trust`]): only witnessed evidence verifies as intact unless the
//! verifier accepts machine-attested evidence.

mod blobs;
pub mod environment;
mod forks;
mod log;
mod notes;
pub mod review;
pub mod trust;

pub use forks::AgainstSummary;
pub use trust::{TrustPart, TrustSummary, VouchedBy};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::keys::{NoteVerifier, TenantSecretKey};
use crate::layout;
use crate::record::{RecoveryNote, Severity};

/// Options for [`verify`].
#[derive(Debug, Default)]
pub struct VerifyOptions {
    /// The tenant's secret key: with it every blob and answer is decrypted and compared.
    pub tenant_key: Option<TenantSecretKey>,
    /// The backend cosigning key the verifier trusts: receipts and the
    /// session statement are checked against it instead of the key the
    /// session names itself, and only it makes records witnessed.
    pub backend_key: Option<NoteVerifier>,
    /// Accept records only the candidate's machine vouches for (the report
    /// still says which): the session can then be intact without a witness.
    pub accept_machine_attested: bool,
    /// Another copy of the same session to compare with (a fork is a finding).
    pub against: Option<PathBuf>,
    /// Longest wait for a receipt before a record counts as witnessed late
    /// (`None`: [`DEFAULT_MAX_RECEIPT_DELAY`]).
    pub max_receipt_delay: Option<std::time::Duration>,
    /// Threads for blob checks (0: one per core).
    pub threads: usize,
    /// The reviewer keys the verifier trusts: decisions signed by any other
    /// key are findings and not counted. Empty: only decisions the pinned
    /// backend cosigned count; the others are listed, not counted (anyone
    /// with the session's files can sign one with a key of their own).
    pub reviewer_keys: Vec<NoteVerifier>,
}

/// How long a record may wait for the backend's receipt and still count as
/// witnessed: uploads follow each checkpoint (30 s), so a longer wait means
/// the machine was offline and held the record unobserved.
pub const DEFAULT_MAX_RECEIPT_DELAY: std::time::Duration = std::time::Duration::from_secs(600);

/// Why verification could not run at all (as opposed to finding problems).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The path is not a readable directory.
    #[error("{0} is not a session directory that can be read: {1}")]
    NotADirectory(PathBuf, String),
    /// None of the session files exist.
    #[error("{0} holds no evidence session (no log, checkpoints or receipts file)")]
    NotASession(PathBuf),
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Everything checks out.
    Intact,
    /// Intact as far as it goes, but the session never ended (the client stopped);
    /// only truncation-type findings.
    Truncated,
    /// Nothing shows it was altered, but parts are vouched for only by keys
    /// that lived on the candidate's machine, or were witnessed only late,
    /// or its times cannot be held against the backend's (and not accepted
    /// as such).
    NotWitnessed,
    /// Something was altered, removed, added or is malformed.
    Invalid,
}

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// A file is missing, unreadable, or not in this format.
    DamagedFile,
    /// A frame in the log is damaged.
    DamagedRecord,
    /// A record is not valid.
    BadRecord,
    /// A record's sequence number is not its position.
    SequenceGap,
    /// The session header is missing or invalid.
    BadHeader,
    /// A segment record is invalid.
    BadSegment,
    /// A checkpoint is malformed, out of order, badly signed or beyond the log.
    BadCheckpoint,
    /// A checkpoint's or receipt's root hash differs from the log's.
    RootMismatch,
    /// A checkpoint exists that the log does not reference.
    UnreferencedCheckpoint,
    /// The log references a checkpoint that is not in `checkpoints`.
    MissingCheckpoint,
    /// The session ended, but no checkpoint covers its last record.
    FinalCheckpointMissing,
    /// A receipt is malformed, does not match a checkpoint, or its cosignature fails.
    BadReceipt,
    /// The log references a receipt that is not in `receipts`.
    MissingReceipt,
    /// Receipts exist but no backend key is known to check them.
    ReceiptUnverifiable,
    /// A referenced blob is not in `blobs/`.
    MissingBlob,
    /// A blob's content does not match its record.
    BadBlob,
    /// A blob file that no record references (in an ended session).
    UnreferencedBlob,
    /// An answer or the submission is invalid.
    BadAnswer,
    /// Time runs backwards or a clock jump is missing or wrong.
    BadTime,
    /// A record follows the end record.
    RecordAfterEnd,
    /// A file or directory that does not belong in a session.
    UnexpectedFile,
    /// The session has no end record: the client stopped and it was never resumed.
    Truncated,
    /// A torn, never-committed tail in a session that did not end.
    TornTail,
    /// A blob file written but never recorded, in a session that did not end.
    UncommittedBlob,
    /// Records only the candidate's machine vouches for (not accepted).
    NotWitnessed,
    /// The backend's session statement is missing, altered, or for another session or device.
    BadStatement,
    /// A record is dated after the backend cosigned it.
    TimeAfterReceipt,
    /// A record is dated before the backend bound the session.
    TimeBeforeStatement,
    /// Signed records are missing: a checkpoint or receipt proves they existed.
    RemovedRecords,
    /// The session was encrypted to another key than the tenant key given.
    WrongTenantKey,
    /// Two different histories of the session were signed.
    Fork,
    /// Records the backend cosigned only long after they were recorded.
    WitnessedLate,
    /// The machine's clock was so far off that no time can be held against the backend's.
    UnreliableClock,
    /// The review log is damaged, or a decision in it is altered, moved,
    /// or names a record that is not the event it was made for.
    BadReview,
    /// A review decision signed by a key the verifier does not trust.
    UntrustedReviewer,
}

impl FindingKind {
    /// True for findings that say who vouches for the evidence, not that
    /// it was altered: accepted with `accept_machine_attested`.
    pub fn is_unwitnessed(self) -> bool {
        matches!(
            self,
            FindingKind::NotWitnessed | FindingKind::WitnessedLate | FindingKind::UnreliableClock
        )
    }

    /// True for findings a crash leaves behind (the session is incomplete, not altered).
    pub fn is_truncation(self) -> bool {
        matches!(
            self,
            FindingKind::Truncated | FindingKind::TornTail | FindingKind::UncommittedBlob
        )
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of problem.
    pub kind: FindingKind,
    /// A sentence a reviewer can act on.
    pub message: String,
    /// The record concerned, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
}

/// A half-open range of record sequence numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SeqRange {
    /// First record.
    pub from: u64,
    /// One past the last record.
    pub to: u64,
}

/// Who and what the session is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SessionSummary {
    /// Session identifier.
    pub session_id: String,
    /// Exam identifier.
    pub exam_id: String,
    /// Tenant identifier.
    pub tenant_id: String,
    /// Checkpoint origin.
    pub origin: String,
    /// SHA-256 of the policy.
    pub policy_sha256: String,
    /// Client version.
    pub client_version: String,
    /// SHA-256 of the client build.
    pub client_build_sha256: String,
    /// First 16 hex digits of SHA-256 of the device key.
    pub device_key_fingerprint: String,
    /// Tenant encryption key name.
    pub tenant_key: String,
    /// Backend cosigning key named by the header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_key: Option<String>,
    /// Time of record 0.
    pub started_utc: String,
    /// Time of the last record.
    pub last_record_utc: String,
}

/// One log segment (one session key).
#[derive(Debug, Clone, Serialize)]
pub struct SegmentSummary {
    /// Segment number.
    pub segment: u32,
    /// Its first record.
    pub first_seq: u64,
    /// Fingerprint of its session key.
    pub session_key_fingerprint: String,
    /// What recovery repaired before it (segments after the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoveryNote>,
    /// Wall-clock gap before it (segments after the first), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap_s: Option<f64>,
}

/// Checkpoints seen.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckpointSummary {
    /// Valid checkpoints.
    pub count: u64,
    /// Largest size covered by a valid checkpoint.
    pub signed_size: u64,
}

/// Receipts seen.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReceiptSummary {
    /// Valid receipts.
    pub count: u64,
    /// Largest size covered by a valid receipt.
    pub cosigned_size: u64,
    /// The backend key receipts were checked against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_key: Option<String>,
    /// Whether that key was pinned by the verifier (`--backend-key`) rather
    /// than named by the session itself. Only receipts under a pinned key
    /// can make records witnessed: whoever holds the device key could name
    /// a backend key of their own.
    pub backend_key_pinned: bool,
    /// Cosignature times (POSIX seconds) of the first and last valid receipt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_timestamp: Option<u64>,
    /// See `first_timestamp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_timestamp: Option<u64>,
}

/// Blobs seen.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BlobSummary {
    /// Blob records.
    pub referenced: u64,
    /// Referenced blobs present and matching their hash.
    pub verified: u64,
    /// Ciphertext bytes checked.
    pub bytes: u64,
    /// Blobs decrypted and matched to their plaintext hash (with the tenant key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypted: Option<u64>,
}

/// Answers seen.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AnswerSummary {
    /// Autosave records.
    pub saves: u64,
    /// Distinct questions answered.
    pub questions: u64,
    /// Answers named by the submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted: Option<u64>,
    /// Answers decrypted and matched (with the tenant key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypted: Option<u64>,
}

/// A recorded clock jump.
#[derive(Debug, Clone, Serialize)]
pub struct ClockJumpEntry {
    /// The clock-jump record.
    pub seq: u64,
    /// Wall-clock minus boot-clock movement, seconds.
    pub skew_s: f64,
    /// Wall-clock time after the jump.
    pub utc: String,
}

/// Time.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClockSummary {
    /// Recorded clock jumps.
    pub jumps: Vec<ClockJumpEntry>,
    /// Largest boot-clock gap between consecutive records of a segment, seconds.
    pub largest_gap_s: f64,
}

/// How the session ended.
#[derive(Debug, Clone, Serialize)]
pub struct EndSummary {
    /// The end record.
    pub seq: u64,
    /// The reason given.
    pub reason: String,
    /// When.
    pub utc: String,
}

/// The full result of [`verify`].
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The directory verified.
    pub dir: PathBuf,
    /// The verdict.
    pub status: Status,
    /// Who and what.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionSummary>,
    /// Records in the log.
    pub records: u64,
    /// Segments (one per session key).
    pub segments: Vec<SegmentSummary>,
    /// Checkpoints.
    pub checkpoints: CheckpointSummary,
    /// Receipts.
    pub receipts: ReceiptSummary,
    /// Who vouches for each part of the session.
    pub trust: TrustSummary,
    /// Records that are not witnessed (see `trust`): only the client attests them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_attested_only: Option<SeqRange>,
    /// Records no checkpoint covers: not even signed by the session key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsigned: Option<SeqRange>,
    /// Blobs.
    pub blobs: BlobSummary,
    /// Answers.
    pub answers: AnswerSummary,
    /// Event records by severity, of the signed records only.
    pub events: BTreeMap<Severity, u64>,
    /// How the machine was set up and watched (signed records only).
    pub environment: environment::EnvironmentSummary,
    /// Event records after the last checkpoint, by severity: unsigned, so
    /// anyone could have written them; never counted in `events`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unsigned_events: BTreeMap<Severity, u64>,
    /// Time.
    pub clock: ClockSummary,
    /// The end of the session, if it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<EndSummary>,
    /// The reviewers' decisions and where the review stands.
    pub review: review::ReviewSummary,
    /// The comparison with another copy (`--against`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<AgainstSummary>,
    /// Every problem found.
    pub findings: Vec<Finding>,
}

/// Collects findings.
#[derive(Debug, Default)]
pub(crate) struct Findings(Vec<Finding>);

impl Findings {
    pub(crate) fn add(&mut self, kind: FindingKind, seq: Option<u64>, message: impl Into<String>) {
        self.0.push(Finding {
            kind,
            message: message.into(),
            seq,
        });
    }
}

/// Verifies the session in `dir` completely.
pub fn verify(dir: &Path, opts: &VerifyOptions) -> Result<Report, VerifyError> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| VerifyError::NotADirectory(dir.to_owned(), e.to_string()))?;
    if !meta.is_dir() {
        return Err(VerifyError::NotADirectory(
            dir.to_owned(),
            "not a directory".into(),
        ));
    }
    if ![layout::LOG, layout::CHECKPOINTS, layout::RECEIPTS]
        .iter()
        .any(|f| dir.join(f).exists())
    {
        return Err(VerifyError::NotASession(dir.to_owned()));
    }
    let other = opts.against.as_deref().map(forks::read_other).transpose()?;
    let mut findings = Findings::default();
    check_entries(dir, &mut findings);

    let checkpoints = notes::read_notes(dir, crate::frame::FileKind::Checkpoints, &mut findings);
    let receipts = notes::read_notes(dir, crate::frame::FileKind::Receipts, &mut findings);
    let conflicts = forks::read_conflicts(dir, &mut findings);
    let mut wanted_roots: Vec<u64> = checkpoints
        .iter()
        .chain(receipts.iter())
        .filter_map(|n| n.body.as_ref().map(|b| b.size))
        .chain(conflicts.iter().filter_map(forks::ConflictEntry::size))
        .chain(other.iter().flat_map(forks::OtherCopy::sizes))
        .collect();
    wanted_roots.sort_unstable();
    wanted_roots.dedup();

    let review_log = crate::review::read(dir).unwrap_or_else(|e| {
        findings.add(FindingKind::BadReview, None, e.to_string());
        crate::review::ReviewLog::default()
    });
    let reviewed = review_log
        .decisions
        .iter()
        .map(|d| d.decision.event_seq)
        .collect();
    let checkpoint_sizes = checkpoints
        .iter()
        .filter_map(|n| n.body.as_ref().map(|b| b.size))
        .collect();
    let log = log::check_log(
        dir,
        &wanted_roots,
        &checkpoint_sizes,
        other.as_ref().map(|o| o.leaves.as_slice()),
        &reviewed,
        &mut findings,
    );

    // A key that is not the session's opens nothing: one finding, not one per blob.
    let mut tenant_key = opts.tenant_key.as_ref();
    if let (Some(given), Some(header)) = (tenant_key, &log.header)
        && given.public().key() != &header.tenant_encryption_key.key.0
    {
        findings.add(
            FindingKind::WrongTenantKey,
            Some(0),
            format!(
                "the session was encrypted to key {:?}, not to the tenant key given ({:?}): its blobs and answers cannot be opened with it. If you passed the wrong file, pass the tenant's encryption.key; if it is the tenant's key, the session's evidence is not readable by the tenant",
                header.tenant_encryption_key.name,
                given.public().name()
            ),
        );
        tenant_key = None;
    }

    let ckpt_summary = notes::check_checkpoints(&checkpoints, &log, &mut findings);
    let (receipt_summary, valid_receipts) =
        notes::check_receipts(&receipts, &checkpoints, &log, opts, &mut findings);
    let answers = log::check_answers(&log, tenant_key, &mut findings);
    let blob_summary = blobs::check_blobs(dir, &log, tenant_key, opts.threads, &mut findings);
    forks::check_conflicts(&conflicts, &log, &mut findings);
    let against = other
        .as_ref()
        .map(|o| forks::compare(o, &log, opts.backend_key.as_ref(), &mut findings));

    let review = review::check(
        &review_log,
        &log,
        &opts.reviewer_keys,
        opts.backend_key.as_ref(),
        &mut findings,
    );
    let records = log.records;
    let signed = ckpt_summary.signed_size.min(records);
    let statement = trust::check_statement(dir, &log, opts.backend_key.as_ref(), &mut findings);
    let trust = trust::summarise(
        &trust::Inputs {
            log: &log,
            statement: &statement,
            receipts: &valid_receipts,
            receipts_pinned: receipt_summary.backend_key_pinned,
            signed,
            cosigned: receipt_summary.cosigned_size,
            backend_key: receipt_summary.backend_key.as_deref(),
            accept_machine_attested: opts.accept_machine_attested,
            max_receipt_delay_ns: i128::try_from(
                opts.max_receipt_delay
                    .unwrap_or(DEFAULT_MAX_RECEIPT_DELAY)
                    .as_nanos(),
            )
            .unwrap_or(i128::MAX),
        },
        &mut findings,
    );
    // What is not witnessed in time from the first record on.
    let witnessed = trust
        .parts
        .iter()
        .take_while(|p| p.vouched_by == VouchedBy::Witnessed)
        .map(|p| p.to)
        .last()
        .unwrap_or(0);
    let mut events: BTreeMap<Severity, u64> = BTreeMap::new();
    let mut unsigned_events: BTreeMap<Severity, u64> = BTreeMap::new();
    for &(seq, severity) in &log.events {
        let counts = if seq < signed {
            &mut events
        } else {
            &mut unsigned_events
        };
        *counts.entry(severity).or_default() += 1;
    }
    let mut findings = findings.0;
    if log.ended.is_none() && records > 0 && !log.damaged {
        findings.push(Finding {
            kind: FindingKind::Truncated,
            message: format!(
                "the session has no end record: the client stopped after record {}, and it was not resumed — or the records after it were removed (compare with the backend's copy: --against)",
                records - 1
            ),
            seq: None,
        });
    }
    let status = if findings.is_empty() {
        Status::Intact
    } else if findings
        .iter()
        .all(|f| f.kind.is_truncation() || f.kind.is_unwitnessed())
    {
        if findings.iter().any(|f| f.kind.is_truncation()) {
            Status::Truncated
        } else {
            Status::NotWitnessed
        }
    } else {
        Status::Invalid
    };
    Ok(Report {
        dir: dir.to_owned(),
        status,
        session: log.summary.clone(),
        records,
        segments: log.segments.clone(),
        checkpoints: ckpt_summary,
        receipts: receipt_summary,
        trust,
        client_attested_only: (witnessed < records).then_some(SeqRange {
            from: witnessed,
            to: records,
        }),
        unsigned: (signed < records).then_some(SeqRange {
            from: signed,
            to: records,
        }),
        blobs: blob_summary,
        answers,
        events,
        environment: environment::summarise(&log.setup, signed, log.setup_truncated),
        unsigned_events,
        clock: log.clock.clone(),
        ended: log.ended.clone(),
        review,
        against,
        findings,
    })
}

fn check_entries(dir: &Path, findings: &mut Findings) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        findings.add(
            FindingKind::DamagedFile,
            None,
            "the session directory cannot be listed",
        );
        return;
    };
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        let expected = match name.as_str() {
            layout::LOG
            | layout::CHECKPOINTS
            | layout::RECEIPTS
            | layout::STATEMENT
            | layout::CONFLICTS
            | layout::REVIEW => !is_dir,
            layout::BLOBS => is_dir,
            layout::LOCK => !is_dir && entry.metadata().map(|m| m.len() == 0).unwrap_or(false),
            // Zeros the writer holds back; never read, never evidence.
            layout::RESERVE => !is_dir,
            _ => false,
        };
        if !expected {
            findings.add(
                FindingKind::UnexpectedFile,
                None,
                format!("{name:?} does not belong in a session directory"),
            );
        }
        names.push(name);
    }
    for required in [
        layout::LOG,
        layout::CHECKPOINTS,
        layout::RECEIPTS,
        layout::BLOBS,
    ] {
        if !names.iter().any(|n| n == required) {
            findings.add(
                FindingKind::DamagedFile,
                None,
                format!(
                    "the {required} {} is missing",
                    if required == layout::BLOBS {
                        "directory"
                    } else {
                        "file"
                    }
                ),
            );
        }
    }
}
